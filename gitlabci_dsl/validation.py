"""Checks across objects, run by the compiler before anything is written.

Each node checks its own fields when it is built; what is left needs the whole pipeline: stages
that exist, unique job names, ``needs``/``dependencies``/``extends``/``on_stop`` that point at jobs
in the pipeline, needs that do not point forward in stages or form a cycle, and GitLab's limits.
All problems are collected and reported together in one :class:`CompileError`. Linear in the
number of jobs and needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .errors import CompileError
from .model.job import Job, Need
from .model.values import Reference

if TYPE_CHECKING:
    from .model.pipeline import Pipeline

__all__ = ["MAX_NEEDS", "validate"]

DOCS = "https://docs.gitlab.com/ci/yaml/"
MAX_NEEDS = 50
MAX_EXTENDS_DEPTH = 11
_EDGE_STAGES = (".pre", ".post")


def validate(pipeline: Pipeline) -> None:
    """Raise :class:`CompileError` listing every cross-object problem in ``pipeline``."""
    problems: list[str] = []
    add = problems.append
    stages = {name: i + 1 for i, name in enumerate(pipeline.stage_names)}
    stages[".pre"] = 0
    stages[".post"] = len(stages) + 1
    has_includes = bool(pipeline.include)
    # A file other files include: its names and stages may be defined there.
    part = pipeline.included
    open_ended = has_includes or part
    # GitLab puts a job without ``stage`` in ``test``.
    default_stage = "test"

    jobs: dict[str, Job] = {}
    for job in pipeline.jobs:
        if job.name in jobs:
            add(f"job {job.name!r}: defined twice; job names must be unique in a pipeline")
        jobs[job.name] = job
        if job.hidden:
            continue
        stage = job.stage_name or default_stage
        # A stage given by a `spec:` input (`$[[ inputs.stage ]]`) is only known once included.
        if stage not in stages and not open_ended and "$[[" not in stage:
            known = ", ".join(s for s in stages if s not in _EDGE_STAGES)
            add(
                f"job {job.name!r}: stage {stage!r} is not in the pipeline's stages ({known}); "
                f"add Stage({stage!r}) to Pipeline(stages=...) or pick one of them. See {DOCS}#stages"
            )
        if (
            not open_ended  # the job may complete one of an included file
            and job.script is None
            and job.trigger is None
            and job.run is None
            and job.extends is None
            and not _in_extra(job, ("script", "trigger", "run", "extends"))
        ):
            add(
                f"job {job.name!r}: has no script, trigger or run, so GitLab rejects it; add "
                f"script=[...] or make it a template by starting its name with '.'. See {DOCS}#script"
            )
        if job.trigger is not None and (job.script is not None or job.run is not None):
            add(f"job {job.name!r}: a trigger job cannot have script or run. See {DOCS}#trigger")

    def stage_of(job: Job) -> int:
        return stages.get(job.stage_name or default_stage, -1)

    def resolve(owner: Job, what: str, ref: Any, *, optional: bool = False) -> Job | None:
        """The job ``ref`` names, or None (with a problem recorded unless it may live elsewhere)."""
        is_obj = isinstance(ref, Job)
        name = ref.name if is_obj else ref
        target = jobs.get(name)
        if target is not None:
            if target.hidden and what != "extends":
                add(f"job {owner.name!r}: {what} {name!r} is a hidden template, which never runs")
                return None
            return target
        if optional or (open_ended and not is_obj):
            return None  # may come from an included file; GitLab checks it after merging
        hint = (
            "add it to Pipeline(jobs=...)"
            if is_obj
            else "check the spelling or add the job to Pipeline(jobs=...)"
        )
        add(f"job {owner.name!r}: {what} {name!r}, which is not in this pipeline; {hint}")
        return None

    edges: dict[str, list[str]] = {}
    for job in pipeline.jobs:
        needs = job.needs
        if needs:
            if len(needs) > MAX_NEEDS:
                add(
                    f"job {job.name!r}: needs {len(needs)} jobs; GitLab allows at most {MAX_NEEDS}. "
                    f"See {DOCS}#needs"
                )
            here = stage_of(job)
            targets: list[str] = []
            for need in needs:
                if isinstance(need, Reference):
                    continue
                if isinstance(need, Need):
                    if not need.is_local:
                        continue
                    target = resolve(job, "needs", need.job, optional=bool(need.optional))
                else:
                    target = resolve(job, "needs", need)
                if target is None:
                    continue
                targets.append(target.name)
                if not job.hidden and not part and here >= 0 and stage_of(target) > here:
                    add(
                        f"job {job.name!r}: needs {target.name!r}, which is in a later stage "
                        f"({target.stage_name or default_stage!r}); a job can only need jobs in "
                        f"its own or earlier stages. See {DOCS}#needs"
                    )
            edges[job.name] = targets
        if job.dependencies:
            here = stage_of(job)
            for dep in job.dependencies:
                target = resolve(job, "dependencies", dep)
                if (
                    target is not None
                    and not job.hidden
                    and not part
                    and here >= 0
                    and stage_of(target) > here
                ):
                    add(
                        f"job {job.name!r}: dependencies {target.name!r} is in a later stage; "
                        f"artifacts can only come from earlier stages. See {DOCS}#dependencies"
                    )
        for parent in _listed(job.extends):
            resolve(job, "extends", parent)
        env = job.environment
        if env is not None and not isinstance(env, str) and env.on_stop is not None:
            resolve(job, "environment.on_stop", env.on_stop)
        for rule in job.rules or ():
            for need in getattr(rule, "needs", None) or ():
                if isinstance(need, Need):
                    resolve(job, "rules.needs", need.job, optional=bool(need.optional))
                else:
                    resolve(job, "rules.needs", need)

    cycle = _find_cycle(edges)
    if cycle:
        add(
            f"needs form a cycle: {' -> '.join(cycle)}; remove one of these needs. See {DOCS}#needs"
        )
    chain = _deep_extends(jobs)
    if chain:
        shown = " -> ".join(chain)
        if len(chain) > 8:  # a chain from a pasted file can be thousands of jobs long
            shown = " -> ".join([*chain[:4], "...", *chain[-3:]]) + f" ({len(chain)} jobs)"
        add(
            f"extends chain {shown} is circular or deeper than {MAX_EXTENDS_DEPTH} levels. "
            f"See {DOCS}#extends"
        )
    if problems:
        raise CompileError("\n".join(problems))


def _listed(value: Sequence[Job | str] | Job | str | None) -> Sequence[Job | str]:
    """``extends`` as a sequence (validators already turned lists into tuples)."""
    if value is None:
        return ()
    if isinstance(value, (str, Job)):
        return (value,)
    return value


def _in_extra(job: Job, keys: tuple[str, ...]) -> bool:
    extra = job.extra
    return bool(extra) and any(k in extra for k in keys)  # type: ignore[operator]


def _find_cycle(edges: dict[str, list[str]]) -> list[str] | None:
    """A cycle in the needs graph as a path ``[a, b, ..., a]``, or None. Iterative DFS."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    for root in edges:
        if root in state:
            continue
        path = [root]
        iters = [iter(edges.get(root, ()))]
        state[root] = 1
        while iters:
            nxt = next(iters[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iters.pop()
                continue
            seen = state.get(nxt)
            if seen == 1:
                return [*path[path.index(nxt) :], nxt]
            if seen is None:
                state[nxt] = 1
                path.append(nxt)
                iters.append(iter(edges.get(nxt, ())))
    return None


def _deep_extends(jobs: dict[str, Job]) -> list[str] | None:
    """An ``extends`` chain that loops or is deeper than GitLab allows, or None."""
    edges = {
        name: [p if isinstance(p, str) else p.name for p in _listed(job.extends)]
        for name, job in jobs.items()
        if job.extends
    }
    edges = {name: [p for p in parents if p in jobs] for name, parents in edges.items()}
    cycle = _find_cycle(edges)
    if cycle:
        return cycle
    depth: dict[str, int] = {}  # hops of ``extends`` above a job
    for start in edges:
        stack = [start]
        while stack:
            name = stack[-1]
            if name in depth:
                stack.pop()
                continue
            parents = edges.get(name, [])
            pending = [p for p in parents if p not in depth]
            if pending:
                stack.extend(pending)
                continue
            depth[name] = 1 + max((depth[p] for p in parents), default=-1) if parents else 0
            stack.pop()
    deepest = max(depth, key=depth.__getitem__, default=None)
    if deepest is None or depth[deepest] <= MAX_EXTENDS_DEPTH:
        return None
    chain = [deepest]
    while edges.get(chain[-1]):
        chain.append(max(edges[chain[-1]], key=depth.__getitem__))
    return chain
