"""Shared test fixtures: paths of this repository and a throw-away project for CLI tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder (with pyproject.toml and pipelines/) as the working directory."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n', encoding="utf-8")
    (tmp_path / "pipelines").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def gitlab_ci_local() -> Path:
    """gitlab-ci-local, installed (pinned) by tests/tools/install.sh when missing.

    In CI a missing tool fails the run; elsewhere the tests that need it are skipped, saying why.
    """
    import os
    import shutil
    import subprocess

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
