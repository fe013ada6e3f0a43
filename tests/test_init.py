"""`gitlabci-dsl init`: a new project's pipeline, snapshot test and pre-commit hook."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import ROOT
from gitlabci_dsl.cli import app
from gitlabci_dsl.scaffold import PRE_COMMIT_ENTRY

runner = CliRunner()
WRITTEN = ("pipelines/main.py", "tests/test_pipelines.py", ".pre-commit-config.yaml")


def test_init_writes_a_pipeline_that_compiles_and_lints_clean(project: Path) -> None:
    """The three files appear; the pipeline compiles and `lint --strict` finds nothing."""
    (project / "pipelines").rmdir()
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    for name in WRITTEN:
        assert f"written: {name}" in result.stdout
        assert (project / name).is_file()
    assert runner.invoke(app, ["compile"]).exit_code == 0
    text = (project / ".gitlab-ci.yml").read_text(encoding="utf-8")
    for job in ("build:", "container-scan:", "deploy:"):
        assert f"\n{job}\n" in text
    linted = runner.invoke(app, ["lint", "--strict"])
    assert linted.exit_code == 0, linted.stdout
    assert linted.stdout.startswith("0 error(s), 0 warning(s), 0 info")


def test_scaffolded_python_is_formatted_and_typed(project: Path) -> None:
    """What init writes passes ruff format, ruff check and mypy --strict, as users' CI would."""
    (project / "pipelines").rmdir()
    assert runner.invoke(app, ["init"]).exit_code == 0
    env = {**os.environ, "MYPYPATH": str(ROOT)}
    for command in (
        ["ruff", "format", "--check", "--isolated", "pipelines", "tests"],
        ["ruff", "check", "--isolated", "pipelines", "tests"],
        ["mypy", "--strict", "--no-incremental", "pipelines", "tests"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", *command],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_scaffolded_test_records_and_guards_the_yaml(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The snapshot test init writes passes under --snapshot-update, then on its own."""
    (pytester.path / "pyproject.toml").write_text('[project]\nname = "demo"\n', encoding="utf-8")
    monkeypatch.chdir(pytester.path)
    assert runner.invoke(app, ["init"]).exit_code == 0
    pytester.runpytest_subprocess("--snapshot-update").assert_outcomes(passed=2)
    assert (pytester.path / "tests/__snapshots__/test_pipelines/test_main_pipeline.yml").is_file()
    pytester.runpytest_subprocess().assert_outcomes(passed=2)


def test_init_never_overwrites(project: Path) -> None:
    """An existing pipeline module: exit 1, the file is named, nothing is written."""
    (project / "pipelines/main.py").write_text("# mine\n", encoding="utf-8")
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 1
    assert "error: pipelines/main.py already exist(s); init never overwrites a file" in (
        result.stderr
    )
    assert (project / "pipelines/main.py").read_text(encoding="utf-8") == "# mine\n"
    assert not (project / "tests/test_pipelines.py").exists()
    assert not (project / ".pre-commit-config.yaml").exists()


def test_an_existing_pre_commit_config_is_kept(project: Path) -> None:
    """The user's .pre-commit-config.yaml is left as it is; the entry to add is printed."""
    config = project / ".pre-commit-config.yaml"
    config.write_text("repos: []\n", encoding="utf-8")
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0
    assert config.read_text(encoding="utf-8") == "repos: []\n"
    assert "kept: .pre-commit-config.yaml exists" in result.stderr
    assert PRE_COMMIT_ENTRY in result.stderr
    assert (project / "pipelines/main.py").is_file()


def test_a_hand_written_gitlab_ci_yml_points_to_import(project: Path) -> None:
    """init would later overwrite a hand-written .gitlab-ci.yml: it refuses and names import."""
    (project / ".gitlab-ci.yml").write_text("job:\n  script: [make]\n", encoding="utf-8")
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 1
    assert "gitlabci-dsl import .gitlab-ci.yml -o pipelines/main.py" in result.stderr
    assert not (project / "pipelines/main.py").exists()


def test_init_marks_the_project_root_so_commands_work_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a pyproject.toml, init writes one with the [tool.gitlabci-dsl] table; a
    pyproject.toml without the table gets it appended, the rest untouched; then compile, lint
    and explain work from a subfolder, even one with a pyproject.toml of its own."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert "written: pyproject.toml" in result.stdout
    assert (
        (tmp_path / "pyproject.toml")
        .read_text(encoding="utf-8")
        .startswith(
            "[tool.gitlabci-dsl]\n# pipelines/main.py -> .gitlab-ci.yml, pipelines/NAME.py -> "
            '.gitlab/ci/NAME.yml\npipelines = "pipelines"\n'
        )
    )
    package = tmp_path / "services" / "api"
    package.mkdir(parents=True)
    (package / "pyproject.toml").write_text('[project]\nname = "api"\n', encoding="utf-8")
    monkeypatch.chdir(package)
    assert runner.invoke(app, ["compile"]).exit_code == 0
    assert (tmp_path / ".gitlab-ci.yml").is_file()
    assert runner.invoke(app, ["compile", "--check"]).exit_code == 0
    assert runner.invoke(app, ["lint"]).exit_code == 0
    assert runner.invoke(app, ["explain"]).exit_code == 0
    assert not (package / ".gitlab-ci.yml").exists()


def test_init_appends_the_table_to_an_existing_pyproject(project: Path) -> None:
    before = (project / "pyproject.toml").read_text(encoding="utf-8")
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert "updated: pyproject.toml" in result.stdout
    after = (project / "pyproject.toml").read_text(encoding="utf-8")
    assert after.startswith(before)
    assert after[len(before) :] == (
        "\n[tool.gitlabci-dsl]\n# pipelines/main.py -> .gitlab-ci.yml, pipelines/NAME.py -> "
        '.gitlab/ci/NAME.yml\npipelines = "pipelines"\n'
    )
    (project / "pipelines/main.py").unlink()
    (project / "tests/test_pipelines.py").unlink()
    again = runner.invoke(app, ["init"])
    assert again.exit_code == 0, again.output
    assert "pyproject.toml" not in again.stdout  # it has the table now: left alone
    assert (project / "pyproject.toml").read_text(encoding="utf-8") == after
