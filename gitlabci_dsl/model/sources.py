"""Which pipelines a job runs in, by pipeline source: ``runs_on("branches", "tags")``.

GitLab creates a pipeline for a push to a branch or a tag, a merge request, a schedule, and a
run from the API, a trigger token or the web ("Run pipeline"). A job's ``rules`` pick the
pipelines it joins; :func:`runs_on` writes them from the kinds of pipeline named here:

``"default_branch"``, ``"other_branches"`` (``"branches"`` is both), ``"tags"``
    pipelines for that ref: pushes, and runs from the API, a trigger or the web;
``"merge_requests"``
    merge request pipelines, when the workflow creates them (see below);
``"schedules"``
    scheduled pipelines, on any branch. A job that does not name them never runs in one, so a
    cleanup schedule does not rebuild, push ``latest`` or redeploy.

Merge request pipelines: a job whose rules match ``merge_request_event`` makes GitLab create
a merge request pipeline beside the branch pipeline of every push to a branch with an open
merge request (GitLab's "duplicate pipelines"). So the merge request rule also asks for
:data:`MR_PIPELINES`, which :func:`merge_request_workflow` sets: without that workflow,
``"merge_requests"`` adds nothing and no pipeline is duplicated; with it, each push gets one
pipeline (the merge request's if one is open, else the branch's) and the job runs in it.
A workflow of your own that creates merge request pipelines sets the variable the same way:
``Rule(if_=..., variables={MR_PIPELINES: "true"})``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

from .. import ci
from ..errors import ValidationError
from .base import type_name
from .rules import Rule

__all__ = [
    "EVERY_KIND",
    "MR_PIPELINES",
    "Kind",
    "merge_request_workflow",
    "runs_on",
]

Kind = Literal[
    "default_branch", "other_branches", "branches", "tags", "merge_requests", "schedules"
]
EVERY_KIND: tuple[str, ...] = get_args(Kind)

MR_PIPELINES = "GITLABCI_DSL_MR_PIPELINES"
"""The variable :func:`merge_request_workflow` sets to ``"true"`` in merge request pipelines;
the ``"merge_requests"`` rule of :func:`runs_on` asks for it."""

MERGE_REQUEST = f'{ci.PIPELINE_SOURCE} == "merge_request_event"'
SCHEDULE = f'{ci.PIPELINE_SOURCE} == "schedule"'
PUSH = f'{ci.PIPELINE_SOURCE} == "push"'
MERGE_REQUESTS_ASKED = f'{MERGE_REQUEST} && ${MR_PIPELINES} == "true"'
"""A merge request pipeline of a project whose workflow creates them (sets :data:`MR_PIPELINES`)."""
OTHER_BRANCH = f"{ci.COMMIT_BRANCH} && {ci.COMMIT_BRANCH} != {ci.DEFAULT_BRANCH}"
DEFAULT_BRANCH = f"{ci.COMMIT_BRANCH} == {ci.DEFAULT_BRANCH}"


def runs_on(
    *kinds: Kind, when: Literal["manual"] | None = None, allow_failure: bool | None = None
) -> tuple[Rule, ...]:
    """The rules of a job that runs in the pipelines of ``kinds`` and no other.

    ``when="manual"`` makes it a manual job there; a manual job does not block the pipeline
    (``allow_failure: true``) unless ``allow_failure=False`` asks it to.
    """
    wanted = _kinds(kinds)
    if when not in (None, "manual"):
        raise ValidationError(f"runs_on(when={when!r}): when is 'manual' or left out")
    if allow_failure is not None and when is None:
        raise ValidationError("runs_on(allow_failure=...) is for manual jobs: add when='manual'")
    manual: Literal["manual"] | None = when
    allowed = None if when is None else (True if allow_failure is None else allow_failure)

    def rule(condition: str) -> Rule:
        return Rule(if_=condition, when=manual, allow_failure=allowed)

    default, other = "default_branch" in wanted, "other_branches" in wanted
    rules: list[Rule] = []
    if "schedules" in wanted:
        if not (default and other):  # a branch rule would not match every schedule
            rules.append(rule(SCHEDULE))
    elif default or other:
        rules.append(Rule(if_=SCHEDULE, when="never"))
    if "merge_requests" in wanted:
        rules.append(rule(MERGE_REQUESTS_ASKED))
    if default and other:
        rules.append(rule(ci.COMMIT_BRANCH))
    elif default:
        rules.append(rule(DEFAULT_BRANCH))
    elif other:
        rules.append(rule(OTHER_BRANCH))
    if "tags" in wanted:
        rules.append(rule(ci.COMMIT_TAG))
    return tuple(rules)


def merge_request_workflow() -> tuple[Rule, ...]:
    """``workflow:rules`` for branch, tag and merge request pipelines without duplicates:
    a merge request pipeline for a branch with an open merge request (and
    :data:`MR_PIPELINES` set in it), a branch pipeline for other branches, a tag pipeline for
    tags; schedules and runs from the API, a trigger or the web are kept."""
    return (
        Rule(if_=MERGE_REQUEST, variables={MR_PIPELINES: "true"}),
        Rule(if_=f"{ci.COMMIT_BRANCH} && {ci.OPEN_MERGE_REQUESTS} && {PUSH}", when="never"),
        Rule(if_=ci.COMMIT_BRANCH),
        Rule(if_=ci.COMMIT_TAG),
    )


def _kinds(kinds: Iterable[object]) -> set[str]:
    wanted: set[str] = set()
    for kind in kinds:
        if not isinstance(kind, str) or kind not in EVERY_KIND:
            shown = repr(kind) if isinstance(kind, str) else type_name(kind)
            listed = ", ".join(repr(k) for k in EVERY_KIND)
            raise ValidationError(f"runs_on({shown}): a kind of pipeline is one of {listed}")
        wanted.update(("default_branch", "other_branches") if kind == "branches" else (kind,))
    if not wanted:
        raise ValidationError(
            "runs_on() needs at least one kind of pipeline, e.g. runs_on('branches')"
        )
    return wanted
