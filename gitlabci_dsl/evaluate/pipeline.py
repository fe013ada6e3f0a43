"""Which jobs GitLab would create for a pipeline, given its variables and changed files.

``plan(text, variables)`` reads GitLab CI YAML (``!reference``, ``extends``, anchors,
``include: local``, ``spec`` inputs at their defaults) and applies ``workflow:rules``, each job's
``rules`` (``if``, ``changes``, ``exists``, ``when``, ``allow_failure``, ``variables``) or its
``only``/``except``, as GitLab documents them:

* the first matching rule decides; no matching rule means no job (or no pipeline, for
  ``workflow:rules``); a rule without ``when`` takes the job's ``when`` (default on_success);
* a job with neither ``rules`` nor ``only``/``except`` runs as ``only: [branches, tags]``, so
  not in merge request pipelines, unless the file has ``workflow:rules``: then GitLab drops
  that default and the job runs in every pipeline the workflow creates;
* ``rules:changes`` is true when a changed path matches one of its globs; with no list of
  changed files (``changed=None``) it is true, as GitLab treats pipelines without a diff;
* ``rules:exists`` matches the files of ``root``;
* a created job that needs a job its pipeline does not have (its rules leave it out), without
  ``optional: true``, makes GitLab refuse the pipeline: :attr:`Plan.refused` says which.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from ..gitlab.expand import gitlab_view, pipeline_data
from ..gitlab.expression import ExpressionError, evaluate
from ..gitlab.extends import resolve_extends
from ..gitlab.facts import (
    DEFAULT_STAGE,
    GLOBAL_KEYS,
    MAX_CHILD_PIPELINE_DEPTH,
    MAX_PIPELINE_HIERARCHY,
)
from ..gitlab.glob import changes_match, exists_match, expand_variables, only_changes_match
from ..gitlab.includes import TOO_MANY, Include, Source, Sources, entries, resolve
from ..gitlab.needs import needed_names, needs_of
from ..gitlab.parallel import expand_need, instances
from ..gitlab.paths import ProjectFiles
from ..gitlab.reader import load
from ..gitlab.stages import stages_of
from .images import pushed_images

__all__ = [
    "ChildPlan",
    "Plan",
    "PlannedJob",
    "Refusal",
    "plan",
    "plan_data",
    "plan_each",
    "preset",
]


class PlannedJob(NamedTuple):
    name: str  # as GitLab names it: ``test 1/3``, ``build: [amd64, alpine]`` for parallel jobs
    stage: str
    when: str
    allow_failure: bool
    needs: tuple[str, ...]
    pushes: tuple[str, ...] = ()  # images a container block's job pushes (see images.py)


class Refusal(NamedTuple):
    """A created job that needs a job the pipeline does not have: GitLab refuses the pipeline
    ("'test' job needs 'build' job, but 'build' does not exist in the pipeline")."""

    job: str  # as the file names it (not a parallel instance)
    position: int  # of the need, in the job's flattened ``needs``
    need: str

    def message(self) -> str:
        return (
            f"job {self.job!r} needs {self.need!r}, which is not in this pipeline (its rules "
            f"leave it out), so GitLab refuses the pipeline; give {self.job!r} the rules of "
            f"{self.need!r} or mark the need optional: true"
        )


class Plan(NamedTuple):
    """The pipeline GitLab would create: whether it is created, its stages and jobs, and what
    could not be decided offline. A pipeline GitLab refuses (:attr:`refused`) is not created;
    its jobs are those it would have had."""

    pipeline: bool
    stages: tuple[str, ...]
    jobs: tuple[PlannedJob, ...]
    notes: tuple[str, ...]
    files: tuple[str, ...] = ()  # the project files read through ``include`` (the include set)
    refused: tuple[Refusal, ...] = ()
    children: tuple[ChildPlan, ...] = ()  # the child pipelines its trigger jobs start


class ChildPlan(NamedTuple):
    """The child pipeline a created trigger job starts (``trigger: include``), evaluated with
    the variables GitLab gives it: ``CI_PIPELINE_SOURCE=parent_pipeline``, the parent's
    predefined variables, and the trigger job's and the parent's YAML variables (expanded in
    the parent) unless ``forward: yaml_variables: false``."""

    job: str  # the trigger job, as GitLab names it
    plan: Plan


def stage_groups(plan: Plan) -> list[tuple[str, list[int]]]:
    """The non-empty stages in order, each with the indexes of its jobs in ``plan.jobs``. A
    stage that is not in ``plan.stages`` (GitLab refuses such a job; lint says so) comes last,
    so that no job is left out of what explain and graph show."""
    members: dict[str, list[int]] = {stage: [] for stage in plan.stages}
    for i, job in enumerate(plan.jobs):
        members.setdefault(job.stage, []).append(i)
    return [(stage, found) for stage, found in members.items() if found]


def plan(
    text: str,
    variables: Mapping[str, str],
    *,
    changed: Sequence[str] | None = None,
    root: Path | None = None,
    every_job: bool = False,
    pending: Mapping[str, str] | None = None,
    artifacts: Mapping[tuple[str, str], str] | None = None,
    source: Source | None = None,
) -> Plan:
    """The jobs of the pipeline in ``text`` for ``variables`` (predefined and ``--var``);
    with ``every_job``, all jobs whatever their rules (for a graph of the whole file).
    ``pending``: project files about to be written (``{path from the root: text}``), read
    instead of the disk (a module's child pipelines, for explain); ``artifacts``: the
    child pipelines jobs generate, ``{(job, artifact path): text}``, read for
    ``include: artifact`` (which is not followed without them); ``source``: where the other
    includes that are not project files are read (not followed without one).

    Raises :class:`~gitlabci_dsl.gitlab.reader.YamlSyntaxError` when ``text`` is not YAML.
    """
    data = pipeline_data(load(text))
    return plan_data(
        data,
        variables,
        changed=changed,
        root=root,
        every_job=every_job,
        pending=pending,
        artifacts=artifacts,
        source=source,
    )


def plan_data(
    data: Any,
    variables: Mapping[str, str],
    *,
    changed: Sequence[str] | None = None,
    root: Path | None = None,
    every_job: bool = False,
    pending: Mapping[str, str] | None = None,
    artifacts: Mapping[tuple[str, str], str] | None = None,
    source: Source | None = None,
) -> Plan:
    """:func:`plan` of a pipeline already read (its mapping, inputs set): any shape of data,
    as a file someone else wrote may hold."""
    (found,) = plan_each(
        data,
        [variables],
        changed=changed,
        root=root,
        every_job=every_job,
        pending=pending,
        artifacts=artifacts,
        source=source,
    )
    return found


def plan_each(
    data: Any,
    variable_sets: Sequence[Mapping[str, str]],
    *,
    changed: Sequence[str] | None = None,
    root: Path | None = None,
    every_job: bool = False,
    pending: Mapping[str, str] | None = None,
    artifacts: Mapping[tuple[str, str], str] | None = None,
    source: Source | None = None,
) -> list[Plan]:
    """:func:`plan_data` for each of ``variable_sets`` (lint's kinds of pipeline): the
    includes, ``extends`` and GitLab's view of the file are read once unless an include has
    ``rules``, which make them depend on the variables."""
    files = ProjectFiles(root) if root is not None else None
    where = _Where(root, files, pending, changed, 0, [1], every_job, artifacts or {}, source)
    return _plan_each(data, variable_sets, where)


def _plan_each(data: Any, variable_sets: Sequence[Mapping[str, str]], where: _Where) -> list[Plan]:
    """:func:`plan_each` within a tree of pipelines: its child pipelines share ``where`` (the
    project's listing, read once), one level deeper."""
    shared: _Read | None = None
    plans = []
    for variables in variable_sets:
        kept: list[str] = []  # what include rules noted
        read = shared
        if read is None:
            with_rules: list[bool] = []
            keep = _keeper(
                variables, where.changed, where.files, kept, with_rules, every_job=where.every_job
            )
            read = _read(data, where, keep)
            if not with_rules:
                shared = read
        notes = [*read.notes, *kept]
        plans.append(_plan(read, variables, where, notes))
    return plans


class _Where(NamedTuple):
    """What every plan of one command shares: the project, its files, the changes; and where
    in a tree of pipelines the plan is (``depth`` levels below the top, ``tree[0]``
    pipelines planned so far, GitLab's limit being :data:`MAX_PIPELINE_HIERARCHY`)."""

    root: Path | None
    files: ProjectFiles | None
    pending: Mapping[str, str] | None
    changed: Sequence[str] | None
    depth: int
    tree: list[int]  # the pipelines of the whole tree planned so far, shared by all its plans
    every_job: bool
    artifacts: Mapping[tuple[str, str], str]  # generated child pipelines: {(job, path): text}
    source: Source | None = None  # the other includes that are not project files


class _Artifacts:
    """The :class:`~gitlabci_dsl.gitlab.includes.Source` of ``include: artifact``: the child
    pipelines generator jobs would write (``DynamicChild``), compiled offline."""

    def __init__(self, texts: Mapping[tuple[str, str], str]) -> None:
        self.texts = texts

    def text(self, include: Include) -> str | None:
        if include.kind != "artifact" or include.location is None:
            return None
        job = include.entry.get("job")
        return self.texts.get((job, include.location)) if isinstance(job, str) else None


def _source(where: _Where) -> Source | None:
    """The includes that are not project files: generated artifacts, then the others."""
    if not where.artifacts:
        return where.source
    if where.source is None:
        return _Artifacts(where.artifacts)
    return Sources(_Artifacts(where.artifacts), where.source)


class _Read(NamedTuple):
    """A pipeline as GitLab reads it before any rule: includes merged, ``extends`` resolved."""

    config: dict[Any, Any]
    files: tuple[str, ...]  # the project files read through ``include``
    open: bool  # an include could not be read offline
    too_many: bool  # more files included than GitLab allows: no pipeline
    stages: list[str]
    jobs: dict[str, dict[Any, Any]]  # the jobs (not templates), ``extends`` resolved
    incomplete: frozenset[str]  # jobs whose ``extends`` could not all be read
    notes: tuple[str, ...]  # what reading it noted (includes not read)


def _keeper(
    variables: Mapping[str, str],
    changed: Sequence[str] | None,
    files: ProjectFiles | None,
    notes: list[str],
    with_rules: list[bool],
    *,
    every_job: bool,
) -> Callable[[Include], bool]:
    """Whether ``include: rules`` keep an include (all of them for ``every_job``);
    ``with_rules`` records that the rules of some were evaluated."""

    def keep(include: Include) -> bool:
        rules = include.entry.get("rules")
        if every_job or not isinstance(rules, list):
            return True
        with_rules.append(True)
        rule = _first_rule(rules, variables, changed, files, notes)
        return rule is not None and rule.get("when") != "never"

    return keep


def _read(data: Any, where: _Where, keep: Callable[[Include], bool]) -> _Read:
    notes: list[str] = []
    included = resolve(
        data if isinstance(data, dict) else {},
        where.root,
        keep=keep,
        files=where.files,
        pending=where.pending,
        source=_source(where),
    )
    if included.too_many:
        notes.append(TOO_MANY)
    for include in included.unresolved:
        if include.kind == "artifact":
            job = include.entry.get("job")
            notes.append(
                f"include not resolved offline: {include.entry}: a file job {job!r} writes when "
                "the pipeline runs; explain the pipeline module that declares it "
                "(Generated(...), DynamicChild) to follow it"
            )
            continue
        notes.append(f"include not resolved offline: {include.entry}")
    for _, location in included.missing:
        notes.append(f"include {location!r} is not a file of the project")
    listed = data.get("include") if isinstance(data, dict) else None
    if where.root is None and any(entry.kind == "local" for entry in entries(listed)):
        notes.append("local includes not read (no project folder)")
    config = gitlab_view(included.config)
    jobs = {
        k: v
        for k, v in config.items()
        if isinstance(k, str) and k not in GLOBAL_KEYS and isinstance(v, dict)
    }
    extended = resolve_extends(jobs)
    resolved = {name: job for name, job in extended.jobs.items() if not name.startswith(".")}
    return _Read(
        config,
        tuple(included.files),
        included.open,
        included.too_many,
        list(stages_of(config)),
        resolved,
        frozenset(extended.incomplete),
        tuple(notes),
    )


def _plan(read: _Read, variables: Mapping[str, str], where: _Where, notes: list[str]) -> Plan:
    changed, files, every_job = where.changed, where.files, where.every_job
    config, resolved = read.config, read.jobs
    if read.too_many:  # an error of the configuration: before any rule is evaluated
        return Plan(False, (), (), tuple(notes), read.files)
    globals_ = _variables(config.get("variables"))
    context = {**globals_, **variables}
    workflow = config.get("workflow")
    # GitLab drops the jobs' default `only: [branches, tags]` when workflow:rules are given
    # (Entry::Processable#compose!, gitlab-org/gitlab!21742).
    default_only = None if isinstance(workflow, dict) and "rules" in workflow else _DEFAULT_ONLY
    if not every_job and isinstance(workflow, dict) and isinstance(workflow.get("rules"), list):
        decision = _first_rule(workflow["rules"], context, changed, files, notes)
        if decision is None or decision.get("when") == "never":
            why = "no rule matches" if decision is None else "the matching rule says never"
            notes.append(f"workflow:rules: {why}")
            return Plan(False, (), (), tuple(notes), read.files)
        context = {**context, **_variables(decision.get("variables"))}
    stages = read.stages
    planned: list[PlannedJob] = []
    created: set[str] = set()  # the jobs (as the file names them) with an instance planned
    children: list[ChildPlan] = []
    for name, job in resolved.items():
        stage = job.get("stage")
        if stage is None and (read.open or name in read.incomplete):
            notes.append(
                f"job {name!r}: no stage of its own; an include or template not read offline "
                f"may set it (shown under GitLab's default, {DEFAULT_STAGE!r})"
            )
        stage = str(DEFAULT_STAGE if stage is None else stage)
        needs = needed_names(job, resolved)
        for instance in instances(name, job):
            here = {**context, **instance.variables}
            if every_job:
                outcome: tuple[str, bool] | None = (str(job.get("when", "on_success")), False)
            else:
                outcome = _job_outcome(job, here, changed, files, notes, default_only=default_only)
            if outcome is None:
                continue
            when, allow_failure = outcome
            pushes = pushed_images(job, here)
            planned.append(PlannedJob(instance.name, stage, when, allow_failure, needs, pushes))
            created.add(name)
            child = _child(
                job,
                instance.name,
                globals_=globals_,
                variables=variables,
                matrix=instance.variables,
                where=where,
                notes=notes,
            )
            if child is not None:
                children.append(child)
    refused = () if every_job else _refusals(resolved, created, {job.name for job in planned})
    order = {stage: i for i, stage in enumerate(stages)}
    planned.sort(key=lambda j: order.get(j.stage, len(order)))
    if not planned:
        # GitLab creates no pipeline without jobs ("No stages / jobs for this pipeline").
        notes.append("no job would run, so GitLab creates no pipeline")
        return Plan(False, tuple(stages), (), tuple(notes), read.files)
    order_of = {job.name: i for i, job in enumerate(planned)}
    children.sort(key=lambda c: order_of[c.job])
    return Plan(
        not refused,
        tuple(stages),
        tuple(planned),
        tuple(notes),
        read.files,
        refused,
        tuple(children),
    )


def _child(
    job: Mapping[Any, Any],
    name: str,
    *,
    globals_: Mapping[str, str],
    variables: Mapping[str, str],
    matrix: Mapping[str, str],
    where: _Where,
    notes: list[str],
) -> ChildPlan | None:
    """The child pipeline the trigger job ``job`` (instance ``name``) starts, or None for a
    job that starts none (no ``trigger: include``) or one GitLab nests too deep to start."""
    trigger = job.get("trigger")
    if not isinstance(trigger, dict) or trigger.get("include") is None:
        return None
    include = trigger["include"]
    if where.depth >= MAX_CHILD_PIPELINE_DEPTH:
        notes.append(
            f"job {name!r}: starts no child: this pipeline is already {where.depth} levels "
            f"below the parent, and GitLab nests child pipelines {MAX_CHILD_PIPELINE_DEPTH} "
            "levels deep at most, so GitLab fails this job"
        )
        return None
    if where.tree[0] >= MAX_PIPELINE_HIERARCHY:
        notes.append(
            f"job {name!r}: not followed: the tree already has {MAX_PIPELINE_HIERARCHY} "
            "pipelines, GitLab's limit (pipeline_hierarchy_size), so GitLab fails this job"
        )
        return None
    where.tree[0] += 1
    forward = trigger.get("forward")
    yaml_variables = not (isinstance(forward, dict) and forward.get("yaml_variables") is False)
    given: dict[str, str] = {}
    if yaml_variables:
        # Expanded in the parent, as GitLab passes them: PARENT_PIPELINE_SOURCE:
        # $CI_PIPELINE_SOURCE arrives as the parent's source, not as parent_pipeline.
        own = {**globals_, **_variables(job.get("variables")), **matrix}
        known = {**variables, **own}
        given = {name: expand_variables(value, known) for name, value in own.items()}
    child_variables = {**variables, **given, "CI_PIPELINE_SOURCE": "parent_pipeline"}
    (found,) = _plan_each(
        {"include": include}, [child_variables], where._replace(depth=where.depth + 1)
    )
    return ChildPlan(name, found)


def _refusals(
    jobs: Mapping[str, Mapping[Any, Any]], created: set[str], instances: set[str]
) -> tuple[Refusal, ...]:
    """The needs GitLab cannot satisfy in this pipeline: on a job of the file that none of
    the pipeline's jobs is (a need on a parallel job is met by any of its instances)."""
    found = []
    for name in sorted(created):
        for need in needs_of(jobs[name]):
            if need.optional or need.job not in jobs:  # an undefined job: needs-undefined
                continue
            if not any(n in instances for n in expand_need(need.job, jobs, need.parallel)):
                found.append(Refusal(name, need.position, need.job))
    return tuple(found)


def _variables(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    result = {}
    for key, item in value.items():
        given = item.get("value") if isinstance(item, dict) else item
        if given is not None:
            result[str(key)] = str(given).lower() if isinstance(given, bool) else str(given)
    return result


def _first_rule(
    rules: list[Any],
    variables: Mapping[str, str],
    changed: Sequence[str] | None,
    files: ProjectFiles | None,
    notes: list[str],
) -> dict[Any, Any] | None:
    for rule in rules:
        if isinstance(rule, dict) and _rule_matches(rule, variables, changed, files, notes):
            return rule
    return None


def _rule_matches(
    rule: dict[Any, Any],
    variables: Mapping[str, str],
    changed: Sequence[str] | None,
    files: ProjectFiles | None,
    notes: list[str],
) -> bool:
    condition = rule.get("if")
    if isinstance(condition, str):
        try:
            if not evaluate(condition, variables):
                return False
        except ExpressionError as exc:
            notes.append(
                f"rules:if is not a GitLab expression, so GitLab refuses this pipeline "
                f"(lint: invalid-expression); shown as if false: {exc}"
            )
            return False
    changes = rule.get("changes")
    if changes is not None:
        paths = changes.get("paths") if isinstance(changes, dict) else changes
        if not _glob_clause(changes_match, _globs(paths), changed, variables, notes):
            return False
    exists = rule.get("exists")
    if exists is not None:
        paths = exists.get("paths") if isinstance(exists, dict) else exists
        if files is None:
            return False
        if not _glob_clause(exists_match, _globs(paths), files.listing(), variables, notes):
            return False
    return True


def _globs(value: Any) -> list[str]:
    return [g for g in value if isinstance(g, str)] if isinstance(value, list) else []


def _glob_clause(
    clause: Callable[..., bool],
    globs: list[str],
    paths: Sequence[str] | None,
    variables: Mapping[str, str],
    notes: list[str],
) -> bool:
    """A ``rules:changes``/``exists`` clause, as GitLab matches it; a glob too large to expand
    (brace bombs) counts as no match, with a note."""
    try:
        return clause(globs, paths, variables)
    except ValueError as exc:
        notes.append(f"rules glob not matched: {exc}")
        return False


def _job_outcome(
    job: dict[Any, Any],
    variables: Mapping[str, str],
    changed: Sequence[str] | None,
    files: ProjectFiles | None,
    notes: list[str],
    *,
    default_only: list[str] | None,
) -> tuple[str, bool] | None:
    """(when, allow_failure) of a job that is created; None when it is not. ``default_only``:
    the ``only`` of a job without one (None: none, in a file with workflow:rules)."""
    job_when = str(job.get("when", "on_success"))
    job_allow = job.get("allow_failure")
    rules = job.get("rules")
    if isinstance(rules, list):
        context = {**variables, **_variables(job.get("variables"))}
        rule = _first_rule(rules, context, changed, files, notes)
        if rule is None:
            return None
        when = str(rule.get("when", job_when))
        if when == "never":
            return None
        allow = rule.get("allow_failure", job_allow)
        return when, bool(allow) if allow is not None else False
    if not _only_except(job, variables, changed, default_only):
        return None
    if job_when == "never":
        return None
    allow = job_allow if job_allow is not None else job_when == "manual"
    return job_when, bool(allow) if not isinstance(allow, dict) else True


_SOURCES: dict[str, Callable[[Mapping[str, str]], bool]] = {
    "branches": lambda v: bool(v.get("CI_COMMIT_BRANCH")),
    "tags": lambda v: bool(v.get("CI_COMMIT_TAG")),
    "merge_requests": lambda v: v.get("CI_PIPELINE_SOURCE") == "merge_request_event",
    "schedules": lambda v: v.get("CI_PIPELINE_SOURCE") == "schedule",
    "pushes": lambda v: v.get("CI_PIPELINE_SOURCE") == "push",
    "api": lambda v: v.get("CI_PIPELINE_SOURCE") == "api",
    "web": lambda v: v.get("CI_PIPELINE_SOURCE") == "web",
    "triggers": lambda v: v.get("CI_PIPELINE_SOURCE") == "trigger",
    "pipelines": lambda v: v.get("CI_PIPELINE_SOURCE") == "pipeline",
    "external": lambda v: v.get("CI_PIPELINE_SOURCE") == "external",
    "chat": lambda v: v.get("CI_PIPELINE_SOURCE") == "chat",
}


_DEFAULT_ONLY = ["branches", "tags"]


def _only_except(
    job: dict[Any, Any],
    variables: Mapping[str, str],
    changed: Sequence[str] | None,
    default_only: list[str] | None,
) -> bool:
    only = job.get("only", default_only)
    if only is not None and not _policy(only, variables, changed, default=True):
        return False
    return not ("except" in job and _policy(job["except"], variables, changed, default=False))


def _policy(
    value: Any, variables: Mapping[str, str], changed: Sequence[str] | None, *, default: bool
) -> bool:
    """Whether an only/except entry applies: refs, then variables, then changes (all given
    parts must apply)."""
    if isinstance(value, list):
        value = {"refs": value}
    if not isinstance(value, dict):
        return default
    refs = value.get("refs")
    if refs is not None and not any(_ref_matches(ref, variables) for ref in _listed(refs)):
        return False
    expressions = value.get("variables")
    if expressions is not None and not any(
        _holds(e, variables) for e in _listed(expressions) if isinstance(e, str)
    ):
        return False
    changes = value.get("changes")
    changes = changes.get("paths") if isinstance(changes, dict) else changes
    if changes is None:
        return True
    try:
        return only_changes_match(_globs(changes), changed)
    except ValueError:  # a glob too large to expand: no match
        return False


def _listed(value: Any) -> list[Any]:
    """A list as it is; a lone value as a list of it (GitLab's schema wants lists here)."""
    return value if isinstance(value, list) else [value]


def _holds(expression: str, variables: Mapping[str, str]) -> bool:
    """An ``only:variables`` expression; a malformed one holds for no pipeline."""
    try:
        return evaluate(expression, variables)
    except ExpressionError:
        return False


def _ref_matches(ref: Any, variables: Mapping[str, str]) -> bool:
    if not isinstance(ref, str):
        return False
    if ref in _SOURCES:
        return bool(_SOURCES[ref](variables))
    name = variables.get("CI_COMMIT_REF_NAME", "")
    if len(ref) > 2 and ref.startswith("/") and ref.rstrip("imsU").endswith("/"):
        return _holds(f"$CI_COMMIT_REF_NAME =~ {ref}", {"CI_COMMIT_REF_NAME": name})
    return ref == name


def preset(on: str, default_branch: str = "main") -> dict[str, str]:
    """The variables GitLab sets for a kind of pipeline: ``branch:NAME``, ``tag:NAME``, ``mr``
    (or ``mr:SOURCE_BRANCH``), ``schedule`` (on the default branch), or a run from the API, a
    trigger token or the web (``api``, ``trigger``, ``web``; on the default branch, or
    ``api:BRANCH``...)."""
    kind, _, name = on.partition(":")
    base = {"CI": "true", "GITLAB_CI": "true", "CI_DEFAULT_BRANCH": default_branch}
    if kind == "branch" and name:
        return {**base, "CI_PIPELINE_SOURCE": "push", **_ref(name), "CI_COMMIT_BRANCH": name}
    if kind == "tag" and name:
        return {**base, "CI_PIPELINE_SOURCE": "push", **_ref(name), "CI_COMMIT_TAG": name}
    if kind == "mr":
        source = name or "feature"
        return {
            **base,
            "CI_PIPELINE_SOURCE": "merge_request_event",
            **_ref(source),
            "CI_MERGE_REQUEST_IID": "1",
            "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": source,
            "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": default_branch,
            "CI_MERGE_REQUEST_EVENT_TYPE": "detached",
        }
    if kind == "schedule" and not name:
        return {
            **base,
            "CI_PIPELINE_SOURCE": "schedule",
            **_ref(default_branch),
            "CI_COMMIT_BRANCH": default_branch,
        }
    if kind in _RUNS:  # Run pipeline, the pipelines API, a trigger token: on a branch
        branch = name or default_branch
        return {
            **base,
            "CI_PIPELINE_SOURCE": _RUNS[kind],
            **_ref(branch),
            "CI_COMMIT_BRANCH": branch,
        }
    raise ValueError(
        f"--on {on!r}: use branch:NAME, tag:NAME, mr, mr:BRANCH, schedule, or api, trigger or "
        "web (each optionally :BRANCH)"
    )


# The sources of pipelines someone runs by hand, as --on names them: CI_PIPELINE_SOURCE.
_RUNS = {"api": "api", "trigger": "trigger", "web": "web"}


def _ref(name: str) -> dict[str, str]:
    slug = "".join(c if c.isalnum() else "-" for c in name.lower())[:63].strip("-")
    return {"CI_COMMIT_REF_NAME": name, "CI_COMMIT_REF_SLUG": slug}
