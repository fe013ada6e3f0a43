"""A variable with more than a value: ``description``, ``options``, ``expand``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .base import EXTRA, Node, Shape, checked, fail, is_node, of, seq, shaped

if TYPE_CHECKING:
    from .values import Reference

__all__ = ["Variable"]


@shaped(Shape(("Reference",)))
def _value_check(inst: Any, attr: Any, value: Any) -> None:
    if value is None or isinstance(value, str) or is_node(value, ("Reference",)):
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
