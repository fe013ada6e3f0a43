"""Field validators as attrs metadata: new Attribute objects, and the shapes tools read from them."""

from __future__ import annotations

import re
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gitlabci_dsl
from gitlabci_dsl import Job, ValidationError
from gitlabci_dsl.model.base import (
    LIST,
    NAMED,
    PLAIN,
    VALIDATOR,
    Node,
    Shape,
    all_of,
    checked,
    int_range,
    mapping,
    of,
    seq,
    shape_of,
    shaped,
    validator_of,
)

# Never built from a mapping (they name other jobs), so an importer needs no shape for them.
_REFERENCES = {"Job", "Stage", "Reference"}


def _node_classes(prefix: str) -> list[Any]:
    """The attrs node classes of the public API (typed Any: attrs.fields wants an attrs class,
    and Node, their base, is not one)."""
    classes: list[Any] = []
    for name in gitlabci_dsl.__all__:
        value = getattr(gitlabci_dsl, name)
        if isinstance(value, type) and attrs.has(value) and value.__module__.startswith(prefix):
            classes.append(value)
    return classes


def test_checked_gives_attrs_fields_without_validators() -> None:
    """Every validated field of every node is a new Attribute: no validator, the check in metadata."""
    for cls in _node_classes("gitlabci_dsl."):
        checks = {name: check for name, _, check, _ in cls._field_checks}
        for field in attrs.fields(cls):
            assert field.validator is None, (cls, field.name)
            assert validator_of(field) is checks.get(field.name), (cls, field.name)
            if field.name in checks:
                assert field.metadata[VALIDATOR] is checks[field.name]


def test_moved_field_equals_attrs_evolve() -> None:
    """The Attribute checked() builds is the one Attribute.evolve would give, option for option."""
    given_fields: list[Any] = []

    def spy(cls: type, fields: list[Any]) -> list[Any]:
        given_fields.extend(fields)
        return checked(cls, fields)

    @attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=spy)
    class Probe(Node):
        first: int = attrs.field(kw_only=False, validator=of(int, what="a number"))
        second: str = attrs.field(
            default="x",
            validator=of(str, what="a string"),
            metadata={"mine": 1},
            alias="other",
            converter=str,
            repr=False,
            hash=False,
        )
        third: tuple[str, ...] | None = attrs.field(
            default=None, validator=seq(str, what="strings"), eq=False, order=False
        )
        plain: int = 0

    moved = {field.name: field for field in attrs.fields(Probe)}
    for field in given_fields:
        if field.validator is None:
            assert moved[field.name] is field
            continue
        check = field.validator
        expected = field.evolve(validator=None, metadata={**field.metadata, VALIDATOR: check})
        for slot in attrs.Attribute.__slots__:  # type: ignore[attr-defined]
            assert getattr(moved[field.name], slot) == getattr(expected, slot), (field.name, slot)
    assert Probe(1, other=2).second == "2"
    with pytest.raises(ValidationError, match="first='1' must be a number"):
        Probe("1")  # type: ignore[arg-type]


def test_subclass_keeps_the_checks_of_the_fields_it_inherits() -> None:
    """A checked subclass gets its parents' fields back already moved, and keeps their checks."""

    @attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
    class TeamJob(Job):
        team: str = attrs.field(default="web", validator=of(str, what="a team name"))

    fields = attrs.fields(TeamJob)
    assert validator_of(fields.timeout) is validator_of(attrs.fields(Job).timeout)
    assert shape_of(fields.rules) == shape_of(attrs.fields(Job).rules)
    with pytest.raises(ValidationError, match="timeout="):
        TeamJob("t", script=["x"], timeout="1 fortnight")
    with pytest.raises(ValidationError, match="team=5 must be a team name"):
        TeamJob("t", script=["x"], team=5)  # type: ignore[arg-type]


def test_factories_declare_their_shapes() -> None:
    """of, seq, mapping and all_of say which nodes, lists and mappings their field takes."""

    @attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
    class Probe(Node):
        word: str | None = attrs.field(default=None, validator=of(str, what="a string"))
        retry: Any = attrs.field(
            default=None,
            validator=all_of(of(int, nodes=("Retry",), what="a retry"), int_range(0, 2)),
        )
        cache: Any = attrs.field(default=None, validator=seq(nodes=("Cache",), what="c", one=True))
        rules: Any = attrs.field(default=None, validator=seq(nodes=("Rule",), what="rules"))
        tags: Any = attrs.field(default=None, validator=seq(str, what="tags"))
        env: Any = attrs.field(default=None, validator=mapping(str, what="strings"))
        secrets: Any = attrs.field(default=None, validator=mapping(nodes=("Secret",), what="s"))

    fields = attrs.fields(Probe)
    assert shape_of(fields.word) is PLAIN
    assert shape_of(fields.retry) == Shape(("Retry",))
    assert shape_of(fields.cache) == Shape(("Cache",), items=Shape(("Cache",)))
    assert shape_of(fields.rules) == Shape(items=Shape(("Rule",)))
    assert shape_of(fields.tags) is LIST
    assert shape_of(fields.env) is NAMED
    assert shape_of(fields.secrets) == Shape(values=Shape(("Secret",)))
    with pytest.raises(ValidationError, match="retry=3 must be a whole number from 0 to 2"):
        Probe(retry=3)


def test_shape_of_reads_plain_attrs_classes_and_hand_written_validators() -> None:
    """shape_of reads Attribute.validator where checked() did not run; @shaped declares a shape."""

    @shaped(Shape(("CacheKey",)))
    def check_key(inst: Any, attr: Any, value: Any) -> None:
        """A hand-written check."""

    @attrs.frozen
    class Plain:
        key: Any = attrs.field(default=None, validator=check_key)
        other: Any = attrs.field(default=None, validator=attrs.validators.instance_of(int))

    assert shape_of(attrs.fields(Plain).key) == Shape(("CacheKey",))
    assert shape_of(attrs.fields(Plain).other) is PLAIN
    with pytest.raises(AttributeError, match="read-only"):
        PLAIN.nodes = ("Job",)


def _split(text: str, sep: str = "|") -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"[": 1, "]": -1}.get(ch, 0)
        if ch == sep and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def _annotated(annotation: str, where: str) -> set[tuple[str, str]]:
    """(path, node class) pairs an annotation names: ``Sequence[Rule] | None`` → {("[]", "Rule")}."""
    found = set()
    for alternative in _split(annotation):
        if alternative.startswith("Sequence["):
            found |= _annotated(alternative[len("Sequence[") : -1], where + "[]")
        elif alternative.startswith("Mapping["):
            found |= _annotated(_split(alternative[len("Mapping[") : -1], ",")[1], where + "{}")
        elif alternative in gitlabci_dsl.__all__ and alternative not in _REFERENCES:
            value = getattr(gitlabci_dsl, alternative)
            if isinstance(value, type) and issubclass(value, Node):
                found.add((where, alternative))
    return found


def _declared(shape: Shape | None, where: str) -> set[tuple[str, str]]:
    if shape is None:
        return set()
    return {(where, node) for node in shape.nodes} | (
        _declared(shape.items, where + "[]") | _declared(shape.values, where + "{}")
    )


@pytest.mark.parametrize("cls", _node_classes("gitlabci_dsl."), ids=lambda cls: cls.__name__)
def test_validators_declare_every_node_their_annotation_names(cls: Any) -> None:
    """A field's shape names each node class its annotation allows, in a list or a mapping alike,
    so a hand-written validator that forgets @shaped is caught."""
    for field in attrs.fields(cls):
        wanted = _annotated(str(field.type), "")
        missing = wanted - _declared(shape_of(field), "")
        assert not missing, f"{cls.__name__}.{field.name}: {sorted(missing)} not in its shape"


@given(st.text(alphabet="0123456789 .:,\tandsecminhourdywkmothr", max_size=12))
def test_plain_durations_are_durations(text: str) -> None:
    """The duration fast path never accepts a text GitLab's duration grammar refuses."""
    from gitlabci_dsl.model import base

    if base._plain_duration(text):
        assert re.fullmatch(base._DURATION, text), text
