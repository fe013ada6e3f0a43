"""Jobs, stages and needs: the nodes every pipeline is made of.

Attribute names are GitLab's keywords. The only renamed one is ``except`` (a Python keyword),
spelled ``except_`` here; see docs/keywords.md for the full table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import attrs

from ..errors import ValidationError
from ..gitlab import facts
from .base import (
    DOCS,
    EXTRA,
    PLAIN,
    SCALAR_TYPES,
    Node,
    Shape,
    all_of,
    checked,
    choice,
    duration,
    fail,
    int_range,
    is_node,
    mapping,
    nonempty_str,
    of,
    pattern,
    seq,
    shaped,
)

if TYPE_CHECKING:
    from .artifacts import Artifacts
    from .cache import Cache
    from .environment import Environment
    from .image import Image
    from .options import (
        AllowFailure,
        DastConfiguration,
        Hooks,
        IdToken,
        Inherit,
        OnlyExcept,
        Pages,
        Retry,
    )
    from .parallel import Parallel
    from .release import Release
    from .rules import Rule
    from .secrets import Secret
    from .service import Service
    from .spec import Input
    from .steps import Step
    from .trigger import Trigger
    from .values import Reference
    from .variable import Variable

__all__ = ["RESERVED_JOB_NAMES", "Job", "Need", "Stage", "When"]

RESERVED_JOB_NAMES = facts.RESERVED_JOB_NAMES

When = Literal["on_success", "on_failure", "always", "never", "manual", "delayed"]
WHEN_VALUES: tuple[str, ...] = ("on_success", "on_failure", "always", "never", "manual", "delayed")

_SCRIPT = ("Reference",)


def _stage_name_check(inst: Any, attr: Any, value: Any) -> None:
    if not isinstance(value, str) or not value:
        fail(inst, "name", value, "must be a non-empty string", "stages")


@attrs.frozen(repr=False, eq=False, field_transformer=checked)
class Stage(Node):
    """A pipeline stage: ``Stage("build")``. Jobs take a ``Stage`` (or its name) as ``stage``.

    See https://docs.gitlab.com/ci/yaml/#stages
    """

    name: str = attrs.field(validator=_stage_name_check)


def _job_name_check(inst: Any, attr: Any, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        fail(inst, "name", value, "must be a non-empty string", "job-keywords")
    if len(value) > 255:
        fail(inst, "name", value, f"is {len(value)} characters; GitLab allows 255", "job-keywords")
    if value.lower() in RESERVED_JOB_NAMES:
        fail(
            inst,
            "name",
            value,
            "is a reserved top-level keyword and cannot name a job; pick another name",
            "job-keywords",
        )


# ``extends``: a name, a Job, or a list of them.
_JOB_REFS = seq(str, nodes=("Job",), what="job names or Job objects", one=True, non_empty=True)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Need(Node):
    """One entry of ``needs`` with options; a plain ``Job`` or name is enough otherwise.

    ``Need(build, artifacts=False)``, ``Need("lint", optional=True)``,
    ``Need(job="build", project="group/other", ref="main")`` (cross-project),
    ``Need(job="build", pipeline="$PARENT_PIPELINE_ID")`` (parent pipeline).
    See https://docs.gitlab.com/ci/yaml/#needs
    """

    job: Job | str = attrs.field(
        kw_only=False, validator=of(str, nodes=("Job",), what="a job name or Job", anchor="needs")
    )
    artifacts: bool | None = attrs.field(
        default=None, validator=of(bool, what="True or False", anchor="needsartifacts")
    )
    optional: bool | None = attrs.field(
        default=None, validator=of(bool, what="True or False", anchor="needsoptional")
    )
    project: str | None = attrs.field(default=None, validator=nonempty_str("needsproject"))
    ref: str | None = attrs.field(default=None, validator=nonempty_str("needsproject"))
    pipeline: str | None = attrs.field(default=None, validator=nonempty_str("needspipeline"))
    parallel: Parallel | None = attrs.field(
        default=None,
        validator=of(
            nodes=("Parallel",), what="Parallel(matrix=[...])", anchor="needsparallelmatrix"
        ),
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)

    def _check(self) -> None:
        if self.project is not None and self.ref is None:
            fail(
                self,
                "ref",
                None,
                "is required with project (the branch or tag to take from)",
                "needsproject",
            )
        if self.ref is not None and self.project is None:
            fail(self, "ref", self.ref, "is only valid together with project", "needsproject")
        if self.project is not None and self.pipeline is not None:
            fail(
                self, "pipeline", self.pipeline, "cannot be combined with project", "needspipeline"
            )
        if self.optional is not None and self.project is not None:
            fail(
                self,
                "optional",
                self.optional,
                "is not allowed on a cross-project need",
                "needsoptional",
            )

    @property
    def name(self) -> str:
        """The needed job's name."""
        job = self.job
        return job if isinstance(job, str) else job.name

    @property
    def is_local(self) -> bool:
        """True when the needed job is in this pipeline (not another project or pipeline)."""
        return self.project is None and self.pipeline is None


_WHEN = choice(*WHEN_VALUES, anchor="when")
_REFS = seq(str, what="ref names or patterns", anchor="only--except")


@shaped(Shape(("OnlyExcept",), items=PLAIN))
def _only_except(inst: Any, attr: Any, value: Any) -> None:
    """``only``/``except``: a list of refs, or OnlyExcept(...) for the object form."""
    if not is_node(value, ("OnlyExcept",)):
        _REFS(inst, attr, value)


_BOOL = "True or False"


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Job(Node):
    """A GitLab CI job: ``Job("build", stage=build, script=["make"])``.

    Every job keyword of GitLab's schema is an attribute of the same name (``except`` is
    ``except_``). A name starting with ``.`` makes a hidden template job, for ``extends`` and
    ``!reference``. Lists are accepted wherever GitLab takes a sequence; ``needs``,
    ``dependencies``, ``extends`` and ``environment.on_stop`` take ``Job`` objects as well as
    names. ``extra`` is merged into the job last and overrides typed keys.
    See https://docs.gitlab.com/ci/yaml/#job-keywords
    """

    records_site: ClassVar[bool] = True

    name: str = attrs.field(kw_only=False, validator=_job_name_check)
    stage: Stage | str | None = attrs.field(
        default=None, validator=of(str, nodes=("Stage",), what="a Stage or a stage name")
    )
    image: Image | str | Reference | None = attrs.field(
        default=None,
        validator=of(str, nodes=("Image", "Reference"), what="an image name or Image(...)"),
    )
    services: Sequence[Service | str | Reference] | None = attrs.field(
        default=None,
        validator=seq(str, nodes=("Service", "Reference"), what="image names or Service(...)"),
    )
    variables: Mapping[str, str | int | float | bool | Variable | Reference] | None = attrs.field(
        default=None,
        validator=mapping(
            *SCALAR_TYPES, nodes=("Variable", "Reference"), what="a string or Variable"
        ),
    )
    needs: Sequence[Job | Need | str | Reference] | None = attrs.field(
        default=None,
        validator=seq(
            str, nodes=("Job", "Need", "Reference"), what="Job objects, names or Need(...)"
        ),
    )
    rules: Sequence[Rule | Reference] | None = attrs.field(
        default=None, validator=seq(nodes=("Rule", "Reference"), what="Rule(...) objects")
    )
    before_script: Sequence[str | Reference] | str | Reference | None = attrs.field(
        default=None, validator=seq(str, nodes=_SCRIPT, what="shell commands", one=True)
    )
    script: Sequence[str | Reference] | str | Reference | None = attrs.field(
        default=None,
        validator=seq(str, nodes=_SCRIPT, what="shell commands", one=True, non_empty=True),
    )
    after_script: Sequence[str | Reference] | str | Reference | None = attrs.field(
        default=None, validator=seq(str, nodes=_SCRIPT, what="shell commands", one=True)
    )
    extends: Sequence[Job | str] | Job | str | None = attrs.field(default=None, validator=_JOB_REFS)
    dependencies: Sequence[Job | str] | None = attrs.field(
        default=None, validator=seq(str, nodes=("Job",), what="Job objects or job names")
    )
    cache: Sequence[Cache | Reference] | Cache | Reference | None = attrs.field(
        default=None,
        validator=seq(nodes=("Cache", "Reference"), what="Cache(...) objects", one=True),
    )
    artifacts: Artifacts | Reference | None = attrs.field(
        default=None, validator=of(nodes=("Artifacts", "Reference"), what="Artifacts(...)")
    )
    when: When | None = attrs.field(default=None, validator=_WHEN)
    start_in: str | None = attrs.field(default=None, validator=duration("when"))
    manual_confirmation: str | None = attrs.field(
        default=None, validator=nonempty_str("manual_confirmation")
    )
    allow_failure: bool | AllowFailure | None = attrs.field(
        default=None,
        validator=of(
            bool, nodes=("AllowFailure",), what="True, False or AllowFailure(exit_codes=...)"
        ),
    )
    environment: Environment | str | None = attrs.field(
        default=None, validator=of(str, nodes=("Environment",), what="a name or Environment(...)")
    )
    tags: Sequence[str | Reference] | None = attrs.field(
        default=None, validator=seq(str, nodes=_SCRIPT, what="runner tags")
    )
    timeout: str | None = attrs.field(default=None, validator=duration("timeout"))
    retry: int | Retry | None = attrs.field(
        default=None,
        validator=all_of(of(int, nodes=("Retry",), what="0, 1, 2 or Retry(...)"), int_range(0, 2)),
    )
    parallel: int | Parallel | None = attrs.field(
        default=None,
        validator=all_of(
            of(int, nodes=("Parallel",), what="a number or Parallel(matrix=...)"),
            int_range(1, facts.MAX_PARALLEL),
        ),
    )
    interruptible: bool | None = attrs.field(default=None, validator=of(bool, what=_BOOL))
    resource_group: str | None = attrs.field(default=None, validator=nonempty_str("resource_group"))
    coverage: str | None = attrs.field(
        default=None,
        validator=pattern(
            r"/.+/", "must be a regular expression between slashes, e.g. '/TOTAL.*\\s(\\d+)%/'"
        ),
    )
    trigger: Trigger | str | None = attrs.field(
        default=None, validator=of(str, nodes=("Trigger",), what="a project path or Trigger(...)")
    )
    run: Sequence[Step] | None = attrs.field(
        default=None, validator=seq(nodes=("Step",), what="Step(...) objects", non_empty=True)
    )
    inherit: Inherit | None = attrs.field(
        default=None, validator=of(nodes=("Inherit",), what="Inherit(...)")
    )
    release: Release | None = attrs.field(
        default=None, validator=of(nodes=("Release",), what="Release(...)")
    )
    secrets: Mapping[str, Secret] | None = attrs.field(
        default=None, validator=mapping(nodes=("Secret",), what="Secret(...)")
    )
    id_tokens: Mapping[str, IdToken] | None = attrs.field(
        default=None, validator=mapping(nodes=("IdToken",), what="IdToken(aud=...)")
    )
    identity: Literal["google_cloud"] | None = attrs.field(
        default=None, validator=choice("google_cloud", anchor="identity")
    )
    pages: bool | Pages | None = attrs.field(
        default=None, validator=of(bool, nodes=("Pages",), what="True, False or Pages(...)")
    )
    publish: str | None = attrs.field(default=None, validator=nonempty_str("pages"))
    hooks: Hooks | None = attrs.field(
        default=None, validator=of(nodes=("Hooks",), what="Hooks(...)")
    )
    dast_configuration: DastConfiguration | None = attrs.field(
        default=None, validator=of(nodes=("DastConfiguration",), what="DastConfiguration(...)")
    )
    inputs: Mapping[str, Input] | None = attrs.field(
        default=None, validator=mapping(nodes=("Input",), what="Input(...)", anchor="inputs")
    )
    only: Sequence[str] | OnlyExcept | None = attrs.field(
        default=None,
        validator=_only_except,
    )
    except_: Sequence[str] | OnlyExcept | None = attrs.field(
        default=None,
        validator=_only_except,
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)

    def _check(self) -> None:
        when = self.when
        if when == "delayed" and self.start_in is None:
            fail(self, "when", when, "needs start_in, e.g. start_in='30 minutes'", "when")
        if self.start_in is not None and when != "delayed":
            fail(self, "start_in", self.start_in, "is only valid with when='delayed'", "start_in")
        if self.manual_confirmation is not None and when != "manual":
            fail(
                self,
                "manual_confirmation",
                self.manual_confirmation,
                "is only valid with when='manual'",
                "manual_confirmation",
            )
        if self.variables:
            for key, value in self.variables.items():
                if is_node(value, ("Variable",)) and (
                    getattr(value, "description", None) is not None
                    or getattr(value, "options", None) is not None
                ):
                    raise ValidationError(
                        f"{self._label()}: variables[{key!r}] uses description/options, which GitLab "
                        f"allows only in top-level variables; move it to Pipeline(variables=...). "
                        f"See {DOCS}#variablesdescription"
                    )

    def _label(self) -> str:
        return f"job {self.name!r}"

    @property
    def hidden(self) -> bool:
        """True for template jobs (names starting with ``.``) that GitLab never runs."""
        return self.name.startswith(".")

    @property
    def stage_name(self) -> str | None:
        """The stage as a name, whether it was given as a ``Stage`` or a string."""
        stage = self.stage
        return stage if stage is None or isinstance(stage, str) else stage.name
