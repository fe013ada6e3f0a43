"""Which jobs GitLab would create for a pipeline, given its variables and changed files.

``plan(text, variables)`` reads GitLab CI YAML (``!reference``, ``extends``, anchors,
``include: local``, ``spec`` inputs at their defaults) and applies ``workflow:rules``, each job's
``rules`` (``if``, ``changes``, ``exists``, ``when``, ``allow_failure``, ``variables``) or its
``only``/``except``, as GitLab documents them:

* the first matching rule decides; no matching rule means no job (or no pipeline, for
  ``workflow:rules``); a rule without ``when`` takes the job's ``when`` (default on_success);
* a job with neither ``rules`` nor ``only``/``except`` runs as ``only: [branches, tags]``, so
  not in merge request pipelines;
* ``rules:changes`` is true when a changed path matches one of its globs; with no list of
  changed files (``changed=None``) it is true, as GitLab treats pipelines without a diff;
* ``rules:exists`` matches the files of ``root``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from ..lint.expand import gitlab_view, input_defaults, interpolate
from ..lint.loader import load
from ..lint.semantics import GLOBAL_KEYS, _deep_merge, stages_of
from .expression import ExpressionError, evaluate
from .images import pushed_images

__all__ = ["Plan", "PlannedJob", "plan", "preset"]


class PlannedJob(NamedTuple):
    name: str
    stage: str
    when: str
    allow_failure: bool
    needs: tuple[str, ...]
    pushes: tuple[str, ...] = ()  # images a container block's job pushes (see images.py)


class Plan(NamedTuple):
    """The pipeline GitLab would create: whether it is created, its stages and jobs, and what
    could not be decided offline."""

    pipeline: bool
    stages: tuple[str, ...]
    jobs: tuple[PlannedJob, ...]
    notes: tuple[str, ...]


def plan(
    text: str,
    variables: Mapping[str, str],
    *,
    changed: Sequence[str] | None = None,
    root: Path | None = None,
    every_job: bool = False,
) -> Plan:
    """The jobs of the pipeline in ``text`` for ``variables`` (predefined and ``--var``);
    with ``every_job``, all jobs whatever their rules (for a graph of the whole file)."""
    documents = load(text)
    data = documents[-1].data if documents else {}
    if len(documents) > 1:
        data = interpolate(data, input_defaults(documents[0].data))
    notes: list[str] = []
    config = _with_includes(data if isinstance(data, dict) else {}, root, notes)
    config = gitlab_view(config)
    globals_ = _variables(config.get("variables"))
    context = {**globals_, **variables}
    workflow = config.get("workflow")
    if not every_job and isinstance(workflow, dict) and isinstance(workflow.get("rules"), list):
        decision = _first_rule(workflow["rules"], context, changed, root, notes)
        if decision is None or decision.get("when") == "never":
            why = "no rule matches" if decision is None else "the matching rule says never"
            notes.append(f"workflow:rules: {why}")
            return Plan(False, (), (), tuple(notes))
        context = {**context, **_variables(decision.get("variables"))}
    stages = stages_of(config)
    jobs = {
        k: v
        for k, v in config.items()
        if isinstance(k, str) and k not in GLOBAL_KEYS and isinstance(v, dict)
    }
    resolved = {name: _extended(name, jobs) for name in jobs if not name.startswith(".")}
    planned: list[PlannedJob] = []
    for name, job in resolved.items():
        if every_job:
            outcome: tuple[str, bool] | None = (str(job.get("when", "on_success")), False)
        else:
            outcome = _job_outcome(job, context, changed, root, notes)
        if outcome is None:
            continue
        when, allow_failure = outcome
        needs = tuple(
            n if isinstance(n, str) else str(n.get("job"))
            for n in job.get("needs") or []
            if isinstance(n, str) or (isinstance(n, dict) and "job" in n and "pipeline" not in n)
        )
        stage = str(job.get("stage", "test"))
        pushes = pushed_images(job, context)
        planned.append(PlannedJob(name, stage, when, allow_failure, needs, pushes))
    order = {stage: i for i, stage in enumerate(stages)}
    planned.sort(key=lambda j: order.get(j.stage, len(order)))
    if not planned:
        # GitLab creates no pipeline without jobs ("No stages / jobs for this pipeline").
        notes.append("no job would run, so GitLab creates no pipeline")
        return Plan(False, tuple(stages), (), tuple(notes))
    return Plan(True, tuple(stages), tuple(planned), tuple(notes))


def _with_includes(data: dict[Any, Any], root: Path | None, notes: list[str]) -> dict[Any, Any]:
    config: dict[Any, Any] = {}
    include = data.get("include")
    for item in include if isinstance(include, list) else [include] if include else []:
        local = item if isinstance(item, str) and not item.startswith("http") else None
        if isinstance(item, dict):
            local = item.get("local")
        if not isinstance(local, str) or root is None:
            notes.append(f"include not resolved offline: {item}")
            continue
        for path in sorted(root.glob(local.lstrip("/"))):
            body = load(path.read_text(encoding="utf-8"))[-1].data
            if isinstance(body, dict):
                for key, value in body.items():
                    config.setdefault(key, value)
    config.update(data)
    return config


def _variables(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    result = {}
    for key, item in value.items():
        given = item.get("value") if isinstance(item, dict) else item
        if given is not None:
            result[str(key)] = str(given).lower() if isinstance(given, bool) else str(given)
    return result


def _extended(name: str, jobs: dict[str, dict[Any, Any]], depth: int = 0) -> dict[Any, Any]:
    job = jobs[name]
    parents = job.get("extends")
    parents = (
        [parents] if isinstance(parents, str) else parents if isinstance(parents, list) else []
    )
    result: dict[Any, Any] = {}
    for parent in parents:
        if isinstance(parent, str) and parent in jobs and parent != name and depth < 11:
            result = _deep_merge(result, _extended(parent, jobs, depth + 1))
    return _deep_merge(result, {k: v for k, v in job.items() if k != "extends"})


def _first_rule(
    rules: list[Any],
    variables: Mapping[str, str],
    changed: Sequence[str] | None,
    root: Path | None,
    notes: list[str],
) -> dict[Any, Any] | None:
    for rule in rules:
        if isinstance(rule, dict) and _rule_matches(rule, variables, changed, root, notes):
            return rule
    return None


def _rule_matches(
    rule: dict[Any, Any],
    variables: Mapping[str, str],
    changed: Sequence[str] | None,
    root: Path | None,
    notes: list[str],
) -> bool:
    condition = rule.get("if")
    if isinstance(condition, str):
        try:
            if not evaluate(condition, variables):
                return False
        except ExpressionError as exc:
            notes.append(f"rules:if not evaluated (GitLab treats it as false): {exc}")
            return False
    changes = rule.get("changes")
    if changes is not None:
        paths = changes.get("paths") if isinstance(changes, dict) else changes
        if changed is not None and not _any_match(paths, changed):
            return False
    exists = rule.get("exists")
    if exists is not None:
        paths = exists.get("paths") if isinstance(exists, dict) else exists
        if root is None or not any(any(root.glob(p)) for p in paths or [] if isinstance(p, str)):
            return False
    return True


def _any_match(globs: Any, changed: Sequence[str]) -> bool:
    patterns = [g for g in globs or [] if isinstance(g, str)]
    return any(fnmatch.fnmatch(path, pattern) for pattern in patterns for path in changed)


def _job_outcome(
    job: dict[Any, Any],
    variables: Mapping[str, str],
    changed: Sequence[str] | None,
    root: Path | None,
    notes: list[str],
) -> tuple[str, bool] | None:
    """(when, allow_failure) of a job that is created; None when it is not."""
    job_when = str(job.get("when", "on_success"))
    job_allow = job.get("allow_failure")
    rules = job.get("rules")
    if isinstance(rules, list):
        context = {**variables, **_variables(job.get("variables"))}
        rule = _first_rule(rules, context, changed, root, notes)
        if rule is None:
            return None
        when = str(rule.get("when", job_when))
        if when == "never":
            return None
        allow = rule.get("allow_failure", job_allow)
        return when, bool(allow) if allow is not None else False
    if not _only_except(job, variables, changed):
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


def _only_except(
    job: dict[Any, Any], variables: Mapping[str, str], changed: Sequence[str] | None
) -> bool:
    only = job.get("only", ["branches", "tags"])
    if not _policy(only, variables, changed, default=True):
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
    if refs is not None and not any(_ref_matches(ref, variables) for ref in refs):
        return False
    expressions = value.get("variables")
    if expressions is not None and not any(
        evaluate(e, variables) for e in expressions if isinstance(e, str)
    ):
        return False
    changes = value.get("changes")
    changes = changes.get("paths") if isinstance(changes, dict) else changes
    return not (changes is not None and changed is not None and not _any_match(changes, changed))


def _ref_matches(ref: Any, variables: Mapping[str, str]) -> bool:
    if not isinstance(ref, str):
        return False
    if ref in _SOURCES:
        return bool(_SOURCES[ref](variables))
    name = variables.get("CI_COMMIT_REF_NAME", "")
    if len(ref) > 2 and ref.startswith("/") and ref.rstrip("imsU").endswith("/"):
        return evaluate(f"$CI_COMMIT_REF_NAME =~ {ref}", {"CI_COMMIT_REF_NAME": name})
    return ref == name


def preset(on: str, default_branch: str = "main") -> dict[str, str]:
    """The variables GitLab sets for a kind of pipeline: ``branch:NAME``, ``tag:NAME``, ``mr``
    (or ``mr:SOURCE_BRANCH``) or ``schedule`` (on the default branch)."""
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
    raise ValueError(f"--on {on!r}: use branch:NAME, tag:NAME, mr, mr:BRANCH or schedule")


def _ref(name: str) -> dict[str, str]:
    slug = "".join(c if c.isalnum() else "-" for c in name.lower())[:63].strip("-")
    return {"CI_COMMIT_REF_NAME": name, "CI_COMMIT_REF_SLUG": slug}
