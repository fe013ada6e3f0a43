"""A dynamic child pipeline: a job compiles a pipeline module when the pipeline runs, and a
trigger job starts the YAML it wrote.

``DynamicChild(module="pipelines/services.py")`` gives two jobs (``.jobs()``):

* ``generate-<name>``: installs this package, pinned to the version that compiled the parent,
  in a pinned Python image, and runs ``gitlabci-dsl compile --stdout <module>`` into an
  artifact, so that the set of jobs can depend on the repository's content at run time;
* ``<name>``: ``trigger: include: [{artifact: ..., job: generate-<name>}]`` with
  ``strategy: depend`` (the parent waits for the child and takes its result) and
  ``forward`` of the YAML and pipeline variables, so the child sees what the parent saw.

See https://docs.gitlab.com/ci/pipelines/downstream_pipelines/#dynamic-child-pipelines
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

import attrs

from ..model.artifacts import Artifacts
from ..model.base import checked, fail
from ..model.job import Job, Need, Stage
from ..model.rules import Rule
from ..model.trigger import Forward, Generated, Trigger, artifact_file, pipeline_module
from ..model.values import Reference
from ._fields import NAME, NULLABLE, RULES, STAGE, JobBlock, build_pipelines, closed
from ._shell import quote
from .registry import image_reference

__all__ = ["PYTHON_IMAGE", "DynamicChild"]

PYTHON_IMAGE = "python:3.12.8-slim"
"""A pinned Python image for the generator job (``python_image=`` picks another)."""


def _package(inst: Any, attr: Any, value: Any) -> None:
    if not isinstance(value, str) or not re.fullmatch(
        r"[A-Za-z0-9_.\-\[\],]+==[A-Za-z0-9_.+!-]+", value
    ):
        fail(
            inst,
            "package",
            value,
            "must pin one version, such as 'gitlabci-dsl==0.1.0' (the generator must compile "
            "with the version that compiled the parent)",
            "",
        )


def _pinned() -> str:
    from .. import __version__

    return f"gitlabci-dsl=={__version__}"


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class DynamicChild(JobBlock):
    """A child pipeline compiled at run time from ``module`` (see the module's docs).

    ``name`` names the trigger job, ``generate-<name>`` the generator; ``stage`` is the
    generator's, ``trigger_stage`` the trigger job's (default: the same stage, the trigger
    needing the generator). ``variables`` are given to the child through the trigger job;
    ``rules`` (default: branch, tag and merge request pipelines) apply to both jobs. The common
    job options (runner ``tags``, ``timeout``, ``retry``, ``interruptible``) are the
    generator's: GitLab takes none of them on a trigger job.
    """

    module: str = attrs.field(validator=pipeline_module)
    name: str = attrs.field(default="child", validator=NAME)
    stage: Stage | str | None = attrs.field(default="build", validator=STAGE, metadata=NULLABLE)
    trigger_stage: Stage | str | None = attrs.field(
        default=None, validator=STAGE, metadata=NULLABLE
    )
    artifact: str | None = attrs.field(default=None, validator=artifact_file, metadata=NULLABLE)
    package: str = attrs.field(factory=_pinned, validator=_package)
    python_image: str = attrs.field(default=PYTHON_IMAGE, validator=image_reference())
    strategy: Literal["depend", "mirror"] = attrs.field(
        default="depend", validator=closed("depend", "mirror", anchor="triggerstrategy")
    )
    rules: Sequence[Rule | Reference] | None = attrs.field(
        factory=build_pipelines, validator=RULES, metadata=NULLABLE
    )

    @property
    def generator_name(self) -> str:
        return f"generate-{self.name}"

    @property
    def artifact_path(self) -> str:
        return self.artifact or f"generated/{self.name}.yml"

    def jobs(self) -> tuple[Job, Job]:
        """The generator job, then the trigger job: add both to the pipeline."""
        return self.job(), self.trigger_job()

    def _job(self) -> Job:
        """The generator job."""
        artifact = self.artifact_path
        folder = artifact.rpartition("/")[0]
        script = [f"python -m pip install --quiet {quote(self.package)}"]
        if folder:
            script.append(f"mkdir -p {quote(folder)}")
        script.append(f"gitlabci-dsl compile --stdout {quote(self.module)} > {quote(artifact)}")
        return Job(
            self.generator_name,
            stage=self.stage,
            image=self.python_image,
            rules=self.rules,
            script=script,
            artifacts=Artifacts(paths=[artifact], expire_in="1 week"),
        )

    def trigger_job(self) -> Job:
        """The trigger job: starts the child from the generator's artifact."""
        include = Generated(
            module=self.module, artifact=self.artifact_path, job=self.generator_name
        )
        return Job(
            self.name,
            stage=self.trigger_stage if self.trigger_stage is not None else self.stage,
            needs=[Need(self.generator_name, artifacts=True)],
            rules=self.rules,
            variables=self.variables,
            trigger=Trigger(
                include=[include],
                strategy=self.strategy,
                forward=Forward(yaml_variables=True, pipeline_variables=True),
            ),
        )

    def job(self) -> Job:
        """The generator job, with the runner options (the child gets ``variables`` through
        the trigger job, not the generator)."""
        return self.with_options(self._job(), variables=False)
