"""GitLab's official CI schema, validated in process by a small compiled validator.

The schema is the one check-jsonschema ships (its builtin ``vendor.gitlab-ci``, copied from
GitLab's repository); the file is read without importing check-jsonschema. It is validated by
the JSON Schema draft-07 subset GitLab's schema uses, compiled once into closures, rather than
by the ``jsonschema`` library: importing that costs ~85 ms, more than the whole start-up budget
of ``gitlabci-dsl compile``, which checks every file it writes. A test runs both validators over
the shared corpus and every example and requires the same verdict on each document.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["SchemaError", "schema_file", "validate"]

_NO_VALUE: Any = object()


class SchemaError:
    """One violation: where in the document (keys and indexes) and what is wrong.

    The message is written only when asked for: failed alternatives of ``oneOf``/``anyOf`` make
    many errors that nobody reads.
    """

    __slots__ = ("_rest", "_value", "path")

    def __init__(self, path: tuple[str | int, ...], rest: str, value: Any = _NO_VALUE) -> None:
        self.path = path
        self._rest = rest
        self._value = value

    @property
    def wrong_type(self) -> bool:
        """The value itself has the wrong JSON type (a branch of another shape)."""
        return self._rest.startswith(" is not of type ")

    @property
    def message(self) -> str:
        if self._value is _NO_VALUE:
            return self._rest
        if _secret_path(self.path):
            # Variables and keys named like secrets: say what the value is, never what it
            # holds (lint's output goes to job logs and Code Quality reports).
            return _kind(self._value) + self._rest
        return _show(self._value) + self._rest

    def __repr__(self) -> str:
        return f"SchemaError({self.path!r}, {self.message!r})"


# A compiled check: the errors of ``value`` at ``path`` (empty when valid).
Check = Callable[[Any, tuple[str | int, ...]], list[SchemaError]]

_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
}
_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})\Z", re.ASCII
)


def schema_file() -> Path:
    """Where check-jsonschema keeps GitLab's schema (found without importing the package)."""
    spec = importlib.util.find_spec("check_jsonschema")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "GitLab's CI schema comes with check-jsonschema: pip install check-jsonschema"
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    return folder / "builtin_schemas" / "vendor" / "gitlab-ci.json"


def validate(document: Any) -> list[SchemaError]:
    """Every violation of GitLab's schema in one YAML document (already plain JSON data)."""
    return _root()(document, ())


@functools.cache
def _root() -> Check:
    schema = json.loads(schema_file().read_text(encoding="utf-8"))
    return _Compiler(schema).compile(schema)


def _same(a: Any, b: Any) -> bool:
    """JSON equality: ``true`` is not ``1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def _show(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _secret_path(path: tuple[str | int, ...]) -> bool:
    """Whether the value at ``path`` may be a secret: a variable, or under a key named like a
    secret."""
    from ..gitlab.secrets import looks_secret

    return any(
        isinstance(part, str) and (part == "variables" or looks_secret(part)) for part in path
    )


def _kind(value: Any) -> str:
    """What a value is, without showing it: ``a string of 12 characters``, ``a list of 2``."""
    if isinstance(value, str):
        return f"a string of {len(value)} characters"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return f"a mapping of {len(value)} keys"
    return "a boolean" if isinstance(value, bool) else "null" if value is None else "a number"


class _Compiler:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def compile(self, schema: Any) -> Check:
        """A check for ``schema``, compiled when it first runs: a document reaches a small part
        of GitLab's schema, and compiling all of it would cost more than checking our files."""
        compiled: Check | None = None

        def lazy(value: Any, path: tuple[str | int, ...]) -> list[SchemaError]:
            nonlocal compiled
            if compiled is None:
                compiled = self._compile(schema)
            return compiled(value, path)

        return lazy

    def _compile(self, schema: Any) -> Check:
        if schema is True or schema == {}:
            return _valid
        if schema is False:
            return lambda v, p: [SchemaError(p, "no value is allowed here")]
        if "$ref" in schema:  # draft-07: a $ref ignores its siblings
            return self._ref(schema["$ref"])
        builders = dict.fromkeys(build for keyword, build in _KEYWORDS.items() if keyword in schema)
        checks = [check for build in builders if (check := build(self, schema)) is not None]
        if not checks:
            return _valid
        if len(checks) == 1:
            return checks[0]

        def all_checks(value: Any, path: tuple[str | int, ...]) -> list[SchemaError]:
            errors: list[SchemaError] = []
            for check in checks:
                errors += check(value, path)
                if errors and check is checks[0] and "type" in schema:
                    return errors  # the wrong type: nothing else is worth saying
            return errors

        return all_checks

    def _ref(self, ref: str) -> Check:
        if ref not in self.refs:
            if not ref.startswith("#/"):
                raise ValueError(f"GitLab schema: unsupported $ref {ref!r}")
            # A forward first: definitions refer to themselves (steps, !reference).
            self.refs[ref] = self._forward(ref)
            node: Any = self.root
            for part in ref[2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            self.refs[ref] = self.compile(node)
        return self._forward(ref)

    def _forward(self, ref: str) -> Check:
        """A check that looks ``ref`` up when it runs, so that cycles can be compiled."""
        refs = self.refs

        def forward(value: Any, path: tuple[str | int, ...]) -> list[SchemaError]:
            return refs[ref](value, path)

        return forward

    # -- keywords ------------------------------------------------------------------------------

    def type_(self, schema: dict[str, Any]) -> Check:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        tests = [_TYPES[name] for name in names]
        wrong_type = f" is not of type {' or '.join(names)}"

        def check(value: Any, path: tuple[str | int, ...]) -> list[SchemaError]:
            if any(test(value) for test in tests):
                return []
            return [SchemaError(path, wrong_type, value)]

        return check

    def properties(self, schema: dict[str, Any]) -> Check | None:
        properties = {k: self.compile(v) for k, v in schema.get("properties", {}).items()}
        patterns = [
            (re.compile(k), self.compile(v)) for k, v in schema.get("patternProperties", {}).items()
        ]
        additional = schema.get("additionalProperties", True)
        extra = None if additional is True else self.compile(additional)
        if not properties and not patterns and extra is None:
            return None

        def check(value: Any, path: tuple[str | int, ...]) -> list[SchemaError]:
            if not isinstance(value, dict):
                return []
            errors: list[SchemaError] = []
            unexpected = []
            for key, item in value.items():
                matched = False
                known = properties.get(key)
                if known is not None:
                    matched = True
                    errors += known(item, (*path, key))
                for pattern, sub in patterns:
                    if pattern.search(key):
                        matched = True
                        errors += sub(item, (*path, key))
                if not matched and extra is not None:
                    if additional is False:
                        unexpected.append(key)
                    else:
                        errors += extra(item, (*path, key))
            if unexpected:
                keys = ", ".join(repr(k) for k in unexpected)
                errors.append(SchemaError(path, f"unknown key(s) {keys}"))
            return errors

        return check

    def required(self, schema: dict[str, Any]) -> Check:
        names = schema["required"]

        def check(value: Any, path: tuple[str | int, ...]) -> list[SchemaError]:
            if not isinstance(value, dict):
                return []
            return [SchemaError(path, f"{n!r} is required") for n in names if n not in value]

        return check

    def items(self, schema: dict[str, Any]) -> Check:
        items = schema["items"]
        if isinstance(items, list):
            positional = [self.compile(s) for s in items]

            def tuple_check(value: Any, path: tuple[str | int, ...]) -> list[SchemaError]:
                if not isinstance(value, list):
                    return []
                errors: list[SchemaError] = []
                for index, (item, sub) in enumerate(zip(value, positional, strict=False)):
                    errors += sub(item, (*path, index))
                return errors

            return tuple_check
        each = self.compile(items)

        def check(value: Any, path: tuple[str | int, ...]) -> list[SchemaError]:
            if not isinstance(value, list):
                return []
            errors: list[SchemaError] = []
            for index, item in enumerate(value):
                errors += each(item, (*path, index))
            return errors

        return check

    def array_size(self, schema: dict[str, Any]) -> Check:
        low, high = schema.get("minItems", 0), schema.get("maxItems")
        unique = schema.get("uniqueItems", False)

        def check(value: Any, path: tuple[str | int, ...]) -> list[SchemaError]:
            if not isinstance(value, list):
                return []
            if len(value) < low:
                return [SchemaError(path, f"needs at least {low} item(s)")]
            if high is not None and len(value) > high:
                return [SchemaError(path, f"has more than {high} items")]
            if unique:
                for i, a in enumerate(value):
                    if any(_same(a, b) for b in value[i + 1 :]):
                        return [SchemaError(path, " appears more than once", a)]
            return []

        return check

    def string(self, schema: dict[str, Any]) -> Check:
        low, high = schema.get("minLength", 0), schema.get("maxLength")
        pattern = re.compile(schema["pattern"]) if "pattern" in schema else None
        form = schema.get("format")

        def check(value: Any, path: tuple[str | int, ...]) -> list[SchemaError]:
            if not isinstance(value, str):
                return []
            if len(value) < low:
                what = "must not be empty" if low == 1 else f"is shorter than {low} characters"
                return [SchemaError(path, f" {what}", value)]
            if high is not None and len(value) > high:
                return [SchemaError(path, f" is longer than {high} characters", value)]
            if pattern is not None and not pattern.search(value):
                return [SchemaError(path, f" does not match {pattern.pattern!r}", value)]
            if form == "regex":
                try:
                    re.compile(value)
                except re.error as exc:
                    return [SchemaError(path, f" is not a regular expression: {exc}", value)]
            if form == "date-time" and not _DATE_TIME.match(value):
                return [SchemaError(path, " is not a date-time (RFC 3339)", value)]
            return []

        return check

    def number(self, schema: dict[str, Any]) -> Check:
        low, high = schema.get("minimum"), schema.get("maximum")

        def check(value: Any, path: tuple[str | int, ...]) -> list[SchemaError]:
            if not _TYPES["number"](value):
                return []
            if low is not None and value < low:
                return [SchemaError(path, f"{value} is less than {low}")]
            if high is not None and value > high:
                return [SchemaError(path, f"{value} is more than {high}")]
            return []

        return check

    def enum(self, schema: dict[str, Any]) -> Check:
        allowed = schema["enum"]
        shown = f" is not one of {_show(allowed)}"

        def check(value: Any, path: tuple[str | int, ...]) -> list[SchemaError]:
            if any(_same(value, a) for a in allowed):
                return []
            return [SchemaError(path, shown, value)]

        return check

    def const(self, schema: dict[str, Any]) -> Check:
        expected = schema["const"]
        shown = f" must be {_show(expected)}"

        def check(value: Any, path: tuple[str | int, ...]) -> list[SchemaError]:
            if _same(value, expected):
                return []
            return [SchemaError(path, shown, value)]

        return check

    def max_properties(self, schema: dict[str, Any]) -> Check:
        high = schema["maxProperties"]

        def check(value: Any, path: tuple[str | int, ...]) -> list[SchemaError]:
            if isinstance(value, dict) and len(value) > high:
                return [SchemaError(path, f"has more than {high} keys")]
            return []

        return check

    def dependencies(self, schema: dict[str, Any]) -> Check:
        rules: list[tuple[str, list[str] | Check]] = [
            (key, dep if isinstance(dep, list) else self.compile(dep))
            for key, dep in schema["dependencies"].items()
        ]

        def check(value: Any, path: tuple[str | int, ...]) -> list[SchemaError]:
            if not isinstance(value, dict):
                return []
            errors: list[SchemaError] = []
            for key, dep in rules:
                if key not in value:
                    continue
                if isinstance(dep, list):
                    errors += [
                        SchemaError(path, f"{name!r} is required with {key!r}")
                        for name in dep
                        if name not in value
                    ]
                else:
                    errors += dep(value, path)
            return errors

        return check

    def all_of(self, schema: dict[str, Any]) -> Check:
        parts = [self.compile(s) for s in schema["allOf"]]

        def check(value: Any, path: tuple[str | int, ...]) -> list[SchemaError]:
            errors: list[SchemaError] = []
            for part in parts:
                errors += part(value, path)
            return errors

        return check

    def any_of(self, schema: dict[str, Any]) -> Check:
        return self._alternatives(schema["anyOf"], exactly_one=False)

    def one_of(self, schema: dict[str, Any]) -> Check:
        return self._alternatives(schema["oneOf"], exactly_one=True)

    def _alternatives(self, schemas: list[Any], *, exactly_one: bool) -> Check:
        parts = [self.compile(s) for s in schemas]

        def check(value: Any, path: tuple[str | int, ...]) -> list[SchemaError]:
            failures = []
            passed = 0
            for part in parts:
                errors = part(value, path)
                if not errors:
                    passed += 1
                    if not exactly_one:
                        return []
                else:
                    failures.append(errors)
            if passed == 1 or (passed and not exactly_one):
                return []
            if passed > 1:
                return [SchemaError(path, " matches more than one allowed form", value)]
            return _best(failures, value, path)

        return check

    def not_(self, schema: dict[str, Any]) -> Check:
        part = self.compile(schema["not"])

        def check(value: Any, path: tuple[str | int, ...]) -> list[SchemaError]:
            if part(value, path):
                return []
            return [SchemaError(path, " is not allowed here", value)]

        return check

    def if_(self, schema: dict[str, Any]) -> Check:
        condition = self.compile(schema["if"])
        then = self.compile(schema.get("then", True))
        otherwise = self.compile(schema.get("else", True))

        def check(value: Any, path: tuple[str | int, ...]) -> list[SchemaError]:
            return then(value, path) if not condition(value, path) else otherwise(value, path)

        return check


def _valid(value: Any, path: tuple[str | int, ...]) -> list[SchemaError]:
    return []


def _best(
    failures: list[list[SchemaError]], value: Any, path: tuple[str | int, ...]
) -> list[SchemaError]:
    """The most telling errors when no alternative fits: those of the alternatives of the right
    shape (whose errors are not a type mismatch of the value itself), when exactly one is."""
    fitting = [
        errors
        for errors in failures
        if not (len(errors) == 1 and errors[0].path == path and errors[0].wrong_type)
    ]
    if len(fitting) == 1:
        return fitting[0]
    if fitting:
        # Several shapes fit the type: the one that got furthest into the value explains best.
        deepest = max(fitting, key=lambda errors: (max(len(e.path) for e in errors), -len(errors)))
        if max(len(e.path) for e in deepest) > len(path):
            return deepest
    return [SchemaError(path, " is not any of the forms GitLab accepts here", value)]


_KEYWORDS: dict[str, Callable[[_Compiler, dict[str, Any]], Check | None]] = {
    "type": _Compiler.type_,
    "properties": _Compiler.properties,
    "patternProperties": _Compiler.properties,
    "additionalProperties": _Compiler.properties,
    "required": _Compiler.required,
    "items": _Compiler.items,
    "minItems": _Compiler.array_size,
    "maxItems": _Compiler.array_size,
    "uniqueItems": _Compiler.array_size,
    "minLength": _Compiler.string,
    "maxLength": _Compiler.string,
    "pattern": _Compiler.string,
    "format": _Compiler.string,
    "minimum": _Compiler.number,
    "maximum": _Compiler.number,
    "enum": _Compiler.enum,
    "const": _Compiler.const,
    "maxProperties": _Compiler.max_properties,
    "dependencies": _Compiler.dependencies,
    "allOf": _Compiler.all_of,
    "anyOf": _Compiler.any_of,
    "oneOf": _Compiler.one_of,
    "not": _Compiler.not_,
    "if": _Compiler.if_,
}
