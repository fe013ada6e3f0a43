"""Shared test fixtures: paths of this repository and a throw-away project for CLI tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

# pytester runs users' test files against our pytest plugin (tests/test_pytest_plugin.py).
pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))


class TextSnapshot(SingleFileSnapshotExtension):
    """One .txt file per snapshot, holding the text byte for byte."""

    _write_mode = WriteMode.TEXT
    file_extension = "txt"


# A stand-in container engine for gitlab-ci-local's shell executor: it answers what
# gitlab-ci-local asks for a job's services (the dind of a docker job) and starts nothing.
FAKE_ENGINE = """#!/bin/sh
case "$1 $2" in
  "network create") echo fake-network ;;
  "image inspect") echo '[{"Config":{"ExposedPorts":null}}]' ;;
  "create "*) echo fake-container ;;
esac
exit 0
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder (with pyproject.toml and pipelines/) as the working directory."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n', encoding="utf-8")
    (tmp_path / "pipelines").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def git_repo(tmp_path: Path, text: str, files: dict[str, str] | None = None) -> Path:
    """A one-commit repository holding the pipeline (and ``files``), as gitlab-ci-local needs."""
    repo = tmp_path / "repo"
    repo.mkdir(parents=True)
    (repo / ".gitlab-ci.yml").write_text(text, encoding="utf-8")
    for name, content in (files or {}).items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(content, encoding="utf-8")
        (repo / name).chmod(0o755)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    for args in (
        ["init", "-q", "-b", "main"],
        ["remote", "add", "origin", "https://gitlab.example.com/group/app.git"],
        ["add", "-A"],
        ["commit", "-q", "-m", "pipeline"],
        # rules:changes compares with the default branch of the remote: make it exist.
        ["update-ref", "refs/remotes/origin/main", "HEAD"],
    ):
        subprocess.run([shutil.which("git") or "git", *args], cwd=repo, env=env, check=True)
    return repo


@pytest.fixture(scope="session")
def gitlab_ci_local() -> Path:
    """gitlab-ci-local, installed (pinned) by tests/tools/install.sh when missing.

    In CI a missing tool fails the run; elsewhere the tests that need it are skipped, saying why.
    """
    tool = ROOT / ".tools" / "node_modules" / ".bin" / "gitlab-ci-local"
    result = subprocess.run(
        [shutil.which("bash") or "/bin/bash", str(ROOT / "tests" / "tools" / "install.sh")],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0 or not tool.exists():
        reason = f"gitlab-ci-local could not be installed: {result.stderr.strip()[-300:]}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return tool


@pytest.fixture(scope="session")
def ruby() -> str:
    """Ruby, installed (pinned, from Debian) by tests/tools/install_ruby.sh when missing.

    In CI a missing Ruby fails the run; elsewhere the test that needs it is skipped, saying why.
    """
    result = subprocess.run(
        [shutil.which("bash") or "/bin/bash", str(ROOT / "tests" / "tools" / "install_ruby.sh")],
        capture_output=True,
        text=True,
        check=False,
    )
    found = shutil.which("ruby")
    if result.returncode != 0 or found is None:
        reason = f"ruby could not be installed: {result.stderr.strip()[-300:]}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--corpus",
        default=os.environ.get("GITLABCI_DSL_CORPUS"),
        help="folder of real .gitlab-ci.yml files to check the linter against "
        "(--corpus=DIR; default: $GITLABCI_DSL_CORPUS; .ci/run uses ../shared/corpus)",
    )


@pytest.fixture(scope="session")
def corpus(request: pytest.FixtureRequest) -> list[Path]:
    """The YAML files of the corpus folder given by --corpus or $GITLABCI_DSL_CORPUS.

    In CI a missing corpus fails the run; elsewhere the tests that need it are skipped.
    """
    folder = request.config.getoption("--corpus")
    if not folder or not Path(folder).is_dir():
        reason = (
            "no corpus: pass --corpus=DIR or set GITLABCI_DSL_CORPUS (CI uses ../shared/corpus)"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return sorted(p for p in Path(folder).iterdir() if p.suffix in (".yml", ".yaml"))
