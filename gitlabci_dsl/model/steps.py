"""``run``: CI/CD Steps, the step-based alternative to ``script`` (experimental in GitLab)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ..errors import ValidationError
from .base import DOCS, EXTRA, NAMED, Node, checked, fail, mapping, of, pattern, shaped

__all__ = ["Step"]

_A = "run"


@shaped(NAMED)
def _ref(inst: Any, attr: Any, value: Any) -> None:
    if value is None or (isinstance(value, str) and value):
        return
    if isinstance(value, Mapping) and len(value) == 1 and next(iter(value)) in ("git", "oci"):
        object.__setattr__(inst, attr.name, dict(value))
        return
    fail(
        inst,
        attr.name,
        value,
        "must be a step reference string or {'git': {...}} / {'oci': {...}}",
        _A,
    )


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Step(Node):
    """One step of ``run``: ``Step(name="hello", script="echo hi")`` or ``Step(name=..., step=REF)``.

    See https://docs.gitlab.com/ci/yaml/#run
    """

    name: str = attrs.field(
        validator=pattern(
            r"[A-Za-z_][A-Za-z0-9_]*", "must be an identifier (letters, digits, '_')", _A
        )
    )
    step: str | Mapping[str, Any] | None = attrs.field(default=None, validator=_ref)
    func: str | Mapping[str, Any] | None = attrs.field(default=None, validator=_ref)
    script: str | None = attrs.field(
        default=None, validator=of(str, what="a shell command", anchor=_A)
    )
    env: Mapping[str, str] | None = attrs.field(
        default=None, validator=mapping(str, what="a string", anchor=_A)
    )
    inputs: Mapping[str, Any] | None = attrs.field(
        default=None, validator=mapping(object, what="a value", anchor=_A)
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)

    def _check(self) -> None:
        present = [k for k in ("step", "func", "script") if getattr(self, k) is not None]
        if len(present) != 1:
            raise ValidationError(
                f"Step {self.name!r}: set exactly one of step, func or script "
                f"(got {', '.join(present) or 'none'}). See {DOCS}#run"
            )
        if self.script is not None and self.inputs is not None:
            raise ValidationError(
                f"Step {self.name!r}: inputs cannot be used with script. See {DOCS}#run"
            )
