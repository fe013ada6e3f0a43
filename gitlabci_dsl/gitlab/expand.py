"""The pipeline as GitLab validates it: inputs interpolated, ``!reference`` resolved, nested
lists flattened, ``null`` keys dropped.

GitLab's schema describes the configuration after these steps; validating the raw YAML
instead rejects idioms GitLab accepts (``rules: !reference [.x, rules]``, ``parallel: null``
to drop a key inherited through ``extends``, ``allow_failure: $[[ inputs.allow_failure ]]``).
What cannot be known offline (a reference into a file that is not available, an input without
a default) is left out of the validated data rather than guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import GitlabCIDSLError
from .reader import Document, Tagged

__all__ = [
    "UNKNOWN",
    "ConfigTooBigError",
    "gitlab_view",
    "input_defaults",
    "interpolate",
    "pipeline_data",
    "pipeline_document",
]

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


def pipeline_data(documents: Sequence[Any]) -> Any:
    """The pipeline a file's documents (as :func:`.reader.load` gives them) hold: the last
    document, with each ``$[[ inputs.NAME ]]`` at its default when a ``spec:`` header comes
    first (how lint, explain and graph read a component or a file with inputs)."""
    if not documents:
        return {}
    data = documents[-1].data
    if len(documents) > 1:
        data = interpolate(data, input_defaults(documents[0].data))
    return data


def pipeline_document(documents: Sequence[Document]) -> Document:
    """The last of a file's documents with its data as :func:`pipeline_data` gives it; a key
    named by an input (``$[[ inputs.job_name ]]:``) keeps its positions under the name it
    takes."""
    body = documents[-1]
    if len(documents) == 1:
        return body
    inputs = input_defaults(documents[0].data)
    positions = dict(body.positions)
    for path, position in body.positions.items():
        key = path[0] if path else None
        if isinstance(key, str) and "$[[" in key:
            named = interpolate(key, inputs)
            if isinstance(named, str):
                positions.setdefault((named, *path[1:]), position)
    return body._replace(data=pipeline_data(documents), positions=positions)


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


class ConfigTooBigError(GitlabCIDSLError):
    """The configuration grows past GitLab's size limit once ``!reference`` is resolved."""


def gitlab_view(data: Any, config: dict[Any, Any] | None = None) -> Any:
    """``data`` with references resolved against ``config`` (default: ``data`` itself), nested
    lists flattened where GitLab flattens them, UNKNOWN values and ``null`` job keys dropped.

    Raises :class:`ConfigTooBigError` when references expand the data past
    :data:`~gitlabci_dsl.gitlab.facts.MAX_YAML_SIZE_BYTES`: a few references to references
    multiply (40 references, 5 levels deep, are 100 million copies).
    """
    root = config if config is not None else data
    view = _clean(_Resolver(root).resolve(data, 0), None)
    if isinstance(view, dict):
        # `key: null` in a job (or `default`) drops a key inherited through `extends`.
        view = {
            k: {kk: vv for kk, vv in v.items() if vv is not None} if isinstance(v, dict) else v
            for k, v in view.items()
        }
    return view


class _Resolver:
    """``!reference`` resolved within GitLab's size limit.

    Each node is resolved once per reference depth and the result shared wherever it is
    used (nothing downstream changes the view), while its weight (as the reader weighs data:
    copies counted) is added up: data that references multiply past the limit is refused at
    once, without being expanded.
    """

    def __init__(self, root: Any) -> None:
        self.root = root
        self.done: dict[tuple[int, int], tuple[Any, int]] = {}

    def resolve(self, value: Any, depth: int) -> Any:
        return self._resolve(value, depth)[0]

    def _resolve(self, value: Any, depth: int) -> tuple[Any, int]:
        if isinstance(value, Tagged) and value.tag == "!reference":
            if depth >= MAX_REFERENCE_DEPTH:
                return UNKNOWN, 0
            target = self.root
            for part in value:
                if not isinstance(part, str) or not isinstance(target, dict) or part not in target:
                    return UNKNOWN, 0
                target = target[part]
            return self._resolve(target, depth + 1)
        if not isinstance(value, (list, dict)):
            return value, 40 + (len(value) if isinstance(value, str) else 0)
        key = (id(value), depth)
        known = self.done.get(key)
        if known is not None:
            return known
        weight = 40
        result: Any
        if isinstance(value, list):
            result = []
            for item in value:
                resolved, size = self._resolve(item, depth)
                result.append(resolved)
                weight += size
        else:
            result = {}
            for name, item in value.items():
                resolved, size = self._resolve(item, depth)
                result[name] = resolved
                weight += size
        self._check(weight)
        self.done[key] = (result, weight)
        return result, weight

    @staticmethod
    def _check(weight: int) -> None:
        from .facts import MAX_YAML_SIZE_BYTES

        if weight > MAX_YAML_SIZE_BYTES:
            raise ConfigTooBigError(
                f"the configuration is too big: !reference expands it past "
                f"{MAX_YAML_SIZE_BYTES:,} bytes, GitLab's limit"
            )


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
