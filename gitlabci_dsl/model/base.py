"""The building kit for nodes and blocks: the marker base class and the field validators.

Every model class (:mod:`gitlabci_dsl.model`) and every building block
(:mod:`gitlabci_dsl.blocks`) is made of these: subclass :class:`Node`, declare the class with
``@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)`` and give each
field a validator made by one of the factories here (:func:`of`, :func:`seq`, :func:`mapping`,
:func:`choice`...). Tools that read the model (the importer) learn from the same validators which
nodes, lists and mappings a field accepts.

Each validator made here carries a :class:`Shape`, what the field takes besides plain values
(which nodes, a list of what, a mapping of what); :func:`checked` keeps the validator in the
field's ``metadata`` under :data:`VALIDATOR`, and :func:`shape_of` reads the shape back from an
``attrs`` field. A hand-written validator declares its shape with :func:`shaped`.

Validators run once, when a node is constructed. Each one checks a single field, turns lists into
tuples (so a node is immutable once built) and, when the value is wrong, raises a
:class:`~gitlabci_dsl.errors.ValidationError` that names the node, the field, the value, the rule
and the GitLab documentation for the keyword.

Node classes are identified by :attr:`Node.node_kind`, a class-level marker that each class
of gitlabci-dsl sets to its own name and that users' subclasses inherit: validating one module's
field never forces another module to be imported (the model is loaded lazily to keep
``gitlabci-dsl compile`` start-up small), and ``class MyJob(Job)`` is still a job.

A misspelt keyword argument names the closest field in the ``TypeError`` itself
(``Job(scripts=...)``: ``...unexpected keyword argument 'scripts'; did you mean 'script'?``),
wherever the node is built: a pipeline module, a REPL, a test.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, Final, NoReturn, TypeGuard, TypeVar

import attrs

from ..errors import ValidationError
from ..gitlab.facts import DOCS

__all__ = [
    "DOCS",
    "EXTRA",
    "LIST",
    "MANDATORY",
    "NAMED",
    "PLAIN",
    "SCALAR_TYPES",
    "VALIDATOR",
    "FrozenDict",
    "Node",
    "Shape",
    "Validator",
    "all_of",
    "checked",
    "choice",
    "choices",
    "duration",
    "exclusive",
    "fail",
    "int_range",
    "is_node",
    "is_relative_path",
    "mapping",
    "nonempty_str",
    "of",
    "owner",
    "pattern",
    "record_sites",
    "seq",
    "shape_of",
    "shaped",
    "sized_str",
    "type_name",
    "validator_of",
    "validator_shape",
]

# A validator as attrs calls it: (instance, attribute, value).
Validator = Callable[[Any, Any, Any], None]
_V = TypeVar("_V", bound=Validator)

VALIDATOR: Final = "gitlabci_dsl.validator"
"""The key of a node field's ``metadata`` that holds its validator (:func:`checked` moves it
there from ``Attribute.validator``); read it with :func:`validator_of`."""

SCALAR_TYPES: tuple[type, ...] = (str, int, float, bool)


class _Mandatory:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MANDATORY"


MANDATORY: Any = _Mandatory()
"""Default of ``Input.default``: the input has no default, so whoever includes the file must
set it. The compiler leaves such a field out."""


class FrozenDict(dict[Any, Any]):
    """A dict that cannot be changed: how nodes keep the mappings they are given (variables,
    build args, ``extra``...). Reads, copies, pickling and ``==`` work as for a dict."""

    __slots__ = ()

    def _read_only(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(
            "a node's mapping is read-only; build a changed node with attrs.evolve(node, ...)"
        )

    __setitem__ = __delitem__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only
    __ior__ = _read_only

    def __reduce__(self) -> tuple[type[FrozenDict], tuple[dict[Any, Any]]]:
        return (type(self), (dict(self),))


class Shape:
    """What a field takes besides plain values (strings, numbers, booleans, ``None``), as its
    validator checks it; read with :func:`shape_of`.

    * ``nodes``: the node classes a value may be, by :attr:`Node.node_kind` (``("Retry",)``);
    * ``items``: the shape of each item when the field takes a list, else None;
    * ``values``: the shape of each value when the field takes a mapping of names, else None.

    A field taking one item or a list of them (``cache``) has both ``nodes`` and ``items``.
    """

    __slots__ = ("items", "nodes", "values")

    nodes: tuple[str, ...]
    items: Shape | None
    values: Shape | None

    def __init__(
        self,
        nodes: tuple[str, ...] = (),
        *,
        items: Shape | None = None,
        values: Shape | None = None,
    ) -> None:
        object.__setattr__(self, "nodes", nodes)
        object.__setattr__(self, "items", items)
        object.__setattr__(self, "values", values)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"a Shape is read-only; cannot set {name}")

    def _key(self) -> tuple[Any, ...]:
        return (self.nodes, self.items, self.values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Shape) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        shown = [repr(self.nodes)] if self.nodes else []
        shown += [f"{k}={v!r}" for k, v in (("items", self.items), ("values", self.values)) if v]
        return f"Shape({', '.join(shown)})"


PLAIN: Final = Shape()
"""The shape of a field that takes plain values only (and of a list's plain items)."""

LIST: Final = Shape(items=PLAIN)
"""The shape of a field that takes a list of plain values (or one of them)."""

NAMED: Final = Shape(values=PLAIN)
"""The shape of a field that takes a mapping of names to plain values."""


def shaped(shape: Shape) -> Callable[[_V], _V]:
    """Decorator of a hand-written validator: declares what the field takes, for
    :func:`shape_of` (the factories here declare it themselves)."""

    def declare(check: _V) -> _V:
        return _declared(check, shape)

    return declare


def _declared(check: _V, shape: Shape) -> _V:
    check.shape = shape  # type: ignore[attr-defined]
    return check


# One Shape for each set of node classes, and for each list of them: fields alike share one,
# as a few hundred validators are made at start-up.
_OF_NODES: dict[tuple[str, ...], Shape] = {}
_LIST_OF_NODES: dict[tuple[tuple[str, ...], bool], Shape] = {}


def _nodes(nodes: tuple[str, ...]) -> Shape:
    shape = _OF_NODES.get(nodes)
    if shape is None:
        shape = _OF_NODES[nodes] = Shape(nodes)
    return shape


def _list_of(nodes: tuple[str, ...], one: bool) -> Shape:
    shape = _LIST_OF_NODES.get((nodes, one))
    if shape is None:
        shape = _LIST_OF_NODES[nodes, one] = Shape(nodes if one else (), items=_nodes(nodes))
    return shape


def validator_of(attribute: Any) -> Validator | None:
    """The validator of an ``attrs`` field: kept in its ``metadata`` by :func:`checked`, or
    still in ``Attribute.validator`` on a class that is not checked."""
    check: Validator | None = attribute.metadata.get(VALIDATOR, attribute.validator)
    return check


def validator_shape(check: Validator | None) -> Shape:
    """The shape a validator declares; one that declares nothing takes plain values
    (:data:`PLAIN`)."""
    shape: Shape = getattr(check, "shape", PLAIN)
    return shape


def shape_of(attribute: Any) -> Shape:
    """What the ``attrs`` field ``attribute`` takes, as its validator declares it."""
    return validator_shape(validator_of(attribute))


# While a pipeline module runs (record_sites), where each node that records its site was
# built: id(node) -> (node, file, line). None otherwise: building a node costs one check.
_sites: dict[int, tuple[Any, str, int]] | None = None
_PACKAGE = str(Path(__file__).resolve().parent.parent)


@contextmanager
def record_sites() -> Iterator[dict[int, tuple[Any, str, int]]]:
    """Within the block, note the file and line of the code outside gitlabci-dsl that built
    each job (the user's ``Job(...)``, or the call of the block that made it): ``{id(job):
    (job, file, line)}``, the job kept so that its id stays its own. Nested blocks share
    the outer record."""
    global _sites  # noqa: PLW0603 - one record per module run, read by Node
    if _sites is not None:
        yield _sites
        return
    _sites = {}
    try:
        yield _sites
    finally:
        _sites = None


def _site() -> tuple[str, int] | None:
    """The innermost frame of the stack that is neither gitlabci-dsl's nor generated code's."""
    frame = sys._getframe(2)  # the caller of __attrs_post_init__'s caller
    while frame is not None:
        file = frame.f_code.co_filename
        if not file.startswith(("<", _PACKAGE)):
            return file, frame.f_lineno
        frame = frame.f_back  # type: ignore[assignment]
    return None


class Node:
    """Base of every model class: value equality, hashing and ``repr`` over the attrs fields.

    attrs can generate these per class, but each generated method is compiled at import time
    (~0.3 ms a class); one shared implementation keeps ``gitlabci-dsl compile`` start-up small.
    Subclasses are declared with ``@attrs.frozen(..., repr=False, eq=False)`` to use these.
    """

    __slots__ = ()

    named_in_messages: ClassVar[bool] = False
    """Whether messages name a node by its ``name`` too (``DockerBuild 'build'``); jobs and
    stages are always named."""

    records_site: ClassVar[bool] = False
    """Whether :func:`record_sites` notes where nodes of the class are built (jobs)."""

    node_kind: ClassVar[str] = "Node"
    """Which gitlabci-dsl class this is (``"Job"``, ``"Rule"``...): set on each of ours,
    inherited by subclasses, so a subclass is handled as the class it extends."""

    # (name, attribute, validator, run even when None) for each validated field; set by
    # ``checked`` on every subclass.
    _field_checks: tuple[tuple[str, Any, Validator, bool], ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__
        if cls.__module__.startswith("gitlabci_dsl.") and "node_kind" not in own:
            cls.node_kind = cls.__name__
        # attrs makes a slotted class with a second type() call whose namespace already holds
        # the generated __init__ and __attrs_attrs__; the first, draft class has neither.
        init = own.get("__init__")
        if "__attrs_attrs__" in own and _generated(init):
            cls.__init__ = _suggesting(cls, init)  # type: ignore[method-assign]

    def __attrs_post_init__(self) -> None:
        if _sites is not None and self.records_site:
            site = _site()
            if site is not None:
                _sites[id(self)] = (self, *site)
        for name, attribute, check, always in self._field_checks:
            value = getattr(self, name)
            if value is not None or always:
                try:
                    check(self, attribute, value)
                except ValidationError:
                    if not _typed_input(value):
                        raise
        self._check()

    def _check(self) -> None:
        """Checks across fields of one node; subclasses override it."""

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, a.name) for a in self.__attrs_attrs__)  # type: ignore[attr-defined]

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self) -> int:
        # Nodes holding dicts (variables, extra) are not hashable, like the dicts themselves.
        return hash((self.__class__, self._values()))

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{a.name}={getattr(self, a.name)!r}"
            for a in self.__attrs_attrs__  # type: ignore[attr-defined]
            if getattr(self, a.name) is not None
        )
        return f"{self.__class__.__name__}({shown})"


def _typed_input(value: object) -> bool:
    """A component's number, boolean or array input (``$[[ inputs.push ]]``): GitLab puts the
    typed value there, so a field of that type takes it (see :mod:`gitlabci_dsl.components`)."""
    from ..components import typed_input

    return typed_input(value)


def _generated(init: object) -> TypeGuard[Callable[..., None]]:
    """Whether ``init`` is an ``__init__`` that attrs generated (not one the class wrote, whose
    parameters need not be its fields)."""
    code = getattr(init, "__code__", None)
    return code is not None and code.co_filename.startswith("<attrs generated ")


def _suggesting(cls: type, init: Callable[..., None]) -> Callable[..., None]:
    """``cls``'s generated ``init``, its ``TypeError`` for an unknown keyword argument saying
    which field was meant (:func:`_did_you_mean`).

    Python raises that error while binding the arguments, before ``init`` runs, so only a
    wrapper can add to it: one more frame on the hot path of construction (try costs nothing
    in 3.11 until it catches). ``functools.wraps`` keeps ``inspect.signature`` the fields'.
    """

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N807
        try:
            init(self, *args, **kwargs)
        except TypeError as exc:
            # Raised binding init's arguments (no frame below this one), not by any call made
            # while building the node, whose own error is already complete.
            tb = exc.__traceback__
            message = _did_you_mean(cls, init, exc) if tb is not None and tb.tb_next is None else ""
            if not message:
                raise
            raise TypeError(message) from None

    return __init__


def _did_you_mean(cls: type, init: Callable[..., None], exc: TypeError) -> str:
    """The message of ``exc`` completed with the fields of ``cls`` closest to the unexpected
    keyword argument it reports, or all of them when none is close; ``""`` when ``exc`` is
    another error of ``init`` (a positional argument, a missing field...)."""
    # Python 3.13 adds its own ". Did you mean 'x'?"; ours replaces it, so there is one.
    found = re.fullmatch(
        rf"({re.escape(init.__qualname__)}\(\) got an unexpected keyword argument '(.*?)')"
        r"(?:\. Did you mean '.*'\?)?",
        str(exc),
        re.DOTALL,
    )
    if found is None:
        return ""
    import difflib  # only for the error: it is not needed to build nodes

    error, given = found.groups()
    names = [field.alias or field.name for field in attrs.fields(cls) if field.init]
    close = difflib.get_close_matches(given, names, n=1, cutoff=0.6)
    if close:
        return f"{error}; did you mean {close[0]!r}?"
    return f"{error}; {cls.__name__} takes {', '.join(names) or 'no keyword arguments'}"


def checked(cls: type, fields: list[Any]) -> list[Any]:
    """attrs ``field_transformer`` of every node: run the field validators from
    ``Node.__attrs_post_init__`` instead of attrs' generated ``__init__``.

    Same checks, same order, but the generated ``__init__`` shrinks to plain assignments: it is
    compiled when the class is created, and that compile time is most of the CLI's start-up.
    Optional fields left at ``None`` skip their validator altogether. Each validated field is
    given back as a new ``Attribute`` without a validator, the validator in its ``metadata``
    under :data:`VALIDATOR` (where :func:`validator_of` and :func:`shape_of` find it).
    """
    checks = []
    out = []
    for given in fields:
        check = given.validator
        field = given if check is None else _moved(given, check)
        if check is None:
            # A field a subclass inherits comes back already moved: keep its check.
            check = field.metadata.get(VALIDATOR)
        if check is not None:
            checks.append((field.name, field, check, field.default is attrs.NOTHING))
        out.append(field)
    cls._field_checks = tuple(checks)  # type: ignore[attr-defined]
    return out


# Whether this attrs has Attribute.alias_is_default (26.1 and later); asked of the class, since
# attrs.__version_info__ loads importlib.metadata, which costs more than all the nodes.
_ALIAS_IS_DEFAULT = hasattr(attrs.Attribute, "alias_is_default")


def _moved(field: Any, check: Validator) -> Any:
    """``field`` as a new ``Attribute``, its validator moved into its ``metadata``.

    A field transformer may create new attributes (attrs' "Automatic Field Transformation and
    Modification"). This runs for every validated field at start-up, so the constructor is
    called with positional arguments, in the order of its signature (stable since attrs 22.2,
    which appended ``alias``; 26.1 appended ``alias_is_default``): a third of the cost of
    ``Attribute.evolve``, which copies through the pickle protocol, and half that of keywords.
    ``tests/test_model_shapes.py`` checks the result equals ``evolve``'s.
    """
    args = (
        field.name,
        field.default,
        None,  # validator
        field.repr,
        None,  # cmp: unused, eq and order are passed
        field.hash,
        field.init,
        field.inherited,
        {**field.metadata, VALIDATOR: check} if field.metadata else {VALIDATOR: check},
        field.type,
        field.converter,
        field.kw_only,
        field.eq,
        field.eq_key,
        field.order,
        field.order_key,
        field.on_setattr,
        field.alias,
    )
    if _ALIAS_IS_DEFAULT:
        return attrs.Attribute(*args, field.alias_is_default)  # type: ignore[call-arg]
    return attrs.Attribute(*args)  # type: ignore[call-arg]


def owner(inst: object) -> str:
    """How a message names the node: ``job 'build'`` for jobs, the class name otherwise."""
    name = getattr(inst, "name", None)
    kind = getattr(inst, "node_kind", None)
    if kind == "Job" and isinstance(name, str):
        return f"job {name!r}"
    if kind == "Stage" and isinstance(name, str):
        return f"stage {name!r}"
    if getattr(inst, "named_in_messages", False) and isinstance(name, str) and name:
        return f"{type(inst).__name__} {name!r}"
    return type(inst).__name__


def fail(inst: object, field: str, value: object, rule: str, anchor: str | None = None) -> NoReturn:
    """Raise the one-line error for ``field=value`` on ``inst``.

    ``anchor`` is the section of GitLab's keyword reference (default: the field's name); ``""``
    means the field is gitlabci-dsl's own and has no GitLab documentation.
    """
    keyword = field.rstrip("_")
    link = "" if anchor == "" else f" See {DOCS}#{anchor or keyword}"
    raise ValidationError(f"{owner(inst)}: {keyword}={_show(value)} {rule}.{link}")


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def type_name(value: object) -> str:
    """The name of ``value``'s type, as messages show it (``str``, ``Job``...)."""
    return type(value).__name__


def _set(inst: object, name: str, value: object) -> None:
    # Normalising a frozen instance during its own construction: attrs runs validators inside
    # __init__, so this is still part of building the object, never a later mutation.
    object.__setattr__(inst, name, value)


def block_hint(value: object, nodes: tuple[str, ...]) -> str:
    """For a building block given where a job is wanted: how to get its job."""
    if "Job" not in nodes or not callable(getattr(value, "job", None)):
        return ""
    kind = type(value).__name__
    return f" ({kind} is a building block: pass its job, {kind}(...).job())"


def is_relative_path(value: Any, pattern: re.Pattern[str]) -> bool:
    """Whether ``value`` is a path of the project as ``pattern`` writes it, relative and
    without a ``..`` part: a file or folder a block names, never one outside the project."""
    return (
        isinstance(value, str) and bool(pattern.fullmatch(value)) and ".." not in value.split("/")
    )


def is_node(value: object, names: tuple[str, ...]) -> bool:
    """Whether ``value`` is one of the node classes ``names`` (or a subclass of one)."""
    return isinstance(value, Node) and value.node_kind in names


def of(
    *types: type, nodes: tuple[str, ...] = (), what: str, anchor: str | None = None
) -> Validator:
    """Optional field holding one of ``types`` or one of the node classes named in ``nodes``."""
    # bool is an int subclass; a field that takes int but not bool must say so explicitly.
    reject_bool = int in types and bool not in types

    def check(inst: Any, attr: Any, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, types) and not (reject_bool and isinstance(value, bool)):
            return
        if nodes and is_node(value, nodes):
            return
        rule = f"must be {what}, not {type_name(value)}"
        fail(inst, attr.name, value, rule + block_hint(value, nodes), anchor)

    listed = list in types or tuple in types
    named = Mapping in types or dict in types
    if not (nodes or listed or named):
        return check
    if not (listed or named):
        return _declared(check, _nodes(nodes))
    if not nodes and listed != named:
        return _declared(check, LIST if listed else NAMED)
    shape = Shape(nodes, items=PLAIN if listed else None, values=PLAIN if named else None)
    return _declared(check, shape)


def seq(
    *types: type,
    nodes: tuple[str, ...] = (),
    what: str,
    one: bool = False,
    non_empty: bool = False,
    anchor: str | None = None,
) -> Validator:
    """Optional list field; items are ``types`` or named nodes.

    ``one``: a lone item is accepted too and kept as it is, so the YAML shows the form the user
    wrote (``script: make`` or ``script: [make]``; GitLab reads both the same).
    """

    def check(inst: Any, attr: Any, value: Any) -> None:
        if value is None:
            return
        name = attr.name
        if isinstance(value, (list, tuple)):
            items = tuple(value)
        elif one and (isinstance(value, types) or (nodes and is_node(value, nodes))):
            if isinstance(value, bool):
                fail(inst, name, value, f"must be a list of {what}, not bool", anchor)
            return
        else:
            rule = f"must be a list of {what}, not {type_name(value)}"
            fail(inst, name, value, rule + block_hint(value, nodes), anchor)
        for item in items:
            if isinstance(item, types) and not isinstance(item, bool):
                continue
            if nodes and is_node(item, nodes):
                continue
            rule = f"must be a list of {what}; item {_show(item)} is not"
            fail(inst, name, value, rule + block_hint(item, nodes), anchor)
        if non_empty and not items:
            fail(inst, name, value, "must not be empty (GitLab rejects an empty list here)", anchor)
        if items is not value:
            _set(inst, name, items)

    # Shapes shared where they are alike: one is made for each field at start-up.
    if not nodes:
        return _declared(check, LIST)
    return _declared(check, _list_of(nodes, one))


def mapping(
    *types: type, nodes: tuple[str, ...] = (), what: str, anchor: str | None = None
) -> Validator:
    """Optional ``{str: value}`` field; values are ``types`` or named nodes. Stored as a
    read-only copy (:class:`FrozenDict`), so the node stays immutable."""

    def check(inst: Any, attr: Any, value: Any) -> None:
        if value is None:
            return
        name = attr.name
        if not isinstance(value, Mapping):
            fail(inst, name, value, f"must be a mapping of names to {what}", anchor)
        for key, item in value.items():
            if not isinstance(key, str):
                fail(inst, name, value, f"keys must be strings; {key!r} is not", anchor)
            if isinstance(item, types) or (nodes and is_node(item, nodes)):
                continue
            fail(
                inst, name, value, f"value of {key!r} must be {what}, not {type_name(item)}", anchor
            )
        # A read-only copy: changing the caller's dict later must not change the node.
        if type(value) is not FrozenDict:
            _set(inst, name, FrozenDict(value))

    return _declared(check, Shape(values=_nodes(nodes)) if nodes else NAMED)


def all_of(*checks: Validator) -> Validator:
    """One validator running ``checks`` in order (what attrs does with a list of validators),
    declaring the shape of the first of them that declares one."""
    shape = next((s for s in map(validator_shape, checks) if s != PLAIN), PLAIN)

    def check(inst: Any, attr: Any, value: Any) -> None:
        for one in checks:
            one(inst, attr, value)

    return _declared(check, shape)


def choice(*allowed: str, anchor: str | None = None) -> Validator:
    """Optional field restricted to a closed set GitLab defines."""
    shown = ", ".join(repr(a) for a in allowed)

    def check(inst: Any, attr: Any, value: Any) -> None:
        if value is None or (type(value) is str and value in allowed):
            return
        fail(inst, attr.name, value, f"must be one of {shown}", anchor)

    return check


def choices(*allowed: str, anchor: str | None = None) -> Validator:
    """Optional field holding one value of a closed set, or a list of them."""
    single = choice(*allowed, anchor=anchor)
    shown = ", ".join(repr(a) for a in allowed)

    def check(inst: Any, attr: Any, value: Any) -> None:
        if isinstance(value, (list, tuple)):
            bad = [v for v in value if v not in allowed]
            if bad or not value:
                fail(inst, attr.name, value, f"items must be among {shown}", anchor)
            _set(inst, attr.name, tuple(value))
        else:
            single(inst, attr, value)

    return _declared(check, LIST)


def pattern(
    regex: str,
    rule: str,
    anchor: str | None = None,
    *,
    quick: Callable[[str], bool] | None = None,
) -> Validator:
    """Optional string field matching ``regex`` (full match).

    The regex is compiled on first use: most fields are never set, and compiling every pattern
    at import would cost more than the rest of the CLI's start-up. ``quick``, when given, says
    yes to the common values without the regex (it must never say yes to one the regex refuses).
    """

    def check(inst: Any, attr: Any, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, str):
            fail(inst, attr.name, value, f"must be a string, not {type_name(value)}", anchor)
        if quick is not None and quick(value):
            return
        if re.fullmatch(regex, value) is None:
            fail(inst, attr.name, value, rule, anchor)

    return check


def int_range(low: int, high: int, anchor: str | None = None) -> Validator:
    """Optional whole number in ``[low, high]``; node values are left to another validator."""

    def check(inst: Any, attr: Any, value: Any) -> None:
        if value is None or isinstance(value, Node):
            return
        if type(value) is not int or not low <= value <= high:
            fail(inst, attr.name, value, f"must be a whole number from {low} to {high}", anchor)

    return check


# GitLab parses durations with ChronicDuration: "3600", "1h 30m", "2 hours 10 minutes",
# "1 day and 2 hours", "1.5h", "01:30:00". Variables cannot be used in these keywords.
_UNITS = frozenset(
    (
        *("s", "sec", "secs", "second", "seconds", "m", "min", "mins", "minute", "minutes"),
        *("h", "hr", "hrs", "hour", "hours", "d", "day", "days", "w", "wk", "wks", "week", "weeks"),
        *("mo", "mos", "month", "months", "y", "yr", "yrs", "year", "years"),
    )
)
_UNIT = "(?:" + "|".join(sorted(_UNITS)) + ")"
_DURATION = (
    rf"\s*(?:\d+(?:\.\d+)?\s*{_UNIT}?(?:\s*,?\s*(?:and\s+)?)?)+\s*"
    r"|\s*\d+:\d{1,2}(?::\d{1,2})?\s*"
)


_LOWER = "abcdefghijklmnopqrstuvwxyz"


def _plain_duration(text: str) -> bool:
    """Whether ``text`` is a duration of the form most pipelines write (``"3600"``, ``"30m"``,
    ``"1 week"``: a whole number, spaces, a unit), told without the ChronicDuration regex,
    whose compiling costs most of a millisecond of start-up. False says nothing: ask the
    regex."""
    number = text.rstrip(_LOWER)
    unit = text[len(number) :]
    number = number.rstrip(" ")
    return number.isascii() and number.isdigit() and (not unit or unit in _UNITS)


def _plain_or_never(text: str) -> bool:
    return text == "never" or _plain_duration(text)


def duration(anchor: str | None = None, *, never: bool = False) -> Validator:
    """A ChronicDuration string; ``never`` also accepts the word ``never`` (artifact expiry)."""
    example = "e.g. '1h 30m', '45 minutes', '2 days'" + (" or 'never'" if never else "")
    regex = rf"(?:{_DURATION}|never)" if never else _DURATION
    quick = _plain_or_never if never else _plain_duration
    return pattern(regex, f"is not a GitLab duration ({example})", anchor, quick=quick)


def sized_str(low: int, high: int, anchor: str | None = None) -> Validator:
    """Optional string of ``low`` to ``high`` characters."""
    rule = f"must be a string of {low} to {high} characters"

    def check(inst: Any, attr: Any, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, str) or not low <= len(value) <= high:
            fail(inst, attr.name, value, rule, anchor)

    return check


def nonempty_str(anchor: str | None = None) -> Validator:
    """Optional string field that must not be empty."""

    def check(inst: Any, attr: Any, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, str) or not value:
            fail(inst, attr.name, value, "must be a non-empty string", anchor)

    return check


def exclusive(inst: object, fields: tuple[str, ...], *, required: bool, anchor: str) -> None:
    """Check that at most (or, if ``required``, exactly) one of ``fields`` is set."""
    present = [f for f in fields if getattr(inst, f) is not None]
    if len(present) > 1 or (required and not present):
        listed = ", ".join(fields)
        got = ", ".join(present) or "none"
        raise ValidationError(
            f"{owner(inst)}: set exactly one of {listed} (got {got}). See {DOCS}#{anchor}"
            if required
            else f"{owner(inst)}: set at most one of {listed} (got {got}). See {DOCS}#{anchor}"
        )


EXTRA = mapping(object, what="any YAML value", anchor="")
"""Validator of every node's ``extra`` escape hatch."""
