"""gitlab-ci-local, an independent implementation of GitLab CI, accepts what we generate."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from conftest import ROOT, TextSnapshot, git_repo
from gitlabci_dsl.evaluate.pipeline import plan, preset
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
    # A parallel job is listed once per instance, named as GitLab names it ("name: [values]",
    # "name 1/N"): explain must name and count them the same way.
    listed = {job["name"] for job in json.loads(result.stdout)}
    ours = {job.name for job in plan(text, preset("branch:main"), every_job=True).jobs}
    assert listed == ours


# The variables GitLab sets for each kind of pipeline (the others are gitlab-ci-local's).
PIPELINE_SOURCES: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "default-branch": (
        {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main", "CI_COMMIT_REF_NAME": "main"},
        (),
    ),
    "tag": (
        {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_TAG": "v1.2.3", "CI_COMMIT_REF_NAME": "v1.2.3"},
        ("CI_COMMIT_BRANCH",),
    ),
    "merge-request": (
        {
            "CI_PIPELINE_SOURCE": "merge_request_event",
            "CI_MERGE_REQUEST_IID": "7",
            "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature/login",
            "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
            "CI_COMMIT_REF_NAME": "feature/login",
        },
        ("CI_COMMIT_BRANCH",),
    ),
    "schedule": (
        {
            "CI_PIPELINE_SOURCE": "schedule",
            "CI_COMMIT_BRANCH": "main",
            "CI_COMMIT_REF_NAME": "main",
        },
        (),
    ),
}


@pytest.mark.parametrize("source", sorted(PIPELINE_SOURCES))
@pytest.mark.parametrize("module", MODULES, ids=[m.relative_to(ROOT).as_posix() for m in MODULES])
def test_jobs_of_each_pipeline_source_per_gitlab_ci_local(
    module: Path, source: str, gitlab_ci_local: Path, tmp_path: Path, snapshot: SnapshotAssertion
) -> None:
    """For a default-branch, tag, merge-request and schedule pipeline, the jobs gitlab-ci-local
    would create, with their stage, `when` and needs, are the reviewed snapshot."""
    variables, unset = PIPELINE_SOURCES[source]
    args = [str(gitlab_ci_local), "--list-json", "--variable", "CI_DEFAULT_BRANCH=main"]
    for name, value in variables.items():
        args += ["--variable", f"{name}={value}"]
    for name in unset:
        args += ["--unset-variable", name]
    names = sorted({"CI_DEFAULT_BRANCH", *variables, *unset})
    env = {**os.environ, "GCL_IGNORE_PREDEFINED_VARS": ",".join(names)}
    repo = git_repo(tmp_path, compile_module(module, CONFIG).text)
    result = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = []
    for job in sorted(json.loads(result.stdout), key=lambda j: j["name"]):
        needs = ", ".join(n["job"] for n in job.get("needs") or [])
        lines.append(
            f"{job['name']} ({job['stage']}): {job['when']}" + (f" needs {needs}" if needs else "")
        )
    assert "\n".join(lines) + "\n" == snapshot.use_extension(TextSnapshot)
