"""Field checks at construction: each names the node, field, value, rule and GitLab docs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest

from gitlabci_dsl import (
    AllowFailure,
    Artifacts,
    Cache,
    CacheKey,
    Changes,
    Default,
    DockerOptions,
    Environment,
    Exists,
    IdToken,
    Image,
    Include,
    Inherit,
    Input,
    Job,
    Need,
    Parallel,
    Pipeline,
    Reference,
    Release,
    Retry,
    Rule,
    Secret,
    Service,
    Spec,
    Stage,
    Step,
    Trigger,
    ValidationError,
    Variable,
    Workflow,
    to_dict,
)

DOCS = "https://docs.gitlab.com/ci/yaml/"

BAD: list[tuple[str, Callable[[], Any], list[str]]] = [
    ("empty job name", lambda: Job("", script=["x"]), ["name=''", "non-empty", DOCS]),
    ("long job name", lambda: Job("j" * 256, script=["x"]), ["256 characters", "255"]),
    ("reserved image", lambda: Job("image", script=["x"]), ["reserved", "#job-keywords"]),
    ("reserved stages", lambda: Job("stages", script=["x"]), ["reserved"]),
    ("reserved types", lambda: Job("types", script=["x"]), ["reserved"]),
    ("reserved true", lambda: Job("true", script=["x"]), ["reserved"]),
    ("reserved nil", lambda: Job("nil", script=["x"]), ["reserved"]),
    ("reserved default", lambda: Job("default", script=["x"]), ["reserved"]),
    (
        "when enum",
        lambda: Job("j", script=["x"], when="later"),  # type: ignore[arg-type]
        ["when='later'", "'manual'", "#when"],
    ),
    ("delayed needs start_in", lambda: Job("j", script=["x"], when="delayed"), ["start_in"]),
    ("start_in needs delayed", lambda: Job("j", script=["x"], start_in="1 hour"), ["delayed"]),
    (
        "manual_confirmation needs manual",
        lambda: Job("j", script=["x"], manual_confirmation="sure?"),
        ["when='manual'"],
    ),
    (
        "timeout",
        lambda: Job("j", script=["x"], timeout="soon"),
        ["timeout='soon'", "duration", "#timeout"],
    ),
    ("retry high", lambda: Job("j", script=["x"], retry=3), ["retry=3", "0 to 2", "#retry"]),
    ("retry negative", lambda: Job("j", script=["x"], retry=-1), ["0 to 2"]),
    ("retry max", lambda: Retry(max=5), ["max=5", "0 to 2"]),
    ("retry when", lambda: Retry(when="sometimes"), ["'sometimes'", "#retrywhen"]),
    ("parallel zero", lambda: Job("j", script=["x"], parallel=0), ["1 to 200"]),
    ("parallel big", lambda: Job("j", script=["x"], parallel=201), ["1 to 200"]),
    (
        "matrix too large",
        lambda: Parallel(
            matrix=[{"A": [str(i) for i in range(20)], "B": [str(i) for i in range(11)]}]
        ),
        ["220 jobs", "200", "#parallelmatrix"],
    ),
    ("matrix empty", lambda: Parallel(matrix=[]), ["non-empty"]),
    ("script empty", lambda: Job("j", script=[]), ["must not be empty", "#script"]),
    ("script item type", lambda: Job("j", script=["ok", 3]), ["item 3", "shell commands"]),  # type: ignore[list-item]
    ("script type", lambda: Job("j", script=3), ["list of shell commands", "int"]),  # type: ignore[arg-type]
    ("stage type", lambda: Job("j", script=["x"], stage=1), ["stage=1", "Stage"]),  # type: ignore[arg-type]
    ("stage empty", lambda: Stage(""), ["non-empty", "#stages"]),
    ("variables type", lambda: Job("j", script=["x"], variables=["A"]), ["mapping"]),  # type: ignore[arg-type]
    ("variable value type", lambda: Job("j", script=["x"], variables={"A": [1]}), ["'A'", "list"]),  # type: ignore[dict-item]
    (
        "job variable with options",
        lambda: Job("j", script=["x"], variables={"A": Variable(value="a", options=["a"])}),
        ["top-level variables", "#variablesdescription"],
    ),
    ("variable option", lambda: Variable(value="c", options=["a", "b"]), ["one of its options"]),
    ("needs item", lambda: Job("j", script=["x"], needs=[1]), ["needs", "Need"]),  # type: ignore[list-item]
    ("need ref without project", lambda: Need("a", ref="main"), ["project"]),
    ("need project without ref", lambda: Need("a", project="g/p"), ["ref", "required"]),
    ("image type", lambda: Job("j", script=["x"], image=3), ["image=3"]),  # type: ignore[arg-type]
    ("image empty", lambda: Image(""), ["image reference"]),
    ("pull policy", lambda: Image("a", pull_policy="sometimes"), ["'if-not-present'"]),  # type: ignore[arg-type]
    ("service alias", lambda: Service("a", alias=""), ["non-empty"]),
    ("cache key slash", lambda: Cache(key="a/b"), ["'/'", "#cachekey"]),
    ("cache key dots", lambda: Cache(key=".."), ["dots"]),
    ("cache policy", lambda: Cache(policy="pullzzz"), ["pull-push"]),
    ("cache files", lambda: CacheKey(files=[str(i) for i in range(11)]), ["at most 10"]),
    ("fallback keys", lambda: Cache(fallback_keys=list("abcdef")), ["at most 5"]),
    ("artifacts when", lambda: Artifacts(when="sometimes"), ["'on_failure'"]),  # type: ignore[arg-type]
    ("artifacts expire", lambda: Artifacts(expire_in="forever"), ["duration", "never"]),
    ("artifacts public and access", lambda: Artifacts(public=True, access="all"), ["access"]),
    (
        "environment url",
        lambda: Environment("prod", url="example.com"),
        ["http", "#environmenturl"],
    ),
    ("environment tier", lambda: Environment("prod", deployment_tier="prod"), ["'production'"]),  # type: ignore[arg-type]
    ("environment action", lambda: Environment("prod", action="go"), ["'start'"]),  # type: ignore[arg-type]
    ("coverage", lambda: Job("j", script=["x"], coverage="TOTAL"), ["between slashes"]),
    (
        "only string",
        lambda: Job("j", script=["x"], only="main"),
        ["list of ref names", "#only--except"],
    ),
    ("docker user", lambda: Image("a", docker=DockerOptions(user="u" * 256)), ["1 to 255"]),
    ("allow_failure codes", lambda: AllowFailure(exit_codes=[]), ["non-empty"]),
    ("allow_failure repeat", lambda: AllowFailure(exit_codes=[1, 1]), ["repeat"]),
    ("inherit default", lambda: Inherit(default=["stage"]), ["can only name"]),
    ("id token aud", lambda: IdToken(aud=[]), ["audience"]),
    ("secret providers", lambda: Secret(), ["exactly one provider"]),
    ("trigger neither", lambda: Trigger(), ["exactly one of project, include"]),
    (
        "trigger branch",
        lambda: Trigger(include="a.yml", branch="main"),
        ["only valid with project"],
    ),
    ("trigger include type", lambda: Trigger(include="a.txt"), [".yml"]),
    (
        "trigger project include",
        lambda: Trigger(include=[Include(project="g/p", file=["a.yml"])]),
        ["one file (a string)"],
    ),
    (
        "trigger include count",
        lambda: Trigger(include=[Include(local=f"{i}.yml") for i in range(4)]),
        ["1 to 3"],
    ),
    ("include none", lambda: Include(), ["exactly one of local"]),
    ("include two", lambda: Include(local="a.yml", template="b.yml"), ["got local, template"]),
    (
        "include file without project",
        lambda: Include(local="a.yml", file="b.yml"),
        ["only valid with project"],
    ),
    ("include project without file", lambda: Include(project="g/p"), ["file"]),
    ("include local suffix", lambda: Include(local="a.txt"), [".yml"]),
    ("include remote", lambda: Include(remote="ftp://x/a.yml"), ["http"]),
    (
        "include rule variables",
        lambda: Include(local="a.yml", rules=[Rule(variables={"A": "1"})]),
        ["variables"],
    ),
    ("changes both", lambda: Changes(paths=["a"], regexp="b"), ["exactly one of paths, regexp"]),
    ("exists ref", lambda: Exists(paths=["a"], ref="main"), ["project"]),
    ("rule changes string", lambda: Rule(changes="Dockerfile"), ["lone string"]),
    ("rule delayed", lambda: Rule(when="delayed"), ["start_in"]),
    ("workflow when", lambda: Workflow(rules=[Rule(when="manual")]), ["'always' or 'never'"]),
    ("workflow needs", lambda: Workflow(rules=[Rule(needs=["a"])]), ["do not take needs"]),
    ("workflow name", lambda: Workflow(name="x" * 256), ["1 to 255"]),
    ("default retry", lambda: Default(retry=7), ["0 to 2"]),
    (
        "release date",
        lambda: Release(tag_name="v1", description="d", released_at="yesterday"),
        ["ISO 8601"],
    ),
    ("input default type", lambda: Input(type="number", default="3"), ["type 'number'"]),
    ("input option", lambda: Input(options=["a"], default="b"), ["options"]),
    ("spec description", lambda: Spec(description="x" * 257), ["256"]),
    ("step name", lambda: Step(name="1x", script="echo"), ["identifier"]),
    (
        "step both",
        lambda: Step(name="x", script="a", step="b"),
        ["exactly one of step, func or script"],
    ),
    ("pipeline jobs", lambda: Pipeline(jobs=["build"]), ["Job objects"]),  # type: ignore[list-item]
    ("pipeline stages empty", lambda: Pipeline(stages=[]), ["must not be empty"]),
    ("pipeline source line break", lambda: Pipeline(source="a\nstages: []"), ["one line"]),
    ("reference empty", lambda: Reference(), ["give a job or top-level key"]),
    ("extra keys", lambda: Job("j", script=["x"], extra={1: "a"}), ["keys must be strings"]),  # type: ignore[dict-item]
]


@pytest.mark.parametrize(
    ("factory", "fragments"), [(f, m) for _, f, m in BAD], ids=[i for i, _, _ in BAD]
)
def test_invalid_values_are_rejected_with_a_precise_message(
    factory: Callable[[], Any], fragments: list[str]
) -> None:
    """Each invalid value raises ValidationError whose message names what is wrong."""
    with pytest.raises(ValidationError) as info:
        factory()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    assert "\n" not in message


def test_messages_name_the_job_and_link_the_keyword() -> None:
    """A job's field error says which job, which field, the value, and the docs anchor."""
    with pytest.raises(ValidationError) as info:
        Job("deploy", script=["x"], timeout="1 fortnight")
    assert str(info.value) == (
        "job 'deploy': timeout='1 fortnight' is not a GitLab duration "
        "(e.g. '1h 30m', '45 minutes', '2 days'). See https://docs.gitlab.com/ci/yaml/#timeout"
    )


@pytest.mark.parametrize(
    "value",
    ["3600", "1h 30m", "2 hours 10 minutes", "1 day and 2 hours", "1.5h", "01:30:00", "30m"],
)
def test_durations_gitlab_accepts(value: str) -> None:
    """ChronicDuration forms GitLab documents are accepted."""
    assert Job("j", script=["x"], timeout=value).timeout == value


def test_lists_become_tuples_so_nodes_are_immutable() -> None:
    """Lists given by the user are copied: mutating them later changes nothing."""
    script = ["a"]
    job = Job("j", script=script, tags=["x"])
    script.append("b")
    assert job.script == ("a",)
    assert job.tags == ("x",)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        job.name = "k"  # type: ignore[misc]


def test_a_lone_item_keeps_the_form_the_user_wrote() -> None:
    """script="make" stays one command written alone, script=["make"] a list, as in the YAML."""
    assert Job("j", script="make").script == "make"
    assert Job("j", script=["make"]).script == ("make",)
    assert to_dict(Pipeline(jobs=[Job("j", script="make")]))["j"]["script"] == "make"
    assert to_dict(Pipeline(jobs=[Job("j", script=["make"])]))["j"]["script"] == ["make"]


def test_evolve_makes_variants() -> None:
    """attrs.evolve derives a variant without touching the original."""
    base = Job("j", script=["make"], tags=["docker"])
    other = attrs.evolve(base, name="k")
    assert other.name == "k"
    assert other.tags == ("docker",)
    assert base.name == "j"


def test_nodes_compare_by_value() -> None:
    """Two nodes built from the same values are equal (and hash alike when hashable)."""
    assert Job("j", script=["a"]) == Job("j", script=["a"])
    assert Job("j", script=["a"]) != Job("j", script=["b"])
    assert hash(Reference(".a", "b")) == hash(Reference(".a", "b"))
    assert "script=('a',)" in repr(Job("j", script=["a"]))


def test_hidden_jobs_need_no_script() -> None:
    """A name starting with '.' is a template: no script needed."""
    assert Job(".template", variables={"A": "1"}).hidden


def test_reference_takes_job_objects() -> None:
    """Reference(job, key) stands for the job's name."""
    template = Job(".setup", before_script=["echo"])
    assert Reference(template, "before_script").path == (".setup", "before_script")


def test_input_without_default_is_mandatory() -> None:
    """Input() has no default; Input(default=None) has a null default."""
    assert not Input().has_default
    assert Input(default=None).has_default


def test_matrix_size() -> None:
    """Parallel.size counts the jobs a matrix expands to."""
    assert Parallel(matrix=[{"A": ["1", "2"], "B": ["x", "y", "z"]}, {"C": "c"}]).size == 7


class _MyJob(Job):
    """A user's own kind of job, with a helper method and no attrs decorator."""

    def label(self) -> str:
        return f"job {self.name}"


@attrs.frozen(kw_only=True)
class _OwnedJob(Job):
    """A user's subclass declared with attrs, adding a field of its own."""

    owner: str = "platform"


def test_subclasses_of_job_are_jobs() -> None:
    """class MyJob(Job) is accepted wherever a Job is: in a pipeline, in needs, in extends."""
    from gitlabci_dsl import to_dict

    base = _MyJob(".base", image="alpine:3.20")
    build = _MyJob("build", script=["make"], extends=base)
    test = _OwnedJob("test", script=["make test"], needs=[build])
    data = to_dict(Pipeline(jobs=[base, build, test]))
    assert data["build"] == {"script": ["make"], "extends": ".base"}
    assert data["test"] == {"needs": ["build"], "script": ["make test"]}
    assert build.label() == "job build"


def test_attrs_subclass_keeps_the_inherited_checks() -> None:
    """A subclass declared with attrs still validates the fields it inherits."""
    with pytest.raises(ValidationError, match="timeout="):
        _OwnedJob("test", script=["x"], timeout="1 fortnight")
    with pytest.raises(ValidationError, match="job 'test'"):
        _OwnedJob("test", script=["x"], when="sometimes")  # type: ignore[arg-type]


def test_subclasses_of_other_nodes_work() -> None:
    """Subclasses of Rule, Need and Stage compile as the classes they extend."""
    from gitlabci_dsl import to_dict

    class MyRule(Rule):
        pass

    class MyStage(Stage):
        pass

    class MyNeed(Need):
        pass

    stage = MyStage("build")
    build = Job("build", stage=stage, script=["make"], rules=[MyRule(if_="$CI_COMMIT_TAG")])
    test = Job("test", stage=stage, script=["t"], needs=[MyNeed(build, artifacts=False)])
    data = to_dict(Pipeline(stages=[stage], jobs=[build, test]))
    assert data["build"]["rules"] == [{"if": "$CI_COMMIT_TAG"}]
    assert data["test"]["needs"] == [{"job": "build", "artifacts": False}]
    assert data["test"]["stage"] == "build"


def test_string_enums_are_written_as_their_value() -> None:
    """str subclasses (enum members) are written as their text, never as the member's name."""
    import enum

    from gitlabci_dsl import to_dict

    class Stages(enum.StrEnum):
        BUILD = "build-stage"

    class Env(str, enum.Enum):  # noqa: UP042 - the older spelling, whose str() is not its value
        PROD = "production"

    job = Job("build", stage=Stages.BUILD, script=["make"], variables={"ENV": Env.PROD})
    data = to_dict(Pipeline(stages=[Stages.BUILD], jobs=[job]))
    assert data["stages"] == ["build-stage"]
    assert data["build"]["stage"] == "build-stage"
    assert data["build"]["variables"] == {"ENV": "production"}
    assert type(data["build"]["variables"]["ENV"]) is str
