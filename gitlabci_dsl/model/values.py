"""Values that appear inside many keywords: ``!reference`` tags and variable definitions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import ValidationError
from ._base import DOCS, EXTRA, Node, checked, fail, of, seq

if TYPE_CHECKING:
    from .job import Job

__all__ = ["Reference", "Variable"]


@attrs.frozen(init=False, repr=False, eq=False)
class Reference(Node):
    """``!reference [job, key, ...]``: reuse a section of another job or template.

    ``Reference(setup, "script")`` or ``Reference(".setup", "script")``; a ``Job`` as the first
    element stands for its name. Emitted as the real YAML tag.
    See https://docs.gitlab.com/ci/yaml/yaml_optimization/#reference-tags
    """

    path: tuple[str, ...]

    def __init__(self, *path: str | Job) -> None:
        names: tuple[Any, ...] = tuple(
            p if isinstance(p, str) else getattr(p, "name", p) for p in path
        )
        if len(names) < 2 or not all(isinstance(n, str) and n for n in names):
            raise ValidationError(
                f"Reference{path!r}: give a job name (or Job) and at least one key, "
                "e.g. Reference('.setup', 'script'). "
                f"See {DOCS.replace('yaml/', 'yaml/yaml_optimization/')}#reference-tags"
            )
        self.__attrs_init__(path=names)


def _value_check(inst: Any, attr: Any, value: Any) -> None:
    if value is None or type(value) is str or isinstance(value, Reference):
        return
    fail(
        inst, attr.name, value, "must be a string (GitLab variable values are strings)", "variables"
    )


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Variable(Node):
    """A variable with more than a value: ``description``/``options`` (top level only), ``expand``.

    Top-level ``variables`` with ``description`` are prefilled in the "Run pipeline" form;
    ``options`` makes it a drop-down. ``expand=False`` keeps ``$`` literal.
    See https://docs.gitlab.com/ci/yaml/#variables
    """

    value: str | Reference | None = attrs.field(default=None, validator=_value_check)
    description: str | None = attrs.field(
        default=None, validator=of(str, what="a string", anchor="variablesdescription")
    )
    options: Sequence[str] | None = attrs.field(
        default=None,
        validator=seq(str, what="strings", non_empty=True, anchor="variablesoptions"),
    )
    expand: bool | None = attrs.field(
        default=None, validator=of(bool, what="True or False", anchor="variablesexpand")
    )
    extra: dict[str, Any] | None = attrs.field(default=None, validator=EXTRA)

    def _check(self) -> None:
        if self.options is not None:
            if len(set(self.options)) != len(self.options):
                fail(self, "options", self.options, "must not repeat a value", "variablesoptions")
            if self.value is not None and self.value not in self.options:
                fail(
                    self,
                    "value",
                    self.value,
                    f"must be one of its options {list(self.options)!r}",
                    "variablesoptions",
                )
