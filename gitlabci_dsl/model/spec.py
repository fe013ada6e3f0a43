"""The ``spec:`` header document: inputs of a configuration file or CI/CD component."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs

from .base import (
    EXTRA,
    LIST,
    MANDATORY,
    Node,
    checked,
    choice,
    choices,
    fail,
    mapping,
    of,
    seq,
    shaped,
    sized_str,
)

if TYPE_CHECKING:
    from .include import Include

__all__ = ["MANDATORY", "Input", "InputRule", "Spec"]

_A = "specinputs"

_TYPES = {"string": (str,), "number": (int, float), "boolean": (bool,), "array": (list, tuple)}


@shaped(LIST)
def _options(inst: Any, attr: Any, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(v, (str, int, float, bool)) for v in value
    ):
        fail(
            inst,
            "options",
            value,
            "must be a list of strings, numbers or booleans",
            "specinputsoptions",
        )
    if len(value) > 50:
        fail(inst, "options", value, "takes at most 50 values", "specinputsoptions")
    object.__setattr__(inst, "options", tuple(value))


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class InputRule(Node):
    """A rule of an input: its options and default depend on an expression.

    See https://docs.gitlab.com/ci/inputs/#define-conditional-input-options-with-specinputsrules
    """

    if_: str | None = attrs.field(default=None, validator=of(str, what="an expression", anchor=_A))
    options: Sequence[str | int | float | bool] | None = attrs.field(
        default=None, validator=_options
    )
    default: Any = attrs.field()
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Input(Node):
    """One input of ``spec:inputs`` (or of a job's ``inputs``).

    Without ``default`` the input is mandatory. ``Input(type="number", default=3)``.
    See https://docs.gitlab.com/ci/yaml/#specinputs
    """

    type: Literal["string", "number", "boolean", "array"] | None = attrs.field(
        default=None, validator=choice(*_TYPES, anchor="specinputstype")
    )
    description: str | None = attrs.field(
        default=None, validator=sized_str(0, 1024, "specinputsdescription")
    )
    options: Sequence[str | int | float | bool] | None = attrs.field(
        default=None, validator=_options
    )
    regex: str | None = attrs.field(
        default=None, validator=of(str, what="a regular expression", anchor="specinputsregex")
    )
    default: Any = attrs.field(default=MANDATORY)
    rules: Sequence[InputRule] | None = attrs.field(
        default=None,
        validator=seq(nodes=("InputRule",), what="InputRule(...)", anchor="specinputsrules"),
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)

    def _check(self) -> None:
        if self.has_default and self.default is not None:
            allowed = _TYPES[self.type or "string"]
            value = self.default
            if not isinstance(value, allowed) or (
                self.type == "number" and isinstance(value, bool)
            ):
                fail(
                    self,
                    "default",
                    value,
                    f"does not match type {self.type or 'string'!r}",
                    "specinputstype",
                )
            if self.options is not None and value not in self.options:
                fail(self, "default", value, "must be one of the options", "specinputsoptions")
        if self.rules is not None and (self.options is not None or self.has_default):
            fail(
                self,
                "rules",
                self.rules,
                "replace options and default; do not set them too",
                "specinputsrules",
            )

    @property
    def has_default(self) -> bool:
        """False for a mandatory input."""
        return self.default is not MANDATORY


_INPUTS = mapping(type(None), nodes=("Input",), what="Input(...) or None", anchor=_A)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Spec(Node):
    """The header document before ``---``: ``Spec(inputs={"stage": Input(default="test")})``.

    See https://docs.gitlab.com/ci/yaml/#spec
    """

    inputs: Mapping[str, Input | None] | None = attrs.field(default=None, validator=_INPUTS)
    include: Sequence[Include] | None = attrs.field(
        default=None, validator=seq(nodes=("Include",), what="Include(...)", anchor="specinclude")
    )
    component: Sequence[Literal["name", "sha", "version", "reference"]] | None = attrs.field(
        default=None,
        validator=choices("name", "sha", "version", "reference", anchor="speccomponent"),
    )
    description: str | None = attrs.field(
        default=None, validator=sized_str(0, 256, "specdescription")
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)

    def _check(self) -> None:
        if isinstance(self.component, str):
            object.__setattr__(self, "component", (self.component,))
