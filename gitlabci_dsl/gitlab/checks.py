"""The checks GitLab runs beyond its schema when it creates a pipeline, on plain data.

One implementation for every consumer: ``lint`` reports them at their YAML positions, and
``compile`` and :func:`gitlabci_dsl.to_yaml` refuse a pipeline that fails them. Names, stages,
``needs``, ``dependencies``, ``extends``, ``!reference``, ``environment:on_stop`` and GitLab's
limits are checked across the file and the ``include: local`` files it pulls in, merged as
GitLab merges them (:mod:`.includes`). Other includes (remote, template, project, component)
cannot be read offline: when a file has them, the configuration is *open*. Then a name may be
defined there, and so may any key of any job (GitLab merges a job of an included file with the
job of the same name); checks that a name exists, or that a job lacks a key, stand down (an
``include-unresolved`` problem says so). The same holds for a job whose ``extends`` cannot be
resolved: only the keys it sets itself are known.

Each problem goes to ``report(rule, message, job, *path)``: a rule id of
:data:`gitlabci_dsl.lint.RULES`, the message, the job it is about (or None) and the key path
in the file it is found at (``("build", "needs", 0)``), which ``lint`` turns into a line.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from .extends import Extended, resolve_extends
from .facts import (
    DEFAULT_STAGE,
    GLOBAL_KEYS,
    MATRIX_LIMIT,
    MAX_EXTENDS_DEPTH,
    MAX_NEEDS,
)
from .includes import TOO_MANY, Source, entries, resolve
from .needs import cycles, needs_of
from .parallel import matrix_size
from .reader import Tagged
from .stages import stages_of

__all__ = ["Report", "check"]


class Report(Protocol):
    def __call__(
        self, rule: str, message: str, job: str | None, *path: str | int, line_offset: int = 0
    ) -> None: ...


def check(
    data: Any,
    report: Report,
    root: Path | None = None,
    *,
    pending: Mapping[str, str] | None = None,
    source: Source | None = None,
) -> None:
    """Report every problem GitLab would refuse in the pipeline ``data`` (the mapping a file's
    last document holds); ``include: local`` files are read from ``root`` (not followed
    without it), or from ``pending`` for files about to be written; the other includes from
    ``source`` (not followed without one)."""
    if not isinstance(data, dict):
        return
    included = resolve(data, root, pending=pending, source=source)
    for include, problem in included.inputs:
        at = (include.position,) if isinstance(data.get("include"), list) else ()
        report(
            problem.rule,
            f"{include.kind} {include.location!r} {problem.message}",
            None,
            "include",
            *at,
            "inputs",
            problem.input,
        )
    for position, location in included.missing:
        report(
            "include-local-missing",
            f"includes {location!r}, which is not a file of the project",
            None,
            "include",
            position,
        )
    if included.too_many:
        report(
            "include-limit",
            TOO_MANY,
            None,
            "include",
        )
    elif included.open:
        report(
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
    _report_extends(report, extended, own=data, unresolved=unresolved)
    merged = extended.jobs
    _check_references(report, config, unresolved)
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
        if (
            stages_known
            and isinstance(stage, str)
            and stage not in stages
            and name in data
            and "$[[" not in stage  # a `spec:` input: known once the file is included
        ):
            report(
                "undefined-stage",
                f"stage {stage!r} is not in stages ({', '.join(stages)})",
                name,
                name,
                "stage",
            )
        if known[name] and name in data and not any(k in job for k in ("script", "trigger", "run")):
            report("job-without-script", "has no script, trigger or run", name, name)
        if "trigger" in job and name in data:
            for key in ("script", "run"):
                if key in job:
                    report(
                        "trigger-with-script",
                        f"has trigger and {key}; a trigger job runs no commands",
                        name,
                        name,
                        key,
                    )
        if name in data and root is not None:
            _check_trigger_include(report, name, job, root, pending)
        _check_matrix(report, name, job)
        if name in data:
            _check_expressions(report, job.get("rules"), name, (name, "rules"))
        if name in data:
            _check_on_stop(report, name, job, visible, unresolved)
    workflow = data.get("workflow")
    if isinstance(workflow, dict):
        _check_expressions(report, workflow.get("rules"), None, ("workflow", "rules"))
    for include in entries(data.get("include")):
        if isinstance(include.entry, dict):
            path = ("include", include.position, "rules")
            _check_expressions(report, include.entry.get("rules"), None, path)
    _check_needs(
        report, jobs=visible, stage_of=stage_of, stages=stages, unresolved=unresolved, own=set(data)
    )


def _check_expressions(
    report: Report, rules: Any, job: str | None, path: tuple[str | int, ...]
) -> None:
    """Every ``rules: - if:`` must be an expression GitLab can parse (GitLab refuses the
    pipeline otherwise: "invalid expression syntax")."""
    from .expression import syntax_error

    for index, rule in enumerate(rules if isinstance(rules, list) else ()):
        condition = rule.get("if") if isinstance(rule, dict) else None
        if not isinstance(condition, str):
            continue
        error = syntax_error(condition)
        if error is not None:
            report(
                "invalid-expression",
                f"rules:if {condition!r} is not a GitLab expression: {error}",
                job,
                *path,
                index,
                "if",
            )


def _check_trigger_include(
    report: Report,
    name: str,
    job: dict[Any, Any],
    root: Path,
    pending: Mapping[str, str] | None,
) -> None:
    """A child pipeline's local file must be in the project, or the trigger job fails."""
    trigger = job.get("trigger")
    if not isinstance(trigger, dict) or "include" not in trigger:
        return
    listed = trigger["include"]
    found = resolve({"include": listed}, root, pending=pending)
    for position, location in found.missing:
        at = ("include", position) if isinstance(listed, list) else ("include",)
        report(
            "trigger-include-missing",
            f"starts a child pipeline from {location!r}, which is not a file of the project",
            name,
            name,
            "trigger",
            *at,
        )


def _check_on_stop(
    report: Report, name: str, job: dict[Any, Any], jobs: dict[str, Any], unresolved: bool
) -> None:
    environment = job.get("environment")
    on_stop = environment.get("on_stop") if isinstance(environment, dict) else None
    if isinstance(on_stop, str) and on_stop not in jobs and not unresolved:
        report(
            "on-stop-undefined",
            f"environment:on_stop names {on_stop!r}, which is not a job",
            name,
            name,
            "environment",
            "on_stop",
        )


def _report_extends(
    report: Report, extended: Extended, *, own: dict[Any, Any], unresolved: bool
) -> None:
    """The ``extends`` GitLab cannot resolve, for the jobs of this file."""
    for problem in extended.problems:
        if problem.job not in own:
            continue  # defined in an included file: reported when that file is linted
        if problem.kind == "cycle":
            report(
                "extends-cycle",
                f"extends {problem.parent!r}, which extends it back ({' -> '.join(problem.chain)})",
                problem.job,
                problem.job,
                "extends",
            )
        elif problem.kind == "depth":
            report(
                "extends-too-deep",
                f"its extends chain is more than {MAX_EXTENDS_DEPTH} levels deep, GitLab's limit",
                problem.job,
                problem.job,
                "extends",
            )
        elif problem.kind == "undefined" and not unresolved:
            report(
                "extends-undefined",
                f"extends {problem.parent!r}, which does not exist",
                problem.job,
                problem.job,
                "extends",
            )


def _check_references(report: Report, config: dict[Any, Any], unresolved: bool) -> None:
    if unresolved:
        return
    path: list[str | int] = []  # where the walk is: extended on the way down, never copied

    def walk(value: Any) -> None:
        if isinstance(value, Tagged) and value.tag == "!reference":
            target: Any = config
            for part in value:
                if not isinstance(part, str) or not isinstance(target, dict) or part not in target:
                    first = path[0] if path else None
                    job = first if isinstance(first, str) and first not in GLOBAL_KEYS else None
                    shown = ", ".join(str(p) for p in value)
                    report(
                        "reference-undefined", f"!reference [{shown}] does not exist", job, *path
                    )
                    return
                target = target[part]
            return
        # Only containers can hold a !reference: scalars are not visited.
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(item, (dict, list)):
                path.append(key)
                walk(item)
                path.pop()

    walk(config)


def _check_matrix(report: Report, name: str, job: dict[Any, Any]) -> None:
    parallel = job.get("parallel")
    if not isinstance(parallel, dict):
        return
    total = matrix_size(parallel.get("matrix"))
    if total > MATRIX_LIMIT:
        report(
            "matrix-limit",
            f"parallel:matrix creates {total} jobs; GitLab allows at most {MATRIX_LIMIT}",
            name,
            name,
            "parallel",
        )


def _check_needs(
    report: Report,
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
        listed = job.get("needs")
        if isinstance(listed, list) and len(listed) > MAX_NEEDS:
            report(
                "needs-limit",
                f"needs {len(listed)} jobs; GitLab allows at most {MAX_NEEDS}",
                name,
                name,
                "needs",
            )
        for index, need, optional, _ in needs_of(job):
            needed.add(need)
            if need not in jobs:
                if not optional and not unresolved:
                    report(
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
                report(
                    "needs-later-stage",
                    f"needs {need!r} of the later stage {stage_of[need]!r}",
                    name,
                    name,
                    "needs",
                    index,
                )
            if jobs[need].get("when") == "never" and not optional:
                report(
                    "needs-never",
                    f"needs {need!r}, which has when: never",
                    name,
                    name,
                    "needs",
                    index,
                )
        rules = job.get("rules")
        for rule_index, rule in enumerate(rules if isinstance(rules, list) else ()):
            if not isinstance(rule, dict):
                continue
            for index, need, optional, _ in needs_of(rule):
                if need not in jobs and not optional and not unresolved:
                    report(
                        "needs-undefined",
                        f"rules:needs {need!r}, which is not a job",
                        name,
                        name,
                        "rules",
                        rule_index,
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
                        report(
                            "dependencies-undefined",
                            f"depends on {dependency!r}, which is not a job",
                            name,
                            name,
                            "dependencies",
                            index,
                        )
                elif "needs" in job and dependency not in needed:
                    report(
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
                        report(
                            "dependencies-undefined",
                            f"depends on {dependency!r}, which is not in an earlier stage",
                            name,
                            name,
                            "dependencies",
                            index,
                        )
    _check_cycles(report, jobs)


def _check_cycles(report: Report, jobs: dict[str, dict[Any, Any]]) -> None:
    graph = {
        name: [need.job for need in needs_of(job) if need.job in jobs] for name, job in jobs.items()
    }
    for node, cycle in cycles(graph):
        report("needs-cycle", f"needs form a cycle: {' -> '.join(cycle)}", node, node, "needs")
