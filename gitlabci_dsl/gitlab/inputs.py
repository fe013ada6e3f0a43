"""The inputs an ``include`` gives a file with a ``spec:`` header, checked as GitLab checks them
when it creates the pipeline (``Gitlab::Ci::Config::Interpolation::Inputs``).

Every input given must be declared; every declared input without a ``default`` must be given;
a value must have the input's ``type`` (string by default); with ``options`` it must be one of
them; a string with ``regex`` must match it, in RE2 (``Gitlab::UntrustedRegexp``, so a
hostile pattern cannot hang a check). An input with ``rules:`` takes its options and default
from the first rule that matches in the pipeline: only its type is checked here. Inputs given
to a file without a ``spec:`` header are refused too. GitLab fails the pipeline on any of
these; :func:`problems` lists them with the fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

__all__ = ["TYPES", "Problem", "declared", "problems", "regex_matches"]

TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list, tuple),
}
"""The Python values each ``spec:inputs:type`` takes."""


class Problem(NamedTuple):
    """One reason GitLab refuses the inputs: ``rule`` is the lint rule that reports it."""

    rule: str  # input-undeclared, input-missing or input-invalid
    input: str
    message: str


def declared(header: Any) -> dict[str, Any] | None:
    """``{input: its spec}`` of a ``spec:`` header document (a spec of None for an input
    declared with no keys); None when ``header`` is not a header."""
    spec = header.get("spec") if isinstance(header, dict) else None
    if not isinstance(spec, dict):
        return None
    inputs = spec.get("inputs")
    if not isinstance(inputs, dict):
        return {}
    return {str(name): value for name, value in inputs.items()}


def problems(spec: Mapping[str, Any] | None, given: Any) -> list[Problem]:
    """Why GitLab refuses ``given`` (an include's ``inputs:``, None for none) for a file whose
    header declares ``spec`` (:func:`declared`; None: the file has no header). Empty when it
    accepts them. A value this package cannot know offline (an outer component's input) is
    given but not judged."""
    from .expand import UNKNOWN

    values = given if isinstance(given, dict) else {}
    if spec is None:
        if not values:
            return []
        return [
            Problem(
                "input-undeclared",
                str(name),
                f"gives input {str(name)!r} to a file with no spec: header; GitLab refuses "
                "inputs a file does not declare: remove it, or declare it in the file's "
                "spec:inputs",
            )
            for name in values
        ]
    found: list[Problem] = []
    for name in values:
        if str(name) not in spec:
            found.append(Problem("input-undeclared", str(name), _undeclared(str(name), spec)))
    for name, declared_as in spec.items():
        rule = declared_as if isinstance(declared_as, dict) else {}
        if name not in values:
            if "default" not in rule and "rules" not in rule:
                found.append(
                    Problem(
                        "input-missing",
                        name,
                        f"does not give input {name!r}, which has no default; GitLab refuses the "
                        f"pipeline: add inputs: {{{name}: ...}}{_about(rule)}",
                    )
                )
            continue
        value = values[name]
        if value is UNKNOWN:
            continue
        reason = _invalid(rule, value)
        if reason is not None:
            found.append(Problem("input-invalid", name, f"input {name!r}: {reason}"))
    return found


def _undeclared(name: str, spec: Mapping[str, Any]) -> str:
    import difflib

    known = sorted(spec)
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    listing = ", ".join(known) if known else "none"
    return (
        f"gives input {name!r}, which the file's spec:inputs does not declare; {hint}"
        f"declared: {listing}"
    )


def _about(rule: Mapping[str, Any]) -> str:
    description = rule.get("description")
    return f" ({description})" if isinstance(description, str) and description else ""


def _invalid(rule: Mapping[str, Any], value: Any) -> str | None:
    """Why GitLab refuses ``value`` for the input ``rule`` declares, or None."""
    kind = rule.get("type", "string")
    if kind not in TYPES:
        return None  # the header's own lint reports an unknown type
    if not isinstance(value, TYPES[kind]) or (kind == "number" and isinstance(value, bool)):
        quoted = isinstance(value, str) and (
            (kind == "boolean" and value in ("true", "false"))
            or (kind == "number" and value.replace(".", "", 1).lstrip("-").isdigit())
        )
        return f"{_show(value)} is not a {kind}; give a {kind}" + (
            " (write it unquoted in YAML)" if quoted else ""
        )
    if "rules" in rule:
        return None  # options and default depend on which rule matches in the pipeline
    options = rule.get("options")
    if isinstance(options, list) and value not in options:
        allowed = ", ".join(_show(option) for option in options)
        return f"{_show(value)} is not one of its options; use one of {allowed}"
    pattern = rule.get("regex")
    if kind == "string" and isinstance(pattern, str) and isinstance(value, str):
        matches = regex_matches(pattern, value)
        if matches is False:
            return f"{_show(value)} does not match its regex {pattern!r}; give a value it matches"
    return None


def regex_matches(pattern: str, value: str) -> bool | None:
    """Whether ``value`` matches an input's ``regex`` as GitLab matches it (RE2, anywhere in the
    value unless anchored; ``/.../`` delimiters allowed); None when RE2 refuses the pattern."""
    from .regex import compile_re2

    source = pattern
    if len(source) >= 2 and source.startswith("/") and source.rstrip("imx").endswith("/"):
        source = source.rstrip("imx")[1:-1]
    compiled = compile_re2(source)
    if isinstance(compiled, str):
        return None
    return compiled.search(value) is not None


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
