"""``runs_on`` and ``Workflow.merge_request_pipelines()``: which pipelines a job joins, as the
GitLab core's evaluator (the one ``explain`` uses) decides from the YAML they compile to."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from gitlabci_dsl import (
    MR_PIPELINES,
    Job,
    Pipeline,
    ValidationError,
    Workflow,
    runs_on,
    to_yaml,
)
from gitlabci_dsl.evaluate.pipeline import plan, preset

# The kinds of pipeline, as GitLab's variables for them (the evaluator's presets).
PIPELINES = {
    "default_branch": preset("branch:main"),
    "other_branches": preset("branch:feature"),
    "tags": preset("tag:v1.2.3"),
    "merge_requests": preset("mr:feature"),
    "schedules": preset("schedule"),
}
KINDS = sorted(PIPELINES)


def _jobs(pipeline: Pipeline, variables: dict[str, str]) -> dict[str, str]:
    """Job name -> its ``when`` in the pipeline GitLab would create for ``variables``."""
    planned = plan(to_yaml(pipeline), variables)
    return {job.name: job.when for job in planned.jobs} if planned.pipeline else {}


def _joins(kinds: tuple[str, ...], workflow: Workflow | None) -> set[str]:
    """The kinds of pipeline a job with ``runs_on(*kinds)`` is created in."""
    job = Job("job", script=["true"], rules=runs_on(*kinds))  # type: ignore[arg-type]
    pipeline = Pipeline(jobs=[job], workflow=workflow)
    return {kind for kind, variables in PIPELINES.items() if "job" in _jobs(pipeline, variables)}


@pytest.mark.parametrize(
    "kinds", [c for n in (1, 2, 3) for c in itertools.combinations(KINDS, n)], ids=str
)
def test_a_job_runs_in_the_pipelines_it_names_and_no_other(kinds: tuple[str, ...]) -> None:
    """With the merge request workflow, exactly the named kinds; without it, no merge request
    pipeline is created for the job (so none duplicates a branch pipeline)."""
    assert _joins(kinds, Workflow.merge_request_pipelines()) == set(kinds)
    assert _joins(kinds, None) == set(kinds) - {"merge_requests"}


def test_branches_means_the_default_branch_and_the_others() -> None:
    assert runs_on("branches") == runs_on("default_branch", "other_branches")


def test_a_manual_job_does_not_block_unless_asked() -> None:
    """GitLab makes a manual job of `rules` blocking (allow_failure false) by default."""
    pipeline = Pipeline(
        jobs=[
            Job("asked", script=["true"], rules=runs_on("branches", when="manual")),
            Job(
                "blocking",
                script=["true"],
                rules=runs_on("branches", when="manual", allow_failure=False),
            ),
        ]
    )
    planned = plan(to_yaml(pipeline), PIPELINES["other_branches"])
    outcome = {job.name: (job.when, job.allow_failure) for job in planned.jobs}
    assert outcome == {"asked": ("manual", True), "blocking": ("manual", False)}


untyped: Any = runs_on  # the calls a type checker would refuse, as a user may still write them


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: untyped(), "at least one kind"),
        (lambda: untyped("branch"), "a kind of pipeline is one of"),
        (lambda: untyped("tags", when="always"), "when is 'manual'"),
        (lambda: untyped("tags", allow_failure=True), "add when='manual'"),
    ],
)
def test_mistakes_say_what_to_write(call: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        call()  # type: ignore[operator]


def _workflow_creates(variables: dict[str, str]) -> bool:
    job = Job("job", script=["true"], rules=runs_on(*KINDS))  # type: ignore[arg-type]
    pipeline = Pipeline(jobs=[job], workflow=Workflow.merge_request_pipelines())
    return plan(to_yaml(pipeline), variables).pipeline


def test_the_workflow_creates_one_pipeline_per_push() -> None:
    """A push to a branch with an open merge request: the merge request pipeline, not the
    branch pipeline; without one, the branch pipeline; tags, schedules and API runs kept."""
    open_mr = {**PIPELINES["other_branches"], "CI_OPEN_MERGE_REQUESTS": "group/app!7"}
    assert not _workflow_creates(open_mr)
    assert _workflow_creates(PIPELINES["merge_requests"])
    assert _workflow_creates(PIPELINES["other_branches"])
    assert _workflow_creates(PIPELINES["tags"])
    assert _workflow_creates({**open_mr, "CI_PIPELINE_SOURCE": "api"})
    assert _workflow_creates({**open_mr, "CI_PIPELINE_SOURCE": "schedule"})


def test_the_workflow_sets_the_variable_the_merge_request_rule_asks_for() -> None:
    rules = Workflow.merge_request_pipelines().rules or ()
    assert any((rule.variables or {}).get(MR_PIPELINES) == "true" for rule in rules)  # type: ignore[union-attr]
    assert any(MR_PIPELINES in (rule.if_ or "") for rule in runs_on("merge_requests"))


def _block_table() -> list[tuple[str, Any]]:
    import sys

    from conftest import ROOT

    sys.path.insert(0, str(ROOT / "scripts"))
    from block_pipelines import blocks

    return blocks()


def test_the_block_table_covers_every_block_that_writes_a_job() -> None:
    import gitlabci_dsl
    from gitlabci_dsl.blocks._fields import JobBlock

    every = {
        name
        for name in gitlabci_dsl.__all__
        if isinstance(cls := getattr(gitlabci_dsl, name), type) and issubclass(cls, JobBlock)
    }
    assert {type(block).__name__ for _, block in _block_table()} == every


@pytest.mark.parametrize(("name", "block"), _block_table(), ids=lambda v: str(v)[:40])
def test_blocks_join_schedules_only_when_made_for_them_and_never_block(
    name: str, block: Any
) -> None:
    """Issue 21: a cleanup schedule must not rebuild, push latest or redeploy; a manual job
    a block writes must not block the pipeline; every block's job runs somewhere."""
    job = block.job()
    stages = [job.stage] if isinstance(job.stage, str) else None
    text = to_yaml(Pipeline(workflow=Workflow.merge_request_pipelines(), stages=stages, jobs=[job]))
    joined = {kind: plan(text, variables).jobs for kind, variables in PIPELINES.items()}
    made_for_schedules = type(block).__name__ in ("RegistryCleanup", "RegistryPrune")
    assert bool(joined["schedules"]) is made_for_schedules
    assert any(joined.values())
    for planned in itertools.chain.from_iterable(joined.values()):
        assert planned.when != "manual" or planned.allow_failure, name


def test_a_block_without_rules_is_left_to_gitlab_defaults_and_its_rules_replace_the_choice() -> (
    None
):
    from gitlabci_dsl import DockerBuild, KubeDeploy, RegistryCleanup

    assert DockerBuild(rules=None).job().rules is None
    image = "$CI_REGISTRY_IMAGE:1"
    deploy = KubeDeploy(image=image, deployment="a", container="a", rules=runs_on("tags"))
    assert deploy.job().rules == runs_on("tags")
    with pytest.raises(ValidationError, match="rules"):
        RegistryCleanup(rules=None)  # type: ignore[arg-type]
