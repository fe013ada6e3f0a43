"""GitLab CI YAML data → model nodes, each one checked to compile back to the same data.

Every mapping becomes the node class its field declares (``image:`` → ``Image``, a ``rules`` item
→ ``Rule``...). A node is kept only if the compiler turns it back into exactly the data it came
from; a key that the typed field cannot reproduce (a value the model refuses, a form it would
write differently) moves to the node's ``extra``, which the compiler writes as it is. So the
conversion never loses or changes anything, and types whatever it can.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, cast

import attrs

from .. import compiler
from ..errors import GitlabCIDSLError
from ..model.base import Node, Shape, shape_of
from ..model.values import Reference

__all__ = ["Converter", "UntypedError", "same"]

# GitLab keyword -> attribute name, the compiler's table read backwards.
_KEY_OF_FIELD = compiler.KEYWORD_OF_FIELD
_FIELD_OF_KEY = {key: field for field, key in _KEY_OF_FIELD.items()}

# Named in validators but never built from a mapping: they are references to other jobs.
_NOT_FROM_MAPPING = frozenset({"Job", "Stage", "Reference"})


def node_class(name: str) -> type[Node]:
    """The model class called ``name`` (loaded on first use, as the package does)."""
    import gitlabci_dsl

    cls: type[Node] = getattr(gitlabci_dsl, name)
    return cls


def _buildable(shape: Shape) -> tuple[str, ...]:
    """The node classes a mapping may become where a field's shape is ``shape``."""
    return tuple(name for name in shape.nodes if name not in _NOT_FROM_MAPPING)


class UntypedError(Exception):
    """A value cannot be typed without changing what compiles from it."""


class _Fields:
    """One node class's fields: key → (field name, shape), positional field, required ones;
    each shape is the one the field's validator declares (:func:`.model.base.shape_of`)."""

    __slots__ = ("by_key", "cls", "positional", "required")

    def __init__(self, cls: type[Node]) -> None:
        self.cls = cls
        self.by_key: dict[str, tuple[str, Shape]] = {}
        self.positional: str | None = None
        self.required: set[str] = set()
        for field in attrs.fields(cast("Any", cls)):
            if field.name in ("extra", "source"):
                continue
            key = _KEY_OF_FIELD.get(field.name, field.name)
            self.by_key[key] = (field.name, shape_of(field))
            if field.default is attrs.NOTHING:
                self.required.add(field.name)


# How the compiler writes some nodes differs from the plain "fields as keys" form: these undo
# it before the fields are read.
def _release_in(data: dict[str, Any]) -> dict[str, Any]:
    assets = data.get("assets")
    if isinstance(assets, dict) and set(assets) == {"links"}:
        return {**data, "assets": assets["links"]}
    return data


def _kubernetes_environment_in(data: dict[str, Any]) -> dict[str, Any]:
    managed = data.get("managed_resources")
    if isinstance(managed, dict) and set(managed) == {"enabled"}:
        return {**data, "managed_resources": managed["enabled"]}
    return data


_UNWRAP: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "Release": _release_in,
    "KubernetesEnvironment": _kubernetes_environment_in,
}
# Fields whose ``None`` is a value of its own (an explicit null default), not "unset".
_NULL_IS_VALUE = {("Input", "default"), ("InputRule", "default")}


class Converter:
    """Turns YAML data into model nodes. ``warn`` receives one message per unknown key."""

    def __init__(self, warn: Callable[[str], None]) -> None:
        self.warn = warn
        self._fields: dict[str, _Fields] = {}

    def fields(self, name: str) -> _Fields:
        known = self._fields.get(name)
        if known is None:
            known = self._fields[name] = _Fields(node_class(name))
        return known

    def node(self, name: str, data: dict[str, Any], where: str | None = None) -> Node:
        """``data`` as a ``name`` node that compiles back to ``data``.

        ``where`` (e.g. ``job 'build'``) makes unknown keys a warning; nested nodes are quiet
        because their parent reports the key they sit under.
        """
        node = self._try_node(name, data, where)
        if node is None:
            raise UntypedError(name)
        return node

    def job(self, name: str, data: dict[str, Any], *, warn_unknown: bool = True) -> Node:
        """A ``Job`` named ``name``; any key the model cannot type goes to ``extra``."""
        where = f"job {name!r}" if warn_unknown else None
        node = self._try_node("Job", {**data}, where, positional=name)
        if node is None:  # nothing typed survives: the job is all extra
            cls = node_class("Job")
            return cls(name, extra=dict(data))  # type: ignore[call-arg]
        return node

    def _try_node(
        self, name: str, data: dict[str, Any], where: str | None, positional: Any = None
    ) -> Node | None:
        info = self.fields(name)
        unwrap = _UNWRAP.get(name)
        source = unwrap(data) if unwrap else data
        typed: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in source.items():
            found = info.by_key.get(key) if isinstance(key, str) else None
            if found is None:
                if where is not None:
                    self.warn(f"{where}: unknown keyword {key!r} kept in extra")
                extra[key] = value
                continue
            field, shape = found
            if value is None and (name, field) not in _NULL_IS_VALUE:
                extra[key] = value
                continue
            try:
                typed[field] = self.value(value, shape)
            except UntypedError:
                extra[key] = value
        if positional is not None:
            typed["name"] = positional
        node = self._build(info, typed, extra, data)
        if node is None:
            return None
        compiled = _compile(name, node)
        if same(compiled, data):
            return node
        if not isinstance(compiled, dict):
            return None
        # Keys the typed fields write differently keep their YAML form in extra.
        for key, value in data.items():
            if key in compiled and same(compiled[key], value):
                continue
            field = _FIELD_OF_KEY.get(key, key)
            if field in typed and field not in info.required:
                del typed[field]
            extra[key] = value
        node = self._build(info, typed, extra, data)
        if node is None or not same(_compile(name, node), data):
            return None
        return node

    def _build(
        self, info: _Fields, typed: dict[str, Any], extra: dict[str, Any], data: dict[str, Any]
    ) -> Node | None:
        cls = info.cls
        if not info.required <= typed.keys():
            return None
        kwargs = dict(typed)
        if extra:
            kwargs["extra"] = extra
        try:
            return _construct(cls, info, kwargs)
        except GitlabCIDSLError:
            pass
        # Some field is refused: keep the fields that are accepted one by one, in order, and
        # carry the others in extra.
        kept: dict[str, Any] = {k: v for k, v in typed.items() if k in info.required}
        moved = dict(extra)
        for field, value in typed.items():
            if field in info.required:
                continue
            trial = {**kept, field: value}
            try:
                _construct(cls, info, {**trial, "extra": moved} if moved else trial)
            except GitlabCIDSLError:
                key = _KEY_OF_FIELD.get(field, field)
                moved[key] = data[key]
                continue
            kept = trial
        try:
            return _construct(cls, info, {**kept, "extra": moved} if moved else kept)
        except GitlabCIDSLError:
            return None

    def value(self, value: Any, shape: Shape) -> Any:
        """``value`` with its mappings typed as ``shape`` allows; raises ``UntypedError``."""
        if isinstance(value, dict):
            if shape.values is not None:
                inner = shape.values
                return {k: self.value(v, inner) for k, v in value.items()}
            candidates = _buildable(shape)
            for candidate in candidates:
                node = self._try_node(candidate, value, None)
                if node is not None:
                    return node
            if candidates:
                raise UntypedError(value)
            return value
        if isinstance(value, list) and shape.items is not None:
            inner = shape.items
            return [self.value(item, inner) for item in value]
        return value


def _construct(cls: type[Node], info: _Fields, kwargs: dict[str, Any]) -> Node:
    if cls.node_kind == "Reference":
        return Reference(*kwargs["path"])
    return cls(**kwargs)


def _compile(name: str, node: Node) -> Any:
    try:
        if name == "Job":
            return compiler.compile_job(node)  # type: ignore[arg-type]
        return compiler.compile_value(node)
    except GitlabCIDSLError:
        return _UNCOMPILABLE


_UNCOMPILABLE: Any = object()


def same(a: Any, b: Any) -> bool:
    """Equal as YAML data: same types (``True`` is not ``1``), mappings in any order."""
    ta, tb = type(a), type(b)
    if ta is not tb:
        return False
    if ta is dict:
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if ta is list:
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if ta is float and math.isnan(a):  # ``.nan`` equals itself as YAML
        return math.isnan(b)
    return bool(a == b)
