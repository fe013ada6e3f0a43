"""The checks GitLab runs beyond its schema, when it creates a pipeline.

Names, stages, ``needs``, ``dependencies``, ``extends`` and ``!reference`` are checked across
the file and the ``include: local`` files it pulls in, merged as GitLab merges them
(:mod:`gitlabci_dsl.gitlab.includes`). Other includes (remote, template, project, component)
cannot be read offline: when a file has them, the configuration is *open*. Then a name may be
defined there, and so may any key of any job (GitLab merges a job of an included file with the
job of the same name); checks that a name exists, or that a job lacks a key, stand down (an
``include-unresolved`` finding says so). The same holds for a job whose ``extends`` cannot be
resolved: only the keys it sets itself are known.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..gitlab.extends import Extended, resolve_extends
from ..gitlab.facts import DEFAULT_STAGE, GLOBAL_KEYS, MATRIX_LIMIT, MAX_EXTENDS_DEPTH
from ..gitlab.includes import resolve
from ..gitlab.parallel import matrix_size
from ..gitlab.reader import Document, Tagged
from ..gitlab.stages import flatten as _flatten
from ..gitlab.stages import stages_of
from .findings import RULES, Finding

__all__ = ["check"]


class _Context:
    def __init__(self, file: str, document: Document) -> None:
        self.file = file
        self.positions = document.positions
        self.findings: list[Finding] = []

    def add(
        self, rule: str, message: str, job: str | None, *path: str | int, line_offset: int = 0
    ) -> None:
        """Report at ``path`` (or its nearest ancestor with a position), ``line_offset`` lines
        below it: the line of a multi-line script item."""
        line = column = None
        for depth in range(len(path), 0, -1):
            found = self.positions.get(path[:depth])
            if found is not None:
                line, column = found
                break
        if line is not None and line_offset:
            line, column = line + line_offset, None
        self.findings.append(
            Finding(rule, RULES[rule].severity, message, self.file, job, line, column)
        )


def check(
    file: str, document: Document, root: Path | None, *, practice: bool = True
) -> list[Finding]:
    """Findings for the pipeline ``document`` of ``file``; local includes are read from
    ``root``; ``practice=False`` leaves out the security and practice rules."""
    ctx = _Context(file, document)
    data = document.data
    if not isinstance(data, dict):
        return []
    included = resolve(data, root)
    for position, location in included.missing:
        ctx.add(
            "include-local-missing",
            f"includes {location!r}, which is not a file of the project",
            None,
            "include",
            position,
        )
    if included.open:
        ctx.add(
            "include-unresolved",
            "some includes cannot be read offline; names they define are not checked",
            None,
            "include",
        )
    config, unresolved = included.config, included.open
    jobs = {
        k: v
        for k, v in config.items()
        if isinstance(k, str) and k not in GLOBAL_KEYS and isinstance(v, dict)
    }
    extended = resolve_extends(jobs)
    _report_extends(ctx, extended, own=data, unresolved=unresolved)
    merged = extended.jobs
    _check_references(ctx, config, unresolved)
    visible = {name: merged[name] for name in jobs if not name.startswith(".")}
    # Whether an absent key is known to be absent: not when an include or a parent the job
    # extends could not be read, since it may set the key.
    known = {name: not unresolved and name not in extended.incomplete for name in visible}
    stages = stages_of(config)
    stages_known = not unresolved or "stages" in data
    stage_of: dict[str, Any] = {}
    for name, job in visible.items():
        stage = job.get("stage", DEFAULT_STAGE if known[name] else None)
        stage_of[name] = stage
        if stages_known and isinstance(stage, str) and stage not in stages and name in data:
            ctx.add(
                "undefined-stage",
                f"stage {stage!r} is not in stages ({', '.join(stages)})",
                name,
                name,
                "stage",
            )
        if known[name] and name in data and not any(k in job for k in ("script", "trigger", "run")):
            ctx.add("job-without-script", "has no script, trigger or run", name, name)
        _check_matrix(ctx, name, job)
    _check_needs(
        ctx, jobs=visible, stage_of=stage_of, stages=stages, unresolved=unresolved, own=set(data)
    )
    if practice:
        from . import practice as rules

        rules.check(document, ctx.add, GLOBAL_KEYS)
    return ctx.findings


def _report_extends(
    ctx: _Context, extended: Extended, *, own: dict[Any, Any], unresolved: bool
) -> None:
    """The ``extends`` GitLab cannot resolve, for the jobs of this file."""
    for problem in extended.problems:
        if problem.job not in own:
            continue  # defined in an included file: reported when that file is linted
        if problem.kind == "cycle":
            ctx.add(
                "extends-cycle",
                f"extends {problem.parent!r}, which extends it back ({' -> '.join(problem.chain)})",
                problem.job,
                problem.job,
                "extends",
            )
        elif problem.kind == "depth":
            ctx.add(
                "extends-too-deep",
                f"its extends chain is more than {MAX_EXTENDS_DEPTH} levels deep, GitLab's limit",
                problem.job,
                problem.job,
                "extends",
            )
        elif problem.kind == "undefined" and not unresolved:
            ctx.add(
                "extends-undefined",
                f"extends {problem.parent!r}, which does not exist",
                problem.job,
                problem.job,
                "extends",
            )


def _check_references(ctx: _Context, config: dict[Any, Any], unresolved: bool) -> None:
    if unresolved:
        return

    def walk(value: Any, path: tuple[str | int, ...]) -> None:
        if isinstance(value, Tagged) and value.tag == "!reference":
            target: Any = config
            for part in value:
                if not isinstance(part, str) or not isinstance(target, dict) or part not in target:
                    first = path[0] if path else None
                    job = first if isinstance(first, str) and first not in GLOBAL_KEYS else None
                    shown = ", ".join(str(p) for p in value)
                    ctx.add(
                        "reference-undefined", f"!reference [{shown}] does not exist", job, *path
                    )
                    return
                target = target[part]
            return
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, (*path, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, (*path, index))

    for key, value in config.items():
        walk(value, (key,))


def _check_matrix(ctx: _Context, name: str, job: dict[Any, Any]) -> None:
    parallel = job.get("parallel")
    if not isinstance(parallel, dict):
        return
    total = matrix_size(parallel.get("matrix"))
    if total > MATRIX_LIMIT:
        ctx.add(
            "matrix-limit",
            f"parallel:matrix creates {total} jobs; GitLab allows at most {MATRIX_LIMIT}",
            name,
            name,
            "parallel",
        )


def _needs(job: dict[Any, Any], key: str = "needs") -> Iterator[tuple[int, str, bool]]:
    """(index, job name, optional) of a job's needs on jobs of this pipeline."""
    value = job.get(key)
    if not isinstance(value, list):
        return
    for index, need in enumerate(_flatten(value)):
        if isinstance(need, str):
            yield index, need, False
        elif isinstance(need, dict) and isinstance(need.get("job"), str):
            if "pipeline" in need or "project" in need:
                continue  # another pipeline's job
            yield index, need["job"], bool(need.get("optional"))


def _check_needs(
    ctx: _Context,
    *,
    jobs: dict[str, dict[Any, Any]],
    stage_of: dict[str, Any],
    stages: list[str],
    unresolved: bool,
    own: set[Any],
) -> None:
    order = {stage: i for i, stage in enumerate(stages)}

    def position(job: str) -> int | None:
        stage = stage_of[job]  # None when not known
        return order.get(stage) if isinstance(stage, str) else None

    for name, job in jobs.items():
        if name not in own:
            continue  # defined in an included file: reported when that file is linted
        here = position(name)
        needed: set[str] = set()
        for index, need, optional in _needs(job):
            needed.add(need)
            if need not in jobs:
                if not optional and not unresolved:
                    ctx.add(
                        "needs-undefined",
                        f"needs {need!r}, which is not a job",
                        name,
                        name,
                        "needs",
                        index,
                    )
                continue
            there = position(need)
            if here is not None and there is not None and there > here:
                ctx.add(
                    "needs-later-stage",
                    f"needs {need!r} of the later stage {stage_of[need]!r}",
                    name,
                    name,
                    "needs",
                    index,
                )
            if jobs[need].get("when") == "never" and not optional:
                ctx.add(
                    "needs-never",
                    f"needs {need!r}, which has when: never",
                    name,
                    name,
                    "needs",
                    index,
                )
        dependencies = job.get("dependencies")
        if isinstance(dependencies, list):
            for index, dependency in enumerate(dependencies):
                if not isinstance(dependency, str):
                    continue
                if dependency not in jobs:
                    if not unresolved:
                        ctx.add(
                            "dependencies-undefined",
                            f"depends on {dependency!r}, which is not a job",
                            name,
                            name,
                            "dependencies",
                            index,
                        )
                elif "needs" in job and dependency not in needed:
                    ctx.add(
                        "dependencies-not-in-needs",
                        f"depends on {dependency!r}, which is not in its needs",
                        name,
                        name,
                        "dependencies",
                        index,
                    )
                elif "needs" not in job and not unresolved:
                    there = position(dependency)
                    if here is not None and there is not None and there >= here:
                        ctx.add(
                            "dependencies-undefined",
                            f"depends on {dependency!r}, which is not in an earlier stage",
                            name,
                            name,
                            "dependencies",
                            index,
                        )
    _check_cycles(ctx, jobs)


def _check_cycles(ctx: _Context, jobs: dict[str, dict[Any, Any]]) -> None:
    graph = {name: [n for _, n, _ in _needs(job) if n in jobs] for name, job in jobs.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start, children_of_start in graph.items():
        if start in state:
            continue
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(children_of_start))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            for child in children:
                if state.get(child) == 1:
                    cycle = [*path[path.index(child) :], child]
                    ctx.add(
                        "needs-cycle",
                        f"needs form a cycle: {' -> '.join(cycle)}",
                        node,
                        node,
                        "needs",
                    )
                elif child not in state:
                    state[child] = 1
                    stack.append((child, iter(graph[child])))
                    path.append(child)
                    break
            else:
                state[node] = 2
                stack.pop()
                path.pop()
