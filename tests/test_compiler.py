"""Model → plain data: shapes from GitLab's keyword reference, key order, escape hatch."""

from __future__ import annotations

import copy

import pytest

from gitlabci_dsl import (
    AllowFailure,
    Artifacts,
    CompileError,
    Default,
    Environment,
    Image,
    Include,
    Input,
    Job,
    KubernetesEnvironment,
    Need,
    Parallel,
    Pipeline,
    Reference,
    Release,
    ReleaseLink,
    Reports,
    Retry,
    Rule,
    Service,
    Spec,
    Stage,
    Trigger,
    Variable,
    to_dict,
    to_documents,
)
from gitlabci_dsl.compiler import JOB_KEY_ORDER


def job_dict(job: Job, *others: Job) -> dict[str, object]:
    data = to_dict(Pipeline(jobs=[job, *others]))
    result = data[job.name]
    assert isinstance(result, dict)
    return result


def test_job_keys_follow_the_declared_order() -> None:
    """stage, image, services, variables, needs, rules, scripts first; the rest in one order."""
    dep = Job("dep", script=["x"])
    job = Job(
        "j",
        tags=["a"],
        when="manual",
        after_script=["c"],
        script=["b"],
        before_script=["a"],
        rules=[Rule(if_="$X")],
        needs=[dep],
        variables={"A": "1"},
        services=["s:1"],
        image="i:1",
        stage="test",
        retry=1,
        timeout="1h",
        allow_failure=True,
    )
    keys = list(job_dict(job, dep))
    assert keys[:9] == list(JOB_KEY_ORDER[:9])
    assert keys == sorted(keys, key=JOB_KEY_ORDER.index)


def test_top_level_order_and_jobs_in_declaration_order() -> None:
    """include, stages, variables, workflow, default, then jobs as declared."""
    from gitlabci_dsl import Workflow

    b, a = Job("b", script=["x"]), Job("a", script=["y"])
    data = to_dict(
        Pipeline(
            jobs=[b, a],
            default=Default(tags=["t"]),
            workflow=Workflow(name="w"),
            variables={"V": "1"},
            stages=["test"],
            include=["ci/a.yml"],
        )
    )
    assert list(data) == ["include", "stages", "variables", "workflow", "default", "b", "a"]


def test_extra_overrides_typed_keys_in_place_and_adds_new_ones() -> None:
    """extra is merged last: it replaces a typed key (keeping its position) and is never dropped."""
    job = Job(
        "j", stage="test", script=["x"], extra={"stage": "build", "future_keyword": {"a": [1]}}
    )
    data = job_dict(job)
    assert data == {"stage": "build", "script": ["x"], "future_keyword": {"a": [1]}}
    assert list(data) == ["stage", "script", "future_keyword"]


def test_extra_none_emits_null() -> None:
    """extra={"rules": None} writes rules: null (GitLab's way to unset inherited rules)."""
    assert job_dict(Job("j", script=["x"], extra={"rules": None}))["rules"] is None


def test_every_node_has_an_escape_hatch() -> None:
    """Nested nodes merge their own extra too."""
    job = Job(
        "j",
        script=["x"],
        image=Image("a:1", extra={"new": 1}),
        artifacts=Artifacts(paths=["p"], reports=Reports(junit="r.xml", extra={"future": "f"})),
    )
    data = job_dict(job)
    assert data["image"] == {"name": "a:1", "new": 1}
    assert data["artifacts"] == {"paths": ["p"], "reports": {"junit": "r.xml", "future": "f"}}


def test_extra_values_must_be_yaml_data() -> None:
    """A value YAML cannot hold is refused with a clear message."""
    with pytest.raises(CompileError, match="cannot write a value of type set"):
        to_dict(Pipeline(jobs=[Job("j", script=["x"], extra={"bad": {1, 2}})]))


def test_needs_forms() -> None:
    """Job objects and names become strings; a Need is GitLab's object form, even without options."""
    build = Job("build", stage="build", script=["x"])
    job = Job(
        "j",
        script=["x"],
        needs=[
            build,
            "build",
            Need(build),
            Need(build, artifacts=False),
            Need("build", parallel=Parallel(matrix=[{"A": "1"}])),
        ],
    )
    assert job_dict(job, build)["needs"] == [
        "build",
        "build",
        {"job": "build"},
        {"job": "build", "artifacts": False},
        {"job": "build", "parallel": {"matrix": [{"A": "1"}]}},
    ]


def test_extends_single_and_many() -> None:
    """extends is a string for one parent, a list for several; Job objects become names."""
    t1, t2 = Job(".a", script=["x"]), Job(".b", tags=["t"])
    assert job_dict(Job("j", extends=t1), t1, t2)["extends"] == ".a"
    assert job_dict(Job("j", extends=[t1]), t1, t2)["extends"] == [".a"]
    assert job_dict(Job("j", extends=[t1, ".b"]), t1, t2)["extends"] == [".a", ".b"]


def test_image_and_services_object_forms() -> None:
    """image/services with options use GitLab's object form; plain strings stay strings."""
    job = Job(
        "j",
        script=["x"],
        image=Image("gcr.io/kaniko-project/executor:v1.23.2-debug", entrypoint=[""]),
        services=["redis:7", Service("docker:27.3-dind", alias="docker", command=["--tls=true"])],
    )
    data = job_dict(job)
    assert data["image"] == {
        "name": "gcr.io/kaniko-project/executor:v1.23.2-debug",
        "entrypoint": [""],
    }
    assert data["services"] == [
        "redis:7",
        {"name": "docker:27.3-dind", "alias": "docker", "command": ["--tls=true"]},
    ]


def test_variables_forms() -> None:
    """Plain values stay scalars; Variable becomes {value, description, options, expand}."""
    pipeline = Pipeline(
        variables={
            "A": "1",
            "N": 2,
            "B": True,
            "C": Variable(value="x", description="d", options=["x", "y"], expand=False),
        },
        jobs=[Job("j", script=["x"], variables={"D": Variable(value="$RAW", expand=False)})],
    )
    data = to_dict(pipeline)
    assert data["variables"] == {
        "A": "1",
        "N": 2,
        "B": True,
        "C": {"value": "x", "description": "d", "options": ["x", "y"], "expand": False},
    }
    assert data["j"]["variables"] == {"D": {"value": "$RAW", "expand": False}}


def test_rule_if_keyword() -> None:
    """Rule.if_ is written as GitLab's `if`; except_ as `except`."""
    job = Job(
        "j",
        script=["x"],
        rules=[Rule(if_="$CI_COMMIT_TAG", when="manual", allow_failure=True)],
        except_=["tags"],
    )
    data = job_dict(job)
    assert data["rules"] == [{"if": "$CI_COMMIT_TAG", "when": "manual", "allow_failure": True}]
    assert data["except"] == ["tags"]


def test_allow_failure_retry_forms() -> None:
    """allow_failure and retry take scalars or their object forms."""
    data = job_dict(
        Job(
            "j",
            script=["x"],
            allow_failure=AllowFailure(exit_codes=137),
            retry=Retry(max=2, when="script_failure"),
        )
    )
    assert data["allow_failure"] == {"exit_codes": [137]}
    assert data["retry"] == {"max": 2, "when": "script_failure"}


def test_environment_forms() -> None:
    """environment: a name, or an object with on_stop as a job name."""
    stop = Job("stop", script=["x"], when="manual", environment=Environment("prod", action="stop"))
    deploy = Job(
        "deploy",
        script=["x"],
        environment=Environment(
            "prod",
            url="https://example.com",
            on_stop=stop,
            deployment_tier="production",
            kubernetes=KubernetesEnvironment(agent="g/a:agent", managed_resources=False),
        ),
    )
    assert job_dict(deploy, stop)["environment"] == {
        "name": "prod",
        "url": "https://example.com",
        "on_stop": "stop",
        "kubernetes": {"agent": "g/a:agent", "managed_resources": {"enabled": False}},
        "deployment_tier": "production",
    }
    assert job_dict(Job("j", script=["x"], environment="review"))["environment"] == "review"


def test_release_assets_are_nested_under_links() -> None:
    """release:assets is {links: [...]} in GitLab's YAML."""
    release = Release(
        tag_name="v1", description="d", assets=[ReleaseLink(name="n", url="https://e")]
    )
    assert job_dict(Job("j", script=["x"], release=release))["release"] == {
        "tag_name": "v1",
        "description": "d",
        "assets": {"links": [{"name": "n", "url": "https://e"}]},
    }


def test_trigger_forms() -> None:
    """trigger: a project path, a multi-project object or a child-pipeline include."""
    assert job_dict(Job("j", trigger="group/project"))["trigger"] == "group/project"
    assert job_dict(Job("j", trigger=Trigger(include="child.yml", strategy="depend")))[
        "trigger"
    ] == {
        "include": "child.yml",
        "strategy": "depend",
    }
    child = Trigger(
        include=[Include(local="a.yml"), Include(project="g/p", file="b.yml", ref="main")]
    )
    assert job_dict(Job("j", trigger=child))["trigger"] == {
        "include": [{"local": "a.yml"}, {"project": "g/p", "file": "b.yml", "ref": "main"}]
    }


def test_reference_values_pass_through() -> None:
    """!reference values stay Reference objects in the data (the emitter writes the tag)."""
    template = Job(".t", script=["x"])
    data = job_dict(Job("j", script=[Reference(template, "script"), "y"]), template)
    assert data["script"] == [Reference(".t", "script"), "y"]


def test_spec_header_is_its_own_document() -> None:
    """A spec becomes the first document; inputs without default are mandatory."""
    pipeline = Pipeline(
        spec=Spec(
            inputs={
                "stage": Input(default="test"),
                "token": Input(),
                "opt": Input(default=None),
                "bare": None,
            }
        ),
        jobs=[Job("j", script=["x"])],
    )
    spec, body = to_documents(pipeline)
    assert spec == {
        "spec": {
            "inputs": {
                "stage": {"default": "test"},
                "token": {},
                "opt": {"default": None},
                "bare": None,
            }
        }
    }
    assert body == to_dict(pipeline) == {"j": {"script": ["x"]}}


def test_stage_objects_and_names() -> None:
    """Stages may be Stage objects or names; jobs may use either."""
    build = Stage("build")
    data = to_dict(
        Pipeline(
            stages=[build, "test"],
            jobs=[Job("a", stage=build, script=["x"]), Job("b", stage="test", script=["y"])],
        )
    )
    assert data["stages"] == ["build", "test"]
    assert data["a"]["stage"] == "build"


def test_compile_does_not_mutate_and_is_repeatable() -> None:
    """to_dict is pure: same result twice, input untouched."""
    job = Job("j", script=["x"], variables={"A": "1"}, extra={"k": {"n": [1]}})
    pipeline = Pipeline(jobs=[job])
    before = copy.deepcopy(pipeline)
    first, second = to_dict(pipeline), to_dict(pipeline)
    assert first == second
    assert pipeline == before
    first["j"]["variables"]["A"] = "changed"
    assert to_dict(pipeline)["j"]["variables"] == {"A": "1"}


def test_not_a_pipeline() -> None:
    """to_dict refuses anything but a Pipeline."""
    with pytest.raises(CompileError, match="expected a Pipeline"):
        to_dict(Job("j", script=["x"]))  # type: ignore[arg-type]


def test_output_never_depends_on_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """CI variables are written as $NAME even when the generating machine defines them."""
    from gitlabci_dsl import ci

    monkeypatch.setenv("CI_REGISTRY_IMAGE", "registry.example.com/leak")
    job = Job("j", script=[f"docker push {ci.REGISTRY_IMAGE}:{ci.COMMIT_SHA}"])
    assert job_dict(job)["script"] == ["docker push $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA"]


def test_pipeline_built_outside_any_module_has_no_source() -> None:
    """Code exec()'d without __name__ gives a header without a module, not an error."""
    from gitlabci_dsl import to_yaml

    namespace: dict[str, object] = {"Pipeline": Pipeline, "Job": Job}
    code = compile("pipeline = Pipeline(jobs=[Job('j', script=['x'])])", "snippet.py", "exec")
    exec(code, namespace)  # noqa: S102
    assert to_yaml(namespace["pipeline"]).startswith("# Generated by gitlabci-dsl; do not edit.")  # type: ignore[arg-type]
