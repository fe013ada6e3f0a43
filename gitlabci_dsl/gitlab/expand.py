"""The pipeline as GitLab validates it: inputs interpolated, ``!reference`` resolved, nested
lists flattened, ``null`` keys dropped.

GitLab's schema describes the configuration after these steps; validating the raw YAML
instead rejects idioms GitLab accepts (``rules: !reference [.x, rules]``, ``parallel: null``
to drop a key inherited through ``extends``, ``allow_failure: $[[ inputs.allow_failure ]]``).
What cannot be known offline (a reference into a file that is not available, an input without
a default) is left out of the validated data rather than guessed.
"""

from __future__ import annotations

from typing import Any

from .reader import Tagged

__all__ = ["UNKNOWN", "gitlab_view", "input_defaults", "interpolate"]

# Keys whose nested lists GitLab flattens (lists coming from anchors or !reference).
FLATTENED = frozenset(
    {"script", "before_script", "after_script", "rules", "stages", "needs", "dependencies", "tags"}
)
MAX_REFERENCE_DEPTH = 10
_INPUT = r"\$\[\[\s*inputs\.([\w-]+)(?:\s*\|[^\]]*)?\s*\]\]"  # compiled on first use


class _Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()
"""A value that cannot be known offline; dropped from the validated data."""


def input_defaults(header: Any) -> dict[str, Any]:
    """``{input: default}`` of a ``spec:`` header document (inputs without a default left out)."""
    spec = header.get("spec") if isinstance(header, dict) else None
    inputs = spec.get("inputs") if isinstance(spec, dict) else None
    if not isinstance(inputs, dict):
        return {}
    return {
        str(name): value["default"]
        for name, value in inputs.items()
        if isinstance(value, dict) and "default" in value
    }


def interpolate(data: Any, inputs: dict[str, Any]) -> Any:
    """``$[[ inputs.NAME ]]`` replaced by the input's default (typed when it is the whole
    value); UNKNOWN where an input has no default."""
    if isinstance(data, str) and "$[[" in data:
        from .regex import linear  # the text is untrusted: _INPUT backtracks under re

        whole = linear(_INPUT).fullmatch(data.strip())
        if whole:
            return inputs.get(whole.group(1), UNKNOWN)
        missing = False

        def fill(match: Any) -> str:
            nonlocal missing
            value = inputs.get(match.group(1), UNKNOWN)
            if value is UNKNOWN:
                missing = True
                return ""
            return str(value).lower() if isinstance(value, bool) else str(value)

        text = linear(_INPUT).sub(fill, data)
        return UNKNOWN if missing else text
    if isinstance(data, Tagged):
        return Tagged(data.tag, [interpolate(v, inputs) for v in data])
    if isinstance(data, list):
        return [interpolate(v, inputs) for v in data]
    if isinstance(data, dict):
        return {interpolate(k, inputs): interpolate(v, inputs) for k, v in data.items()}
    return data


def gitlab_view(data: Any, config: dict[Any, Any] | None = None) -> Any:
    """``data`` with references resolved against ``config`` (default: ``data`` itself), nested
    lists flattened where GitLab flattens them, UNKNOWN values and ``null`` job keys dropped."""
    root = config if config is not None else data
    view = _clean(_resolve(data, root, 0), None)
    if isinstance(view, dict):
        # `key: null` in a job (or `default`) drops a key inherited through `extends`.
        view = {
            k: {kk: vv for kk, vv in v.items() if vv is not None} if isinstance(v, dict) else v
            for k, v in view.items()
        }
    return view


def _resolve(value: Any, root: Any, depth: int) -> Any:
    if isinstance(value, Tagged) and value.tag == "!reference":
        if depth >= MAX_REFERENCE_DEPTH:
            return UNKNOWN
        target = root
        for part in value:
            if not isinstance(target, dict) or part not in target:
                return UNKNOWN
            target = target[part]
        return _resolve(target, root, depth + 1)
    if isinstance(value, list):
        return [_resolve(v, root, depth) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, root, depth) for k, v in value.items()}
    return value


def _clean(value: Any, key: Any) -> Any:
    if isinstance(value, dict):
        cleaned = {k: _clean(v, k) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v is not UNKNOWN}
    if isinstance(value, list):
        items = _flatten(value) if key in FLATTENED else value
        known = [_clean(v, None) for v in items if v is not UNKNOWN]
        # Only unknown items: the list's length cannot be judged either.
        return UNKNOWN if items and not known else known
    return value


def _flatten(items: list[Any], depth: int = 0) -> list[Any]:
    flat: list[Any] = []
    for item in items:
        if isinstance(item, list) and depth < MAX_REFERENCE_DEPTH:
            flat.extend(_flatten(item, depth + 1))
        else:
            flat.append(item)
    return flat
