"""Run the examples' jobs with gitlab-ci-local and record the commands they execute.

gitlab-ci-local runs each job in a shell (`--force-shell-executor`); `docker`, `trivy` and the
other tools are recording shims first on PATH, and a fake container engine answers for the
`services:` gitlab-ci-local would start. The tests assert what each pipeline source pushes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, git_repo
from gitlabci_dsl.project import compile_module, load_config

# Records its name and arguments; `login` also records standard input. With SHIM_FINDINGS=1 a
# command given `--exit-code N` exits N, as Trivy does when it finds vulnerabilities.
SHIM = """#!/bin/sh
printf '%s\\n' "$(basename "$0") $*" >> "$SHIM_LOG"
case "$1" in login) printf 'stdin: %s\\n' "$(cat)" >> "$SHIM_LOG" ;; esac
case "$(basename "$0") $*" in "curl "*"per_page"*) printf '%s' "${SHIM_CURL_LIST:-[]}" ;; esac
code=0
while [ $# -gt 0 ]; do
  if [ "$1" = "--exit-code" ] && [ "${SHIM_FINDINGS:-0}" = 1 ]; then code="$2"; fi
  shift
done
exit "$code"
"""
ENGINE = """#!/bin/sh
case "$1 $2" in
  "network create") echo fake-network ;;
  "image inspect") echo '[{"Config":{"ExposedPorts":null}}]' ;;
  "create "*) echo fake-container ;;
esac
exit 0
"""
TOOLS = ("docker", "trivy", "kubectl", "skopeo", "crane", "curl", "aws", "glab")
SOURCES: dict[str, tuple[dict[str, str], list[str]]] = {
    "default branch": (
        {"CI_COMMIT_BRANCH": "main", "CI_COMMIT_REF_NAME": "main", "CI_COMMIT_REF_SLUG": "main"},
        [],
    ),
    "tag": (
        {"CI_COMMIT_TAG": "v1.2.3", "CI_COMMIT_REF_NAME": "v1.2.3", "CI_COMMIT_REF_SLUG": "v1-2-3"},
        ["CI_COMMIT_BRANCH"],
    ),
    "feature branch": (
        {
            "CI_COMMIT_BRANCH": "feature/login",
            "CI_COMMIT_REF_NAME": "feature/login",
            "CI_COMMIT_REF_SLUG": "feature-login",
        },
        [],
    ),
}
REGISTRY = {
    "CI_REGISTRY": "registry.example.com",
    "CI_REGISTRY_USER": "gitlab-ci-token",
    "CI_REGISTRY_PASSWORD": "s3cret",
}


@pytest.fixture(scope="module")
def shims(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("shims")
    for tool in TOOLS:
        (folder / tool).write_text(SHIM, encoding="utf-8")
    (folder / "engine").write_text(ENGINE, encoding="utf-8")
    for path in folder.iterdir():
        path.chmod(0o755)
    return folder


def run_pipeline(
    gcl: Path,
    shims: Path,
    tmp_path: Path,
    example: str,
    *,
    variables: dict[str, str],
    unset: list[str],
    jobs: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run ``jobs`` (all when none) of an example; return the process and the recorded calls."""
    text = compile_module(ROOT / "docs" / "examples" / f"{example}.py", load_config(ROOT)).text
    deploy = '#!/bin/sh\necho "$*" > deployed\n'
    repo = git_repo(tmp_path, text, {"deploy.sh": deploy, "Dockerfile": "FROM scratch\n"})
    log = tmp_path / "calls.log"
    log.touch()
    args = [str(gcl), "--force-shell-executor", "--container-executable", str(shims / "engine")]
    for name, value in {**REGISTRY, "CI_DEFAULT_BRANCH": "main", **variables}.items():
        args += ["--variable", f"{name}={value}"]
    for name in unset:
        args += ["--unset-variable", name]
    names = sorted({*REGISTRY, "CI_DEFAULT_BRANCH", *variables, *unset})
    environment = {
        **os.environ,
        **(env or {}),
        "PATH": f"{shims}:{os.environ['PATH']}",
        "SHIM_LOG": str(log),
        "GCL_IGNORE_PREDEFINED_VARS": ",".join(names),
    }
    result = subprocess.run(
        [*args, *jobs], cwd=repo, env=environment, capture_output=True, text=True, check=False
    )
    return result, log.read_text(encoding="utf-8").splitlines()


@pytest.fixture
def tools(gitlab_ci_local: Path) -> Path:
    if shutil.which("rsync") is None:
        reason = "gitlab-ci-local needs rsync (tests/tools/install.sh installs it as root)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return gitlab_ci_local


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_docker_build_pushes_the_tags_of_each_pipeline_source(
    source: str, tools: Path, shims: Path, tmp_path: Path
) -> None:
    """Default branch: SHA, branch slug, latest. Tag: SHA and the version, never latest.
    Feature branch: SHA and its slug. The login reads the password on stdin."""
    variables, unset = SOURCES[source]
    result, calls = run_pipeline(
        tools, shims, tmp_path, "docker_build", variables=variables, unset=unset, jobs=("build",)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    pushed = {c.rsplit(":", 1)[1] for c in calls if c.startswith("docker push ")}
    sha = subprocess.run(
        [shutil.which("git") or "git", "rev-parse", "HEAD"],
        cwd=tmp_path / "repo",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    expected = {
        "default branch": {sha, "main", "latest"},
        "tag": {sha, "v1.2.3"},
        "feature branch": {sha, "feature-login"},
    }[source]
    assert pushed == expected
    assert (
        calls[0] == "docker login --username gitlab-ci-token --password-stdin registry.example.com"
    )
    assert calls[1] == "stdin: s3cret"
    assert not any("s3cret" in c for c in calls if not c.startswith("stdin: "))


def test_trivy_findings_stop_the_deployment(tools: Path, shims: Path, tmp_path: Path) -> None:
    """When Trivy finds CRITICAL/HIGH vulnerabilities the scan job fails and the deploy job that
    needs it never runs; without findings the same pipeline deploys the scanned image."""
    variables, unset = SOURCES["default branch"]
    result, calls = run_pipeline(
        tools,
        shims,
        tmp_path / "dirty",
        "scan",
        variables=variables,
        unset=unset,
        env={"SHIM_FINDINGS": "1"},
    )
    assert result.returncode != 0
    gate = [c for c in calls if c.startswith("trivy ") and "--severity CRITICAL,HIGH" in c]
    assert len(gate) == 1
    assert "--exit-code 1" in gate[0]
    assert not (tmp_path / "dirty" / "repo" / "deployed").exists()

    result, calls = run_pipeline(
        tools, shims, tmp_path / "clean", "scan", variables=variables, unset=unset
    )
    assert result.returncode == 0, result.stdout + result.stderr
    deployed = tmp_path / "clean" / "repo" / "deployed"  # the shell executor runs in the work tree
    assert deployed.read_text(encoding="utf-8").startswith("registry.example.com/group/app:")


@pytest.mark.parametrize("source", ["schedule", "push"])
def test_registry_cleanup_runs_on_schedules_only(
    source: str, tools: Path, shims: Path, tmp_path: Path
) -> None:
    """A scheduled pipeline deletes tags in every repository; a push pipeline leaves them alone."""
    variables, unset = SOURCES["default branch"]
    variables = {**variables, "CI_PIPELINE_SOURCE": source, "GITLAB_API_TOKEN": "glpat-x"}
    listing = '[{"id":7,"project_id":1},{"id":8,"project_id":1}]'
    result, calls = run_pipeline(
        tools,
        shims,
        tmp_path,
        "cleanup",
        variables=variables,
        unset=unset,
        env={"SHIM_CURL_LIST": listing},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    deletes = [c.split()[-1].rsplit("/", 2)[-2] for c in calls if "--request DELETE" in c]
    assert deletes == (["7", "8"] if source == "schedule" else [])
    assert not any("glpat-x" in c for c in calls)
