"""Checks across objects, run when a pipeline is compiled."""

from __future__ import annotations

import pytest

from gitlabci_dsl import (
    CompileError,
    Environment,
    Include,
    Job,
    Need,
    Pipeline,
    Rule,
    Stage,
    to_dict,
)

build, test, deploy = Stage("build"), Stage("test"), Stage("deploy")


def problems(pipeline: Pipeline) -> str:
    with pytest.raises(CompileError) as info:
        to_dict(pipeline)
    return str(info.value)


def test_stage_not_in_pipeline() -> None:
    """A job in a stage the pipeline does not declare names the job, stage and fix."""
    job = Job("scan", stage=Stage("scan"), script=["trivy"])
    message = problems(Pipeline(stages=[build, test], jobs=[job]))
    assert "job 'scan': stage 'scan' is not in stages (.pre, build, test, .post)" in message
    assert "add the stage to `stages:`" in message


def test_job_without_stage_is_in_test() -> None:
    """GitLab puts a job without stage in 'test': that stage must exist."""
    message = problems(Pipeline(stages=[build], jobs=[Job("j", script=["x"])]))
    assert "stage 'test' is not in stages (.pre, build, .post)" in message
    assert to_dict(Pipeline(jobs=[Job("j", script=["x"])])) == {"j": {"script": ["x"]}}


def test_pre_and_post_stages_always_exist() -> None:
    """.pre and .post need no declaration."""
    data = to_dict(
        Pipeline(
            stages=[build],
            jobs=[Job("a", stage=".pre", script=["x"]), Job("b", stage=".post", script=["y"])],
        )
    )
    assert data["a"]["stage"] == ".pre"


def test_duplicate_job_names() -> None:
    """Two jobs with one name are reported (GitLab would silently keep the last)."""
    message = problems(Pipeline(jobs=[Job("a", script=["x"]), Job("a", script=["y"])]))
    assert "job 'a': defined twice" in message


def test_needs_job_not_in_pipeline() -> None:
    """A need on a Job object that was never added to the pipeline is an error, not dropped."""
    orphan = Job("scan", script=["trivy"])
    deploy_job = Job("deploy", stage=deploy, script=["x"], needs=[orphan])
    message = problems(Pipeline(jobs=[deploy_job]))
    assert (
        "job 'deploy': needs 'scan', which is not in this pipeline; add it to Pipeline(jobs=...)"
        in message
    )


def test_needs_unknown_name() -> None:
    """A need on a misspelt name says so."""
    message = problems(Pipeline(jobs=[Job("a", script=["x"], needs=["bulid"])]))
    assert "job 'a': needs 'bulid', which is not a job; fix the name" in message


def test_optional_need_may_be_absent() -> None:
    """needs:optional tolerates a job that is not in the pipeline, as GitLab does."""
    data = to_dict(Pipeline(jobs=[Job("a", script=["x"], needs=[Need("maybe", optional=True)])]))
    assert data["a"]["needs"] == [{"job": "maybe", "optional": True}]


def test_names_may_come_from_includes() -> None:
    """With includes, a need on an unknown name may be defined there: it is left to GitLab."""
    data = to_dict(
        Pipeline(
            include=[Include(local="ci/jobs.yml")],
            jobs=[Job("a", script=["x"], needs=["from-include"])],
        )
    )
    assert data["a"]["needs"] == ["from-include"]


def test_job_object_from_elsewhere_is_an_error_even_with_includes() -> None:
    """Includes never excuse a Job object that was not added."""
    orphan = Job("orphan", script=["x"])
    message = problems(
        Pipeline(include=["ci/a.yml"], jobs=[Job("a", script=["x"], needs=[orphan])])
    )
    assert "needs 'orphan'" in message


def test_cross_project_needs_are_not_checked() -> None:
    """needs:project and needs:pipeline name jobs elsewhere."""
    job = Job(
        "a",
        script=["x"],
        needs=[
            Need(job="b", project="g/p", ref="main"),
            Need(job="c", pipeline="$PARENT_PIPELINE_ID"),
        ],
    )
    assert to_dict(Pipeline(jobs=[job]))["a"]["needs"] == [
        {"job": "b", "project": "g/p", "ref": "main"},
        {"job": "c", "pipeline": "$PARENT_PIPELINE_ID"},
    ]


def test_need_on_later_stage() -> None:
    """A job cannot need a job of a later stage."""
    late = Job("late", stage=deploy, script=["x"])
    early = Job("early", stage=build, script=["y"], needs=[late])
    message = problems(Pipeline(stages=[build, test, deploy], jobs=[early, late]))
    assert "job 'early': needs 'late' of the later stage 'deploy'" in message


def test_need_in_same_stage_is_fine() -> None:
    """Needs within one stage are allowed (GitLab 14.2+)."""
    a = Job("a", stage=build, script=["x"])
    b = Job("b", stage=build, script=["y"], needs=[a])
    assert to_dict(Pipeline(stages=[build], jobs=[a, b]))["b"]["needs"] == ["a"]


def test_need_cycle() -> None:
    """Needs that loop are reported with the loop."""
    a = Job("a", stage=build, script=["x"], needs=["c"])
    b = Job("b", stage=build, script=["x"], needs=["a"])
    c = Job("c", stage=build, script=["x"], needs=["b"])
    message = problems(Pipeline(stages=[build], jobs=[a, b, c]))
    assert "needs form a cycle: a -> c -> b -> a" in message


def test_too_many_needs() -> None:
    """More than 50 needs exceed GitLab's limit."""
    jobs = [Job(f"j{i}", stage=build, script=["x"]) for i in range(51)]
    message = problems(
        Pipeline(stages=[build, test], jobs=[*jobs, Job("all", script=["x"], needs=jobs)])
    )
    assert "job 'all': needs 51 jobs; GitLab allows at most 50" in message
    to_dict(
        Pipeline(stages=[build, test], jobs=[*jobs[:50], Job("all", script=["x"], needs=jobs[:50])])
    )


def test_dependencies_not_in_pipeline_and_later_stage() -> None:
    """dependencies must name jobs of the pipeline in earlier stages."""
    late = Job("late", stage=deploy, script=["x"])
    job = Job("j", stage=build, script=["y"], dependencies=[late, "ghost"])
    message = problems(Pipeline(stages=[build, deploy], jobs=[job, late]))
    assert "depends on 'late', which is not in an earlier stage" in message
    assert "depends on 'ghost', which is not a job" in message


def test_empty_needs_and_dependencies_are_kept() -> None:
    """needs: [] (start at once) and dependencies: [] (fetch nothing) mean something: kept."""
    job = Job("j", script=["x"], needs=[], dependencies=[])
    assert to_dict(Pipeline(jobs=[job]))["j"] == {"needs": [], "script": ["x"], "dependencies": []}


def test_hidden_job_cannot_be_needed() -> None:
    """Templates never run, so needing one is a mistake."""
    template = Job(".t", script=["x"])
    message = problems(Pipeline(jobs=[template, Job("j", script=["y"], needs=[template])]))
    assert "needs '.t', which is not a job" in message


def test_extends_missing_and_cycle() -> None:
    """extends must name a job or template of the pipeline and must not loop."""
    message = problems(Pipeline(jobs=[Job("j", extends=".missing")]))
    assert "extends '.missing', which does not exist" in message
    a = Job(".a", extends=".b")
    b = Job(".b", extends=".a")
    assert "extends it back (.a -> .b -> .a)" in problems(Pipeline(jobs=[a, b]))


def test_extends_depth_limit() -> None:
    """GitLab allows 11 levels of extends."""
    chain = [Job(".t0", script=["x"])]
    for i in range(1, 13):
        chain.append(Job(f".t{i}", extends=chain[-1]))
    assert "more than 11 levels deep" in problems(Pipeline(jobs=chain))
    to_dict(Pipeline(jobs=chain[:12]))


def test_job_without_script() -> None:
    """A visible job needs script, trigger, run or extends."""
    message = problems(Pipeline(jobs=[Job("empty")]))
    assert "job 'empty': has no script, trigger or run" in message
    assert to_dict(Pipeline(jobs=[Job("via-extra", extra={"script": ["x"]})]))["via-extra"] == {
        "script": ["x"]
    }


def test_on_stop_must_exist() -> None:
    """environment:on_stop names a job of the pipeline."""
    job = Job("deploy", script=["x"], environment=Environment("prod", on_stop="stop-prod"))
    assert "environment:on_stop names 'stop-prod', which is not a job" in problems(
        Pipeline(jobs=[job])
    )


def test_rule_needs_must_exist() -> None:
    """rules:needs names jobs of the pipeline."""
    job = Job("j", script=["x"], rules=[Rule(if_="$A", needs=["ghost"])])
    assert "rules:needs 'ghost', which is not a job" in problems(Pipeline(jobs=[job]))


def test_all_problems_are_reported_together() -> None:
    """One compile error lists every problem, one per line."""
    message = problems(
        Pipeline(stages=[build], jobs=[Job("a", script=["x"], needs=["x"]), Job("b")])
    )
    lines = message.splitlines()
    assert [line.split(":")[0] for line in lines] == ["job 'a'", "job 'b'", "job 'b'", "job 'a'"]
    assert "stage 'test'" in lines[0]
    assert "has no script" in lines[2]
    assert "needs 'x'" in lines[3]


def test_validation_is_linear() -> None:
    """A 5,000-job chain of needs validates (iterative DFS, no recursion limit)."""
    jobs = [Job("j0", stage=build, script=["x"])]
    for i in range(1, 5000):
        jobs.append(Job(f"j{i}", stage=build, script=["x"], needs=[jobs[-1]]))
    assert len(to_dict(Pipeline(stages=[build], jobs=jobs))) == 5001


def test_includes_may_define_stages_and_complete_jobs() -> None:
    """With an include, an unknown stage and a job without script are allowed (the included
    file may define the stage, or the job it completes, as for GitLab's SAST template);
    without one, both are refused."""
    sast = Job("semgrep-sast", variables={"SAST_EXCLUDED_PATHS": "vendor"})
    lint = Job("lint", stage="check", script=["make lint"])
    included = Pipeline(include=[Include(template="Jobs/SAST.gitlab-ci.yml")], jobs=[sast, lint])
    assert set(to_dict(included)) == {"include", "semgrep-sast", "lint"}
    message = problems(Pipeline(jobs=[sast, lint]))
    assert "job 'semgrep-sast': has no script" in message
    assert "job 'lint': stage 'check' is not in stages" in message


def test_a_stage_from_a_spec_input_is_not_checked() -> None:
    """`stage: $[[ inputs.stage ]]` is known only once the file is included with its inputs."""
    job = Job("scan", stage="$[[ inputs.stage ]]", needs=["build"], script=["scan"])
    later = Job("build", stage=build, script=["make"])
    assert "scan" in to_dict(Pipeline(stages=[build], jobs=[later, job]))


def test_an_included_file_leaves_the_whole_pipeline_checks_to_its_includer() -> None:
    """Pipeline(included=True): stages, needs and extends may name what other files define;
    a Job object missing from the pipeline and a needs cycle are still errors."""
    job = Job("deploy", stage="release", extends=".deploy-base", needs=["build"], script=["x"])
    assert "deploy" in to_dict(Pipeline(included=True, jobs=[job]))
    assert "stage 'release' is not in stages" in problems(Pipeline(jobs=[job]))
    missing = Job("build", script=["make"])
    orphan = Job("test", needs=[missing], script=["x"])
    assert "'build', which is not in this pipeline" in problems(
        Pipeline(included=True, jobs=[orphan])
    )
    a = Job("a", needs=["b"], script=["x"])
    b = Job("b", needs=["a"], script=["x"])
    assert "needs form a cycle" in problems(Pipeline(included=True, jobs=[a, b]))


def test_a_trigger_job_runs_no_commands() -> None:
    """GitLab refuses a trigger job with script (its bridge job takes no commands)."""
    job = Job("child", trigger="group/other", script=["make"])
    assert "job 'child': has trigger and script" in problems(Pipeline(jobs=[job]))


def test_an_if_gitlab_cannot_parse_is_refused_wherever_it_is() -> None:
    """GitLab refuses the pipeline ("invalid expression syntax"): a single `=`, `${VAR}`, a
    regex RE2 refuses, in job rules, workflow rules and include rules alike."""
    from gitlabci_dsl import Include, Workflow

    job = Job("j", script=["x"], rules=[Rule(if_="$CI_COMMIT_BRANCH = 'main'")])
    message = problems(Pipeline(jobs=[job]))
    assert "job 'j': rules:if \"$CI_COMMIT_BRANCH = 'main'\" is not a GitLab expression" in message
    assert "unknown token at column 19" in message
    flow = Workflow(rules=[Rule(if_="${CI_COMMIT_TAG}")])
    assert "not a GitLab expression" in problems(
        Pipeline(workflow=flow, jobs=[Job("k", script=["x"])])
    )
    include = Include(local="x.yml", rules=[Rule(if_="$A =~ /(?<=a)b/")])
    assert "RE2" in problems(Pipeline(include=[include], jobs=[Job("k", script=["x"])]))
    fine = Job("j", script=["x"], rules=[Rule(if_="$CI_COMMIT_BRANCH == 'main' && $A =~ /ma?in/i")])
    assert "j" in to_dict(Pipeline(jobs=[fine]))
