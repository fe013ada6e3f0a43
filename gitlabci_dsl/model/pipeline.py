"""The pipeline as a whole: stages, jobs, global variables, ``default``, ``workflow``, ``include``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs

from ..gitlab import facts
from .base import (
    EXTRA,
    SCALAR_TYPES,
    Node,
    block_hint,
    checked,
    choice,
    duration,
    fail,
    is_node,
    mapping,
    of,
    seq,
    sized_str,
)
from .values import Reference

if TYPE_CHECKING:
    from .artifacts import Artifacts
    from .auto_cancel import AutoCancel
    from .cache import Cache
    from .image import Image
    from .include import Include
    from .job import Job, Stage
    from .options import Hooks, IdToken, Retry
    from .rules import Rule
    from .service import Service
    from .spec import Spec
    from .variable import Variable

__all__ = ["Default", "Pipeline", "Workflow"]

_SCRIPT = seq(str, nodes=("Reference",), what="shell commands", one=True)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Default(Node):
    """``default``: values every job inherits unless it sets its own.

    See https://docs.gitlab.com/ci/yaml/#default
    """

    image: Image | str | Reference | None = attrs.field(
        default=None,
        validator=of(
            str, nodes=("Image", "Reference"), what="an image name or Image(...)", anchor="default"
        ),
    )
    services: Sequence[Service | str | Reference] | None = attrs.field(
        default=None,
        validator=seq(
            str,
            nodes=("Service", "Reference"),
            what="image names or Service(...)",
            anchor="default",
        ),
    )
    before_script: Sequence[str | Reference] | str | Reference | None = attrs.field(
        default=None, validator=_SCRIPT
    )
    after_script: Sequence[str | Reference] | str | Reference | None = attrs.field(
        default=None, validator=_SCRIPT
    )
    hooks: Hooks | None = attrs.field(
        default=None, validator=of(nodes=("Hooks",), what="Hooks(...)", anchor="hooks")
    )
    cache: Sequence[Cache | Reference] | Cache | Reference | None = attrs.field(
        default=None,
        validator=seq(
            nodes=("Cache", "Reference"), what="Cache(...) objects", one=True, anchor="cache"
        ),
    )
    artifacts: Artifacts | Reference | None = attrs.field(
        default=None,
        validator=of(nodes=("Artifacts", "Reference"), what="Artifacts(...)", anchor="artifacts"),
    )
    interruptible: bool | None = attrs.field(
        default=None, validator=of(bool, what="True or False", anchor="interruptible")
    )
    id_tokens: Mapping[str, IdToken] | None = attrs.field(
        default=None,
        validator=mapping(nodes=("IdToken",), what="IdToken(aud=...)", anchor="id_tokens"),
    )
    identity: Literal["google_cloud"] | None = attrs.field(
        default=None, validator=choice("google_cloud", anchor="identity")
    )
    retry: int | Retry | None = attrs.field(
        default=None,
        validator=of(int, nodes=("Retry",), what="0, 1, 2 or Retry(...)", anchor="retry"),
    )
    tags: Sequence[str | Reference] | None = attrs.field(
        default=None, validator=seq(str, nodes=("Reference",), what="runner tags", anchor="tags")
    )
    timeout: str | None = attrs.field(default=None, validator=duration("timeout"))
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)

    def _check(self) -> None:
        if type(self.retry) is int and not 0 <= self.retry <= 2:
            fail(self, "retry", self.retry, "must be a whole number from 0 to 2", "retry")


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Workflow(Node):
    """``workflow``: whether a pipeline is created at all, its name and auto-cancel behaviour.

    Workflow rules take ``when='always'`` or ``'never'`` and may set ``variables`` and
    ``auto_cancel``. See https://docs.gitlab.com/ci/yaml/#workflow
    """

    name: str | None = attrs.field(default=None, validator=sized_str(1, 255, "workflowname"))
    auto_cancel: AutoCancel | None = attrs.field(
        default=None,
        validator=of(nodes=("AutoCancel",), what="AutoCancel(...)", anchor="workflowauto_cancel"),
    )
    rules: Sequence[Rule | Reference] | None = attrs.field(
        default=None,
        validator=seq(
            nodes=("Rule", "Reference"), what="Rule(...) objects", anchor="workflowrules"
        ),
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)

    @classmethod
    def merge_request_pipelines(
        cls, *, name: str | None = None, auto_cancel: AutoCancel | None = None
    ) -> Workflow:
        """Branch, tag and merge request pipelines, never two for one push: a push to a
        branch with an open merge request runs the merge request pipeline, other branches
        their branch pipeline, tags their tag pipeline; schedules and runs from the API, a
        trigger or the web are kept. The blocks join merge request pipelines under this
        workflow (:mod:`gitlabci_dsl.model.sources`); a job of your own does with
        ``rules=runs_on("branches", "tags", "merge_requests")``."""
        from .sources import merge_request_workflow

        return cls(name=name, auto_cancel=auto_cancel, rules=merge_request_workflow())

    def _check(self) -> None:
        for rule in self.rules or ():
            if isinstance(rule, Reference):
                continue
            if rule.when is not None and rule.when not in ("always", "never"):
                fail(
                    self,
                    "rules",
                    rule,
                    "workflow rules take when='always' or 'never'",
                    "workflowrules",
                )
            for field in ("start_in", "allow_failure", "needs", "interruptible"):
                if getattr(rule, field) is not None:
                    fail(
                        self, "rules", rule, f"workflow rules do not take {field}", "workflowrules"
                    )


def _source(inst: Any, attr: Any, value: Any) -> None:
    # It is written into the header comment: a line break would end the comment.
    if value is not None and (
        not isinstance(value, str) or not 0 < len(value) <= 200 or len(value.splitlines()) != 1
    ):
        fail(inst, "source", value, "must be a module name on one line", "")


def _stages(inst: Any, attr: Any, value: Any) -> None:
    seq(str, nodes=("Stage",), what="Stage objects or names", non_empty=True, anchor="stages")(
        inst, attr, value
    )


def _jobs(inst: Any, attr: Any, value: Any) -> None:
    if isinstance(value, (list, tuple)):
        for item in value:
            if not is_node(item, ("Job",)):
                fail(
                    inst,
                    "jobs",
                    item,
                    f"must hold Job objects, not {type(item).__name__}"
                    + block_hint(item, ("Job",)),
                    "job-keywords",
                )
        if type(value) is not tuple:
            object.__setattr__(inst, "jobs", tuple(value))
        return
    fail(inst, "jobs", value, "must be a list of Job objects", "job-keywords")


# GitLab's default stages without .pre and .post, which every pipeline has anyway.
_DEFAULT_STAGES = tuple(stage for stage in facts.DEFAULT_STAGES if not stage.startswith("."))


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Pipeline(Node):
    """A whole ``.gitlab-ci.yml``: ``Pipeline(stages=[build, test], jobs=[compile_, unit])``.

    ``stages`` omitted means GitLab's defaults (``build``, ``test``, ``deploy``). Jobs are emitted
    in the order given. ``spec`` adds the ``spec:`` header document. ``included=True`` marks a
    file that other pipeline files include (a ``.gitlab/ci/*.yml`` part): its stages, needs,
    ``extends`` and ``!reference`` may name what the including files define, so the checks that
    need the whole pipeline are left to them. ``source`` names the module in the generated
    file's header; ``gitlabci-dsl compile`` gives the module it compiles, so it is only worth
    setting for :func:`~gitlabci_dsl.to_yaml` calls of your own.
    See https://docs.gitlab.com/ci/yaml/
    """

    stages: Sequence[Stage | str] | None = attrs.field(default=None, validator=_stages)
    jobs: Sequence[Job] = attrs.field(factory=tuple, validator=_jobs)
    variables: Mapping[str, str | int | float | bool | Variable | Reference] | None = attrs.field(
        default=None,
        validator=mapping(
            *SCALAR_TYPES,
            nodes=("Variable", "Reference"),
            what="a string or Variable",
            anchor="variables",
        ),
    )
    default: Default | None = attrs.field(
        default=None, validator=of(nodes=("Default",), what="Default(...)", anchor="default")
    )
    workflow: Workflow | None = attrs.field(
        default=None, validator=of(nodes=("Workflow",), what="Workflow(...)", anchor="workflow")
    )
    include: Sequence[Include | str] | None = attrs.field(
        default=None,
        validator=seq(
            str, nodes=("Include",), what="Include(...) or file paths", one=True, anchor="include"
        ),
    )
    image: Image | str | None = attrs.field(
        default=None,
        validator=of(str, nodes=("Image",), what="an image name or Image(...)", anchor="default"),
    )
    """Deprecated global form; prefer ``default=Default(image=...)``."""
    services: Sequence[Service | str] | None = attrs.field(
        default=None,
        validator=seq(
            str, nodes=("Service",), what="image names or Service(...)", anchor="default"
        ),
    )
    """Deprecated global form; prefer ``default=Default(services=...)``."""
    before_script: Sequence[str | Reference] | str | Reference | None = attrs.field(
        default=None, validator=_SCRIPT
    )
    """Deprecated global form; prefer ``default=Default(before_script=...)``."""
    after_script: Sequence[str | Reference] | str | Reference | None = attrs.field(
        default=None, validator=_SCRIPT
    )
    """Deprecated global form; prefer ``default=Default(after_script=...)``."""
    cache: Sequence[Cache] | Cache | None = attrs.field(
        default=None,
        validator=seq(nodes=("Cache",), what="Cache(...) objects", one=True, anchor="default"),
    )
    """Deprecated global form; prefer ``default=Default(cache=...)``."""
    spec: Spec | None = attrs.field(
        default=None, validator=of(nodes=("Spec",), what="Spec(...)", anchor="spec")
    )
    included: bool = attrs.field(
        default=False, validator=of(bool, what="True or False", anchor="include")
    )
    source: str | None = attrs.field(default=None, validator=_source)
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)

    @property
    def stage_names(self) -> tuple[str, ...]:
        """The stages as names (GitLab's defaults when ``stages`` is omitted)."""
        if self.stages is None:
            return _DEFAULT_STAGES
        return tuple(str.__str__(s) if isinstance(s, str) else s.name for s in self.stages)
