"""``trigger``: start a downstream (multi-project) or child pipeline."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs

from .base import (
    EXTRA,
    Node,
    Shape,
    checked,
    choice,
    exclusive,
    fail,
    is_node,
    is_relative_path,
    mapping,
    nonempty_str,
    of,
    shaped,
)

if TYPE_CHECKING:
    from .include import Include
    from .pipeline import Pipeline

__all__ = ["Child", "Forward", "Generated", "Trigger"]


def _project_path(pattern: str, says: str, anchor: str) -> Callable[[Any, Any, Any], None]:
    """A validator of a path of the project: relative, no ``..``, matching ``pattern``."""
    compiled = re.compile(pattern)

    def check(inst: Any, attr: Any, value: Any) -> None:
        if not is_relative_path(value, compiled):
            fail(inst, attr.name, value, says, anchor)

    return check


_child_file = _project_path(
    r"[A-Za-z0-9_.][A-Za-z0-9_./-]*\.ya?ml",
    "must be a .yml file of the project, as a relative path such as '.gitlab/ci/app.yml' (no '..')",
    "triggerinclude",
)
pipeline_module = _project_path(
    r"[A-Za-z0-9_][A-Za-z0-9_/.-]*\.py",
    "must be a pipeline module of the project, as a relative path such as 'pipelines/services.py'",
    "",
)
artifact_file = _project_path(
    r"[A-Za-z0-9_][A-Za-z0-9_/.-]*\.ya?ml",
    "must be a .yml path in the job's folder, such as 'generated/services.yml'",
    "triggerinclude",
)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Child(Node):
    """A child pipeline that ``compile`` writes: ``Trigger(include=Child(app, file=
    ".gitlab/ci/app.yml"))`` writes the pipeline ``app`` to that file (checked as a whole
    pipeline of its own) and includes it (``trigger: include: [{local: ...}]``). A child can
    trigger children of its own, two levels deep at most, as GitLab allows.

    See https://docs.gitlab.com/ci/pipelines/downstream_pipelines/#parent-child-pipelines
    """

    pipeline: Pipeline = attrs.field(
        kw_only=False,
        validator=of(nodes=("Pipeline",), what="a Pipeline(...)", anchor="triggerinclude"),
    )
    file: str = attrs.field(validator=_child_file)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Generated(Node):
    """A child pipeline the job ``job`` compiles from the pipeline module ``module`` when the
    pipeline runs and keeps as the artifact ``artifact``: ``trigger: include: [{artifact: ...,
    job: ...}]`` (what :class:`~gitlabci_dsl.DynamicChild` writes). ``explain`` and ``graph``
    of the parent's module compile ``module`` as the job would on this checkout, and follow
    the child it gives.

    See https://docs.gitlab.com/ci/pipelines/downstream_pipelines/#dynamic-child-pipelines
    """

    module: str = attrs.field(validator=pipeline_module)
    artifact: str = attrs.field(validator=artifact_file)
    job: str = attrs.field(validator=nonempty_str("triggerinclude"))


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Forward(Node):
    """``trigger:forward``: which variables the downstream pipeline receives.

    See https://docs.gitlab.com/ci/yaml/#triggerforward
    """

    yaml_variables: bool | None = attrs.field(
        default=None, validator=of(bool, what="True or False", anchor="triggerforward")
    )
    pipeline_variables: bool | None = attrs.field(
        default=None, validator=of(bool, what="True or False", anchor="triggerforward")
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)


@shaped(Shape(("Child",), items=Shape(("Include", "Child", "Generated"))))
def _include(inst: Any, attr: Any, value: Any) -> None:
    if is_node(value, ("Child",)):
        object.__setattr__(inst, "include", (value,))
        return
    if value is None or isinstance(value, str):
        if isinstance(value, str) and not value.endswith((".yml", ".yaml")):
            fail(inst, "include", value, "must be a .yml or .yaml file", "triggerinclude")
        return
    if isinstance(value, (list, tuple)):
        if not value or len(value) > 3:
            fail(inst, "include", value, "takes 1 to 3 files", "triggerinclude")
        for item in value:
            if is_node(item, ("Child", "Generated")):
                continue
            if not is_node(item, ("Include",)):
                fail(
                    inst,
                    "include",
                    value,
                    "items must be Include(...), Child(...) or Generated(...), not "
                    f"{type(item).__name__}",
                    "triggerinclude",
                )
            if item.project is not None and not isinstance(item.file, str):
                fail(
                    inst,
                    "include",
                    item,
                    "a project include in a trigger takes one file (a string)",
                    "triggerinclude",
                )
            if item.rules is not None:
                fail(inst, "include", item, "trigger includes do not take rules", "triggerinclude")
        object.__setattr__(inst, "include", tuple(value))
        return
    fail(
        inst,
        "include",
        value,
        "must be a file path, a Child(...) or a list of Include(...) and Child(...)",
        "triggerinclude",
    )


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Trigger(Node):
    """``trigger``: ``Trigger(project="group/deployer", branch="main", strategy="depend")`` for a
    multi-project pipeline, ``Trigger(include="ci/child.yml")`` for a child pipeline, or
    ``Trigger(include=Child(pipeline, file="ci/child.yml"))`` for one this package writes.

    See https://docs.gitlab.com/ci/yaml/#trigger
    """

    project: str | None = attrs.field(default=None, validator=nonempty_str("triggerproject"))
    branch: str | None = attrs.field(default=None, validator=nonempty_str("triggerbranch"))
    include: str | Child | Sequence[Include | Child | Generated] | None = attrs.field(
        default=None, validator=_include
    )
    strategy: Literal["depend", "mirror"] | None = attrs.field(
        default=None, validator=choice("depend", "mirror", anchor="triggerstrategy")
    )
    forward: Forward | None = attrs.field(
        default=None, validator=of(nodes=("Forward",), what="Forward(...)", anchor="triggerforward")
    )
    inputs: Mapping[str, Any] | None = attrs.field(
        default=None, validator=mapping(object, what="a value", anchor="triggerinputs")
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)

    def _check(self) -> None:
        if self.extra is None:
            exclusive(self, ("project", "include"), required=True, anchor="trigger")
        if self.branch is not None and self.project is None:
            fail(self, "branch", self.branch, "is only valid with project", "triggerbranch")
