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
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from .errors import CompileError
from .model.job import Job, Need

if TYPE_CHECKING:
    from .model.pipeline import Pipeline

__all__ = ["Problem", "check_data", "problems", "validate"]


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


class Problem(NamedTuple):
    rule: str  # an id of gitlabci_dsl.lint.RULES
    job: str | None
    message: str  # with the rule's fix


def problems(
    data: dict[str, Any], *, included: bool = False, root: Path | None = None
) -> list[Problem]:
    """What GitLab's core finds GitLab would refuse in the compiled ``data`` (errors only);
    ``included``: a file other files include, whose names may be theirs; ``root``: the
    project whose ``include: local`` files are read (not followed without it)."""
    from .gitlab import checks
    from .lint import RULES, WHOLE_PIPELINE_RULES

    skipped = set(WHOLE_PIPELINE_RULES) if included else set()
    found: list[Problem] = []

    def report(rule: str, message: str, job: str | None, *path: str | int, **_: Any) -> None:
        known = RULES[rule]
        if known.severity == "error" and rule not in skipped:
            who = f"job {job!r}: " if job is not None else ""
            fix = f"{known.fix[0].lower()}{known.fix[1:]}"
            found.append(Problem(rule, job, f"{who}{message}; {fix}"))

    checks.check(data, report, root)
    return found


def check_data(data: dict[str, Any], *, included: bool = False) -> None:
    """Raise :class:`CompileError` listing :func:`problems` of the compiled ``data``."""
    found = problems(data, included=included)
    if found:
        raise CompileError("\n".join(problem.message for problem in found))
