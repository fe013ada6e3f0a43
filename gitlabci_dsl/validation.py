"""The checks a pipeline gets before it is written.

Most of what GitLab refuses is checked on the compiled data, by GitLab's core
(:mod:`gitlabci_dsl.gitlab.checks`), the same code ``lint`` runs on any YAML: stages, needs,
dependencies, extends, ``environment:on_stop``, cycles and limits. What is left here needs the
Python objects, because the compiled data cannot show it: two ``Job`` objects with one name
(a mapping keeps the last), and a ``Job`` object referred to (``needs=[build]``,
``extends=[base]``, ``on_stop=stop``) that was never added to the pipeline. All problems are
reported together in one :class:`CompileError`. Linear in the number of jobs and needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .errors import CompileError
from .model.job import Job, Need

if TYPE_CHECKING:
    from .model.pipeline import Pipeline

__all__ = ["check_data", "validate"]


def validate(pipeline: Pipeline) -> None:
    """Raise :class:`CompileError` listing the problems only the objects show."""
    problems: list[str] = []
    jobs: dict[str, Job] = {}
    for job in pipeline.jobs:
        if job.name in jobs:
            problems.append(
                f"job {job.name!r}: defined twice; job names must be unique in a pipeline"
            )
        jobs[job.name] = job
    for job in pipeline.jobs:
        for what, ref in _job_objects(job):
            if ref.name not in jobs:
                problems.append(
                    f"job {job.name!r}: {what} {ref.name!r}, which is not in this pipeline; "
                    "add it to Pipeline(jobs=...)"
                )
    if problems:
        raise CompileError("\n".join(problems))


def _job_objects(job: Job) -> Iterator[tuple[str, Job]]:
    """The ``Job`` objects ``job`` refers to, with the keyword that refers to them."""

    def jobs_in(what: str, items: Any) -> Iterator[tuple[str, Job]]:
        for item in items or ():
            ref = item.job if isinstance(item, Need) else item
            if isinstance(ref, Job):
                yield what, ref

    yield from jobs_in("needs", job.needs)
    yield from jobs_in("dependencies", job.dependencies)
    extends = job.extends
    yield from jobs_in("extends", (extends,) if isinstance(extends, (str, Job)) else extends)
    env = job.environment
    if env is not None and not isinstance(env, str) and isinstance(env.on_stop, Job):
        yield "environment.on_stop", env.on_stop
    for rule in job.rules or ():
        yield from jobs_in("rules.needs", getattr(rule, "needs", None))


def check_data(data: dict[str, Any], *, included: bool = False) -> None:
    """Raise :class:`CompileError` listing what GitLab's core finds it would refuse in the
    compiled ``data``; ``included``: a file other files include, whose names may be theirs."""
    from .gitlab import checks
    from .lint import RULES, WHOLE_PIPELINE_RULES

    skipped = set(WHOLE_PIPELINE_RULES) if included else set()
    problems: list[str] = []

    def report(rule: str, message: str, job: str | None, *path: str | int, **_: Any) -> None:
        known = RULES[rule]
        if known.severity == "error" and rule not in skipped:
            who = f"job {job!r}: " if job is not None else ""
            problems.append(f"{who}{message}; {known.fix[0].lower()}{known.fix[1:]}")

    checks.check(data, report)
    if problems:
        raise CompileError("\n".join(problems))
