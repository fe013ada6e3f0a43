"""CI/CD components written in Python: typed inputs, references, GitLab's layout, the README
section, consuming them with checked inputs, and `init --component`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
from typer.testing import CliRunner

from gitlabci_dsl import (
    Component,
    InputRef,
    Job,
    Pipeline,
    Regex,
    ValidationError,
    component,
    to_yaml,
)
from gitlabci_dsl.cli import app
from gitlabci_dsl.compiler import compile_spec
from gitlabci_dsl.components import README_END, README_START, input_ref
from gitlabci_dsl.gitlab.includes import resolve
from gitlabci_dsl.gitlab.reader import load
from gitlabci_dsl.sources import OwnComponents


@component
def build(
    image: str,
    stage: str = "build",
    push: bool = True,
    replicas: int = 2,
    platforms: list[str] = ["linux/amd64"],  # noqa: B006 - an input's default, never mutated
    level: Literal["low", "high"] = "low",
    version: Annotated[str, Regex(r"^v\d+$")] = "v1",
) -> Pipeline:
    """Build the image.

    Args:
        image: The image, without
            a tag.
        stage: The stage of the job.
    """
    return Pipeline(
        jobs=[
            Job(
                "build",
                stage=stage,
                allow_failure=push,
                parallel=replicas,
                script=[
                    f"docker build -t {image}:{version} .",
                    f"echo {input_ref(level).posix_quote()}",
                ],
            )
        ]
    )


def test_parameters_become_typed_inputs_with_the_docstring_descriptions() -> None:
    assert compile_spec(build.spec) == {
        "inputs": {
            "image": {"description": "The image, without a tag."},
            "stage": {"description": "The stage of the job.", "default": "build"},
            "push": {"type": "boolean", "default": True},
            "replicas": {"type": "number", "default": 2},
            "platforms": {"type": "array", "default": ["linux/amd64"]},
            "level": {"options": ["low", "high"], "default": "low"},
            "version": {"regex": r"^v\d+$", "default": "v1"},
        },
        "description": "Build the image.",
    }


def test_references_compile_to_gitlab_interpolation() -> None:
    body = load(to_yaml(build.pipeline))[-1].data
    assert body["build"] == {
        "stage": "$[[ inputs.stage ]]",
        "script": [
            "docker build -t $[[ inputs.image ]]:$[[ inputs.version ]] .",
            "echo $[[ inputs.level | posix_quote ]]",
        ],
        "allow_failure": "$[[ inputs.push ]]",
        "parallel": "$[[ inputs.replicas ]]",
    }


def test_interpolation_functions_chain() -> None:
    ref = InputRef("name").expand_vars().truncate(0, 8)
    assert ref == "$[[ inputs.name | expand_vars | truncate(0,8) ]]"


def test_a_typed_reference_goes_where_its_type_does_and_a_string_does_not() -> None:
    job = Job(
        "j",
        script=["a"],
        allow_failure=InputRef("push", "boolean"),  # type: ignore[arg-type]
        parallel=InputRef("n", "number"),  # type: ignore[arg-type]
    )
    assert [str(job.allow_failure), str(job.parallel)] == ["$[[ inputs.push ]]", "$[[ inputs.n ]]"]
    with pytest.raises(ValidationError, match="allow_failure"):
        Job("j", script=["a"], allow_failure=InputRef("text"))  # type: ignore[arg-type]


def test_a_reference_to_an_undeclared_input_is_an_error_at_construction() -> None:
    with pytest.raises(ValidationError, match=r"refers to input\(s\) stge, which it does not"):

        @component
        def broken(stage: str = "test") -> Pipeline:
            return Pipeline(jobs=[Job("j", stage="$[[ inputs.stge ]]", script=["a"])])


@pytest.mark.parametrize(
    ("hint", "message"),
    [
        (int | str, "an input has one type"),
        (dict, "is not an input type"),
        (Annotated[int, Regex("x")], "regex to string inputs only"),
        (Literal["a", 1], "all strings, all numbers or all booleans"),
    ],
)
def test_parameters_that_cannot_be_inputs_are_refused(hint: Any, message: str) -> None:
    def made(value: Any = None) -> Pipeline:
        return Pipeline(jobs=[Job("j", script=["a"])])

    made.__annotations__["value"] = hint
    with pytest.raises(ValidationError, match=message):
        Component(made, name="made")


def test_a_null_default_is_refused() -> None:
    def made(value: str | None = None) -> Pipeline:
        return Pipeline(jobs=[Job("j", script=["a"])])

    with pytest.raises(ValidationError, match=r"one type|cannot be null"):
        Component(made)


def test_include_checks_the_inputs_against_the_spec() -> None:
    include = build.include("1.2.3", project="group/ci", inputs={"image": "app"})
    assert include.component == "$CI_SERVER_FQDN/group/ci/build@1.2.3"
    assert include.inputs == {"image": "app"}
    for given, says in (
        ({}, "does not give input 'image'"),
        ({"image": "app", "levl": "low"}, "did you mean 'level'?"),
        ({"image": "app", "replicas": "2"}, "'2' is not a number"),
        ({"image": "app", "version": "1"}, "does not match its regex"),
    ):
        with pytest.raises(ValidationError, match=says):
            build.include(inputs=given)


def test_gitlab_reads_the_component_with_its_inputs_as_written(tmp_path: Path) -> None:
    """The template compile writes, included with inputs, gives the job GitLab would create."""
    (tmp_path / "templates").mkdir()
    (tmp_path / build.path).write_text(to_yaml(build.pipeline))
    include = build.include(inputs={"image": "app", "replicas": 3, "push": False})
    data = {"include": [{"component": include.component, "inputs": dict(include.inputs)}]}
    found = resolve(data, tmp_path, source=OwnComponents(tmp_path))
    assert found.inputs == ()
    assert found.config["build"] == {
        "stage": "build",
        "script": ["docker build -t app:v1 .", "echo low"],
        "allow_failure": False,
        "parallel": 3,
    }


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "pyproject.toml").write_text("[tool.gitlabci-dsl]\n")
    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(previous)


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def test_compile_writes_gitlab_s_layout_and_the_readme_section(project: Path) -> None:
    (project / "pipelines").mkdir()
    (project / "pipelines" / "parts.py").write_text(
        "from gitlabci_dsl import Job, Pipeline, component\n\n"
        "@component\ndef lint(stage: str = 'test') -> Pipeline:\n"
        "    '''Lint the code.'''\n"
        "    return Pipeline(jobs=[Job('lint', stage=stage, script=['make lint'])])\n\n"
        "@component(name='scan', folder=True)\ndef scan_it(level: str) -> Pipeline:\n"
        "    return Pipeline(jobs=[Job('scan', script=[f'scan {level}'])])\n\n"
        "components = [lint, scan_it]\n"
    )
    result = run("compile")
    assert result.exit_code == 0, result.output
    assert (project / "templates" / "lint.yml").is_file()
    assert (project / "templates" / "scan" / "template.yml").is_file()
    readme = (project / "README.md").read_text()
    assert "### `lint`\n\nLint the code." in readme
    assert "| `level` | string | required |  |" in readme
    assert "      level: ..." in readme  # the required input, in the include example
    # The section is replaced between its markers; the rest of the README is the user's.
    (project / "README.md").write_text(f"# Mine\n\n{README_START}\nold\n{README_END}\n\nEnd.\n")
    assert run("compile").exit_code == 0
    updated = (project / "README.md").read_text()
    assert updated.startswith("# Mine\n\n" + README_START)
    assert updated.endswith("\nEnd.\n")
    assert "old" not in updated
    # A README without the markers is left alone.
    (project / "README.md").write_text("# Mine\n")
    assert run("compile").exit_code == 0
    assert (project / "README.md").read_text() == "# Mine\n"
    assert run("compile", "--check").exit_code == 0
    lint = run("lint", "--strict")
    assert lint.exit_code == 0, lint.output
    assert "in 2 file(s)" in lint.output  # both components are linted by default


def test_init_component_starts_a_project_that_tests_its_own_component(project: Path) -> None:
    assert run("init", "--component").exit_code == 0
    result = run("compile")
    assert result.exit_code == 0, result.output
    main = (project / ".gitlab-ci.yml").read_text()
    assert "component: $CI_SERVER_FQDN/$CI_PROJECT_PATH/docker-build@$CI_COMMIT_SHA" in main
    assert (project / "templates" / "docker-build.yml").is_file()
    assert "| `push` | boolean | `true` |" in (project / "README.md").read_text()
    assert run("lint", "--strict").exit_code == 0
    on_tag = run("explain", "--on", "tag:v1.0.0", "--format", "json").output
    on_branch = run("explain", "--format", "json").output
    assert '"docker-build"' in on_tag
    assert '"create-release"' in on_tag
    assert '"docker-build"' in on_branch
    assert '"create-release"' not in on_branch
    assert "not resolved" not in on_tag


def test_compile_refuses_a_yaml_include_whose_inputs_the_component_refuses(
    project: Path,
) -> None:
    """A component of this project included with a wrong input: compile names the module,
    the input and the fix, and writes nothing."""
    assert run("init", "--component").exit_code == 0
    main = project / "pipelines" / "main.py"
    main.write_text(
        main.read_text()
        .replace(
            'include=[docker_build.include(inputs={"stage": "build", "push": False})]',
            "include=[Include(component='$CI_SERVER_FQDN/$CI_PROJECT_PATH/docker-build"
            "@$CI_COMMIT_SHA', inputs={'push': 'no'})]",
        )
        .replace("from gitlabci_dsl import ", "from gitlabci_dsl import Include, ")
    )
    result = run("compile")
    assert result.exit_code == 1
    assert "input 'push': 'no' is not a boolean" in result.output
    assert "pipelines/main.py" in result.output
    assert not (project / ".gitlab-ci.yml").exists()


def test_a_checkout_of_the_component_project_gives_compile_the_spec(project: Path) -> None:
    """`[tool.gitlabci-dsl] checkouts` maps a project to its checkout in this one (a git
    submodule): compile checks an include of its component against the spec there."""
    (project / "pyproject.toml").write_text(
        '[tool.gitlabci-dsl]\ncheckouts = {"group/ci" = "deps/ci"}\n'
    )
    (project / "deps" / "ci" / "templates").mkdir(parents=True)
    (project / "deps" / "ci" / "templates" / "build.yml").write_text(to_yaml(build.pipeline))
    (project / "pipelines").mkdir()
    module = project / "pipelines" / "main.py"
    template = (
        "from gitlabci_dsl import Include, Job, Pipeline, Stage\n"
        "build = Stage('build')\n"
        "pipeline = Pipeline(stages=[build], include=[Include(\n"
        "    component='$CI_SERVER_FQDN/group/ci/build@1.0.0', inputs=INPUTS)],\n"
        "    jobs=[Job('after', stage=build, script=['a'])])\n"
    )
    module.write_text(template.replace("INPUTS", "{'imag': 'app'}"))
    refused = run("compile")
    assert refused.exit_code == 1
    assert "gives input 'imag'" in refused.output
    assert "did you mean 'image'?" in refused.output
    assert not (project / ".gitlab-ci.yml").exists()
    module.write_text(template.replace("INPUTS", "{'image': 'app'}"))
    assert run("compile").exit_code == 0
    explained = run("explain", "--format", "json").output
    assert '"build"' in explained
    assert '"after"' in explained


def test_gitlab_ci_local_reads_the_component_as_we_do(
    gitlab_ci_local: Path, project: Path, tmp_path: Path
) -> None:
    """An independent implementation: gitlab-ci-local includes the component of
    `init --component` from the same project and creates the job our resolver creates; given
    an input of the wrong type, it refuses the pipeline, as our lint does."""
    import subprocess

    import yaml

    from conftest import git_repo
    from gitlabci_dsl.lint import lint_text

    assert run("init", "--component").exit_code == 0
    assert run("compile").exit_code == 0
    main = (project / ".gitlab-ci.yml").read_text()
    path = "templates/docker-build.yml"
    component = {path: (project / path).read_text()}
    ours = resolve(load(main)[-1].data, project, source=OwnComponents(project))
    expected = ours.config["docker-build"]
    for text, accepted in ((main, True), (main.replace("push: false", "push: nope"), False)):
        repo = git_repo(tmp_path / str(accepted), text, component)
        shown = subprocess.run(
            [str(gitlab_ci_local), "--preview"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=False,
        )
        source = OwnComponents(repo)
        found = {f.rule for f in lint_text(text, ".gitlab-ci.yml", root=repo, source=source)}
        assert ("input-invalid" not in found) is accepted
        if not accepted:
            assert shown.returncode != 0
            assert "`push` input: provided value is not a boolean" in shown.stdout + shown.stderr
            continue
        assert shown.returncode == 0, shown.stderr
        job = yaml.safe_load(shown.stdout)["docker-build"]
        assert job["stage"] == expected["stage"]
        assert job["script"] == expected["script"]
        # gitlab-ci-local writes variables as strings; GitLab passes them as strings too.
        assert job["variables"] == {
            k: str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in expected["variables"].items()
        }
