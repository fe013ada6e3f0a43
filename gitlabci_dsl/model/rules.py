"""``rules``: when a job (or the pipeline, or an include) is added, and how.

One ``Rule`` class serves ``rules``, ``workflow:rules`` and ``include:rules``; the compiler checks
that a rule only uses the clauses its context allows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .base import (
    EXTRA,
    PLAIN,
    SCALAR_TYPES,
    Node,
    Shape,
    checked,
    choice,
    duration,
    fail,
    is_node,
    mapping,
    of,
    seq,
    shaped,
)
from .job import WHEN_VALUES

if TYPE_CHECKING:
    from .auto_cancel import AutoCancel
    from .changes import Changes, Exists
    from .job import Job, Need, When

__all__ = ["Rule"]


_CHANGES = "a list of paths or Changes(...)"
_EXISTS = "a list of paths or Exists(...)"


def _paths_or(node: str, what: str, anchor: str) -> Any:
    listed = seq(str, what="glob patterns", anchor=anchor)

    def check(inst: Any, attr: Any, value: Any) -> None:
        if value is None or is_node(value, (node,)):
            return
        if isinstance(value, str):
            fail(inst, attr.name, value, f"must be {what} (a lone string is not a list)", anchor)
        listed(inst, attr, value)

    return shaped(Shape((node,), items=PLAIN))(check)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Rule(Node):
    """One entry of ``rules``: ``Rule(if_="$CI_COMMIT_TAG", when="manual")``.

    ``if_`` is GitLab's ``if`` (a Python keyword). A rule with no clause always matches.
    In ``workflow`` rules, ``when`` is ``always``/``never`` and ``auto_cancel`` is allowed; in
    ``include`` rules only ``if_``, ``changes``, ``exists`` and ``when`` are.
    See https://docs.gitlab.com/ci/yaml/#rules
    """

    if_: str | None = attrs.field(
        default=None, validator=of(str, what="an expression string", anchor="rulesif")
    )
    changes: Sequence[str] | Changes | None = attrs.field(
        default=None, validator=_paths_or("Changes", _CHANGES, "ruleschanges")
    )
    exists: Sequence[str] | Exists | None = attrs.field(
        default=None, validator=_paths_or("Exists", _EXISTS, "rulesexists")
    )
    variables: Mapping[str, str | int | float | bool] | None = attrs.field(
        default=None, validator=mapping(*SCALAR_TYPES, what="a string", anchor="rulesvariables")
    )
    when: When | None = attrs.field(default=None, validator=choice(*WHEN_VALUES, anchor="when"))
    start_in: str | None = attrs.field(default=None, validator=duration("when"))
    allow_failure: bool | None = attrs.field(
        default=None, validator=of(bool, what="True or False", anchor="rulesallow_failure")
    )
    needs: Sequence[Job | Need | str] | None = attrs.field(
        default=None,
        validator=seq(
            str, nodes=("Job", "Need"), what="Job objects, names or Need(...)", anchor="rulesneeds"
        ),
    )
    interruptible: bool | None = attrs.field(
        default=None, validator=of(bool, what="True or False", anchor="rulesinterruptible")
    )
    auto_cancel: AutoCancel | None = attrs.field(
        default=None,
        validator=of(
            nodes=("AutoCancel",), what="AutoCancel(...)", anchor="workflowrulesauto_cancel"
        ),
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)

    def _check(self) -> None:
        if self.when == "delayed" and self.start_in is None:
            fail(self, "when", self.when, "needs start_in, e.g. start_in='30 minutes'", "when")
        if self.start_in is not None and self.when != "delayed":
            fail(self, "start_in", self.start_in, "is only valid with when='delayed'", "start_in")
