"""A misspelt keyword argument of any node names the closest field in the TypeError itself,
however the node is built: a pipeline module, a REPL, a test."""

from __future__ import annotations

import inspect
import pickle
import re
from pathlib import Path
from typing import Any

import attrs
import pytest

from gitlabci_dsl import DockerBuild, Job, Rule
from gitlabci_dsl import project as workflow
from gitlabci_dsl.errors import LoadError


def _message(build: Any, **kwargs: Any) -> str:
    with pytest.raises(TypeError) as caught:
        build(**kwargs)
    return str(caught.value)


def test_job_names_the_closest_field() -> None:
    """Job(scripts=...) says which field was meant."""
    assert _message(Job, name="x", scripts=["a"]) == (
        "Job.__init__() got an unexpected keyword argument 'scripts'; did you mean 'script'?"
    )


def test_block_names_the_closest_field() -> None:
    """A building block's misspelt keyword says which field was meant."""
    assert _message(DockerBuild, dockerfle="Dockerfile") == (
        "DockerBuild.__init__() got an unexpected keyword argument 'dockerfle'; "
        "did you mean 'dockerfile'?"
    )


def test_nested_node_names_its_own_field() -> None:
    """A node built as another's argument (a Rule in rules=) names its own field."""
    with pytest.raises(TypeError, match=re.escape("'iff'; did you mean 'if_'?")) as caught:
        Job(name="x", script=["a"], rules=[Rule(iff="$CI_COMMIT_TAG")])  # type: ignore[call-arg]
    assert str(caught.value).startswith("Rule.__init__() got an unexpected keyword argument")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class TeamJob(Job):
    """A user's subclass with a field of its own."""

    team: str = "platform"


class PlainJob(Job):
    """A user's subclass without attrs: it keeps Job's __init__."""


def test_users_subclasses_name_the_closest_field() -> None:
    """A subclass of Job, with fields of its own or none, says which field was meant."""
    assert _message(TeamJob, name="x", script=["a"], taem="web") == (
        "TeamJob.__init__() got an unexpected keyword argument 'taem'; did you mean 'team'?"
    )
    assert _message(PlainJob, name="x", scripts=["a"]).endswith("; did you mean 'script'?")


def test_nothing_close_lists_the_accepted_names() -> None:
    """With no field close to the keyword, the message lists every keyword the class takes."""
    names = ", ".join(field.alias or field.name for field in attrs.fields(Rule) if field.init)
    assert names.startswith("if_, changes, exists")
    assert _message(Rule, zzzz=1) == (
        f"Rule.__init__() got an unexpected keyword argument 'zzzz'; Rule takes {names}"
    )


def test_only_the_unknown_keyword_error_is_completed() -> None:
    """Other TypeErrors (a positional argument, a missing field) keep Python's message."""
    with pytest.raises(TypeError) as caught:
        Job("x", "y")  # type: ignore[call-arg]
    assert str(caught.value) == "Job.__init__() takes 2 positional arguments but 3 were given"
    assert _message(Job, script=["a"]) == (
        "Job.__init__() missing 1 required positional argument: 'name'"
    )
    assert _message(Job, name="x", scripts=["a"]).endswith("; did you mean 'script'?")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class RuledJob(Job):
    """A subclass whose construction builds another node, misspelt."""

    def __attrs_post_init__(self) -> None:
        Rule(iff="$CI_COMMIT_TAG")  # type: ignore[call-arg]


def test_an_error_raised_while_building_is_completed_once() -> None:
    """A nested node's completed error passes through its builder unchanged."""
    assert _message(RuledJob, name="x", script=["a"]) == (
        "Rule.__init__() got an unexpected keyword argument 'iff'; did you mean 'if_'?"
    )


def test_evolve_pickle_and_signature_still_work() -> None:
    """attrs.evolve, pickling and inspect.signature see the generated __init__; evolve's
    misspelt keyword is completed too."""
    job = Job(name="x", script=["a"], variables={"A": "1"})
    assert attrs.evolve(job, stage="test") == Job(
        name="x", stage="test", script=["a"], variables={"A": "1"}
    )
    assert pickle.loads(pickle.dumps(job)) == job  # noqa: S301 (our own bytes)
    parameters = inspect.signature(Job).parameters
    assert list(parameters)[:3] == ["name", "stage", "image"]
    assert parameters["script"].kind is inspect.Parameter.KEYWORD_ONLY
    with pytest.raises(TypeError, match=re.escape("'scripts'; did you mean 'script'?")):
        attrs.evolve(job, scripts=["b"])  # type: ignore[call-arg]


def test_pipeline_module_reports_the_suggestion_once(project: Path) -> None:
    """Loading a module, the message has the user's line and one suggestion, for the user's
    own classes too."""
    (project / "pipelines" / "main.py").write_text(
        "import attrs\nfrom gitlabci_dsl import Job\n\n\n"
        "@attrs.frozen(kw_only=True)\nclass TeamJob(Job):\n    team: str = 'web'\n\n\n"
        "TeamJob(name='build', scripts=['x'])\n",
        encoding="utf-8",
    )
    with pytest.raises(LoadError) as caught:
        workflow.load_pipeline(project / "pipelines/main.py", workflow.load_config(project))
    assert str(caught.value) == (
        "pipelines/main.py:10: TypeError: TeamJob.__init__() got an unexpected keyword argument "
        "'scripts'; did you mean 'script'?"
    )
