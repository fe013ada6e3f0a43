"""gitlab-ci-local, an independent implementation of GitLab CI, accepts what we generate."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, git_repo
from gitlabci_dsl import load_yaml
from gitlabci_dsl.project import compile_module, discover, load_config

CONFIG = load_config(ROOT)
# every_keyword.py includes remote, project, template and component files, which cannot be
# fetched offline; it is checked against GitLab's schema instead (tests/test_schema.py).
MODULES = [
    m
    for m in discover(CONFIG) + discover(CONFIG, [ROOT / "docs" / "examples"])
    if m.name != "every_keyword.py"
]


@pytest.mark.parametrize("module", MODULES, ids=[m.relative_to(ROOT).as_posix() for m in MODULES])
def test_gitlab_ci_local_lists_exactly_our_jobs(
    module: Path, gitlab_ci_local: Path, tmp_path: Path
) -> None:
    """gitlab-ci-local parses the file (its schema and semantic checks) and sees the same jobs."""
    text = compile_module(module, CONFIG).text
    repo = git_repo(tmp_path, text)
    result = subprocess.run(
        [str(gitlab_ci_local), "--list-json"], cwd=repo, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # A parallel:matrix job is listed once per combination, as "name: [values]" (as GitLab does).
    listed = {job["name"].split(": [")[0] for job in json.loads(result.stdout)}
    ours = {
        name
        for name in load_yaml(text)
        if not name.startswith(".")
        and name not in ("stages", "variables", "workflow", "default", "include")
    }
    assert listed == ours
