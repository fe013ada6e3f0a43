"""Run the example pipelines' jobs with gitlab-ci-local and record the commands they execute.

gitlab-ci-local runs each job in a shell (`--force-shell-executor`); `docker`, `trivy` and the
other tools are recording shims first on PATH, and a fake container engine answers for the
`services:` gitlab-ci-local would start. Every example runs for a default-branch push, a tag
push, a feature-branch push and a schedule; the commands of each job are snapshot-tested and
the tests assert what each pipeline source pushes, that every secret travels on stdin, that
Trivy findings stop deployments and that the registry cleanup runs on schedules only.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import NamedTuple

import pytest
from syrupy.assertion import SnapshotAssertion

from conftest import FAKE_ENGINE, ROOT, TextSnapshot, git_repo
from gitlabci_dsl.project import compile_tree, discover, load_config

# Records "<job><TAB><tool> <arguments>", and "<job><TAB>stdin: ..." for a command that reads a secret
# or a configuration from standard input. Answers the few calls whose output a job parses. With
# SHIM_FINDINGS=1 a command given `--exit-code N` exits N, as Trivy does when it finds
# vulnerabilities.
SHIM = """#!/bin/sh
tool=$(basename "$0")
case " $* " in
  *" --password-stdin "*|*" @- "*|*" --config - "*|*" -f - "*)
    # Read all of stdin first: the command writing into the pipe has then finished, so its
    # own record comes first and the log's order does not depend on scheduling.
    input=$(cat)
    printf '%s\\t%s\\n' "$CI_JOB_NAME" "$tool $*" "$CI_JOB_NAME" "stdin: $input" >> "$SHIM_LOG" ;;
  *) printf '%s\\t%s\\n' "$CI_JOB_NAME" "$tool $*" >> "$SHIM_LOG" ;;
esac
case "$tool $*" in
  "curl "*"per_page"*) printf '%s' "${SHIM_CURL_LIST:-[]}" ;;
  "curl "*"jwt/auth"*) printf '%s' '{"token":"registry-token"}' ;;
  "aws ecr get-login-password"*) printf '%s' "secret-ecr" ;;
esac
code=0
while [ $# -gt 0 ]; do
  if [ "$1" = "--exit-code" ] && [ "${SHIM_FINDINGS:-0}" = 1 ]; then code="$2"; fi
  shift
done
exit "$code"
"""
TOOLS = (
    "docker",
    "buildah",
    "trivy",
    "kubectl",
    "skopeo",
    "crane",
    "curl",
    "aws",
    "glab",
    "apk",
    "npm",
)


class Source(NamedTuple):
    variables: dict[str, str]
    unset: tuple[str, ...] = ()


BRANCH_MAIN = {
    "CI_COMMIT_BRANCH": "main",
    "CI_COMMIT_REF_NAME": "main",
    "CI_COMMIT_REF_SLUG": "main",
}
SOURCES = {
    "default-branch": Source({**BRANCH_MAIN, "CI_PIPELINE_SOURCE": "push"}),
    "tag": Source(
        {
            "CI_COMMIT_TAG": "v1.2.3",
            "CI_COMMIT_REF_NAME": "v1.2.3",
            "CI_COMMIT_REF_SLUG": "v1-2-3",
            "CI_PIPELINE_SOURCE": "push",
        },
        ("CI_COMMIT_BRANCH",),
    ),
    "feature-branch": Source(
        {
            "CI_COMMIT_BRANCH": "feature/login",
            "CI_COMMIT_REF_NAME": "feature/login",
            "CI_COMMIT_REF_SLUG": "feature-login",
            "CI_PIPELINE_SOURCE": "push",
        }
    ),
    "schedule": Source({**BRANCH_MAIN, "CI_PIPELINE_SOURCE": "schedule"}),
}
# Each secret has a value of its own, so a leak names the variable.
SECRETS = {
    name: f"secret-{name.lower()}"
    for name in (
        "CI_REGISTRY_PASSWORD",
        "CI_DEPLOY_PASSWORD",
        "CI_JOB_TOKEN",
        "MIRROR_PASSWORD",
        "DOCKERHUB_TOKEN",
        "SHARED_IMAGE_TOKEN",
        "GITLAB_API_TOKEN",
    )
}
VARIABLES = {
    "CI_DEFAULT_BRANCH": "main",
    "CI_REGISTRY": "registry.example.com",
    "CI_REGISTRY_USER": "gitlab-ci-token",
    "CI_DEPLOY_USER": "gitlab+deploy-token-1",
    "CI_PIPELINE_CREATED_AT": "2026-11-29T08:00:00Z",
    "MIRROR_REGISTRY": "mirror.example.com",
    "MIRROR_USER": "mirror-bot",
    "ECR_REGISTRY": "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
    "GAR_REGISTRY": "europe-docker.pkg.dev",
    "DOCKERHUB_USER": "acme",
    "SHARED_IMAGE_USER": "shared-reader",
    **SECRETS,
}
CONFIG = load_config(ROOT)
EXAMPLES = [m.stem for m in discover(CONFIG) if m.stem != "main"]


class Run(NamedTuple):
    result: subprocess.CompletedProcess[str]
    calls: list[str]  # "<job><TAB><command>" lines, in the order each job ran them
    repo: Path
    sha: str


@pytest.fixture(scope="module")
def shims(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("shims")
    for tool in TOOLS:
        (folder / tool).write_text(SHIM, encoding="utf-8")
    (folder / "engine").write_text(FAKE_ENGINE, encoding="utf-8")
    for path in folder.iterdir():
        path.chmod(0o755)
    return folder


@pytest.fixture
def tools(gitlab_ci_local: Path) -> Path:
    if shutil.which("rsync") is None:
        reason = "gitlab-ci-local needs rsync (tests/tools/install.sh installs it as root)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return gitlab_ci_local


def run_pipeline(
    gcl: Path,
    shims: Path,
    tmp_path: Path,
    example: str,
    source: str,
    *,
    variables: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
) -> Run:
    """Run every job of an example for one pipeline source; return what the tools were given.

    The shell executor cannot provide Kaniko's absolute /kaniko folder: the compiled text's
    `/kaniko/` is pointed at a folder of the test (as ../shared/TOOLS.md advises), whose
    `executor` is a recording shim.
    """
    top, *children = compile_tree(ROOT / "pipelines" / f"{example}.py", CONFIG)
    text = top.text
    kaniko = tmp_path / "kaniko"
    kaniko.mkdir(parents=True)
    shutil.copy(shims / "docker", kaniko / "executor")
    text = text.replace("/kaniko/", f"{kaniko}/")
    files = {
        "deploy.sh": '#!/bin/sh\necho "$*" > deployed\n',
        "run-tests.sh": "#!/bin/sh\nexit 0\n",
        "Dockerfile": "FROM scratch\n",
        "gcp-key.json": '{"type": "service_account"}\n',
        # The child pipelines the example's trigger jobs start.
        **{str(child.output.relative_to(ROOT)): child.text for child in children},
    }
    repo = git_repo(tmp_path, text, files)
    log = tmp_path / "calls.log"
    log.touch()
    variables = {
        **VARIABLES,
        "GCP_SERVICE_ACCOUNT_KEY": str(repo / "gcp-key.json"),
        **SOURCES[source].variables,
        **(variables or {}),
    }
    # gitlab-ci-local gives a child pipeline none of the --variable values, while GitLab gives
    # it the predefined ones (the registry's credentials...): the project's variables file
    # reaches the children too.
    (repo / ".gitlab-ci-local-variables.yml").write_text(
        "".join(f"{name}: {json.dumps(value)}\n" for name, value in variables.items()),
        encoding="utf-8",
    )
    args = [str(gcl), "--force-shell-executor", "--container-executable", str(shims / "engine")]
    for name, value in variables.items():
        args += ["--variable", f"{name}={value}"]
    for name in SOURCES[source].unset:
        args += ["--unset-variable", name]
    environment = {
        **os.environ,
        **(env or {}),
        "PATH": f"{shims}:{os.environ['PATH']}",
        "SHIM_LOG": str(log),
        "GCL_IGNORE_PREDEFINED_VARS": ",".join(sorted({*variables, *SOURCES[source].unset})),
    }
    result = subprocess.run(
        args, cwd=repo, env=environment, capture_output=True, text=True, check=False
    )
    git = shutil.which("git") or "git"
    sha = subprocess.run(
        [git, "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    return Run(result, log.read_text(encoding="utf-8").splitlines(), repo, sha)


def by_job(calls: list[str]) -> dict[str, list[str]]:
    """The calls grouped by job (jobs of one stage run concurrently, so lines interleave)."""
    jobs: dict[str, list[str]] = {}
    for line in calls:
        job, _, command = line.partition("\t")
        jobs.setdefault(job, []).append(command)
    return dict(sorted(jobs.items()))


def normalized(run: Run, tmp_path: Path) -> str:
    """The commands of each job, with the run's commit SHA and temporary paths made stable."""
    lines = []
    for job, commands in by_job(run.calls).items():
        lines.append(f"{job}:")
        lines.extend(f"  {command}" for command in commands)
    text = "\n".join(lines) + "\n"
    text = text.replace(run.sha, "<sha>").replace(run.sha[:8], "<short-sha>")
    text = re.sub(r"\S*/tmp\.\w+", "<mktemp>", text)
    return re.sub(re.escape(str(tmp_path)) + r"[^\s\"']*", "<tmp>", text)


def pushed_tags(commands: list[str], repository: str) -> set[str]:
    """Tags pushed to ``repository`` by docker, skopeo, crane or Kaniko."""
    tags = set()
    for command in commands:
        for ref in re.findall(
            r"(?:docker push |docker://|--destination |crane copy \S+ )\"?(\S+?)\"?(?:\s|$)",
            command,
        ):
            name, _, tag = ref.rpartition(":")
            if name == repository:
                tags.add(tag)
    return tags


@pytest.mark.parametrize("source", sorted(SOURCES))
@pytest.mark.parametrize("example", EXAMPLES)
def test_example_jobs_run_and_keep_secrets_off_command_lines(
    example: str,
    source: str,
    tools: Path,
    shims: Path,
    tmp_path: Path,
    snapshot: SnapshotAssertion,
) -> None:
    """Every job of every example succeeds for every pipeline source; each login reads its
    password on stdin, no secret appears in any command's arguments, and the commands each job
    runs are exactly the reviewed snapshot."""
    run = run_pipeline(tools, shims, tmp_path, example, source)
    assert run.result.returncode == 0, run.result.stdout[-3000:] + run.result.stderr[-2000:]
    commands = [c.partition("\t")[2] for c in run.calls]
    arguments = [c for c in commands if not c.startswith("stdin: ")]
    for secret in SECRETS.values():
        assert not any(secret in c for c in arguments), secret
    for job_commands in by_job(run.calls).values():
        for index, command in enumerate(job_commands):
            if re.match(r"(?:docker login|skopeo login|buildah login|crane auth login) ", command):
                assert "--password-stdin" in command
                assert job_commands[index + 1] not in ("stdin: ", "stdin: None")
    assert normalized(run, tmp_path) == snapshot.use_extension(TextSnapshot)


EXPECTED_TAGS = {
    "default-branch": {"<sha>", "main", "latest"},
    "tag": {"<sha>", "v1.2.3"},
    "feature-branch": {"<sha>", "feature-login"},
    "schedule": set(),  # a schedule (registry cleanup) does not rebuild or push `latest`
}


@pytest.mark.parametrize("source", sorted(SOURCES))
@pytest.mark.parametrize("example", ["docker_build", "kaniko", "buildah"])
def test_builds_push_the_tags_of_each_pipeline_source(
    example: str, source: str, tools: Path, shims: Path, tmp_path: Path
) -> None:
    """Default branch: SHA, branch slug, latest. Tag: SHA and the version, never latest.
    Feature branch: SHA and its slug, never latest. Schedule: no build at all."""
    run = run_pipeline(tools, shims, tmp_path, example, source)
    assert run.result.returncode == 0, run.result.stdout[-3000:]
    commands = by_job(run.calls).get("build", [])
    tags = pushed_tags(commands, "registry.example.com/group/app")
    assert {run.sha if t == "<sha>" else t for t in EXPECTED_TAGS[source]} == tags


def test_kaniko_writes_valid_credentials_whatever_the_password(
    tools: Path, shims: Path, tmp_path: Path
) -> None:
    """Kaniko's config.json is valid JSON holding base64(user:password), even for a password
    with quotes, backslashes and spaces (the article's heredoc breaks on them)."""
    password = "p\"a\\s s{o}r'd"
    run = run_pipeline(
        tools,
        shims,
        tmp_path,
        "kaniko",
        "default-branch",
        variables={"CI_REGISTRY_PASSWORD": password},
    )
    assert run.result.returncode == 0, run.result.stdout[-3000:]
    config = json.loads((tmp_path / "kaniko" / ".docker" / "config.json").read_text())
    auth = config["auths"]["registry.example.com"]["auth"]
    assert base64.b64decode(auth).decode() == f"gitlab-ci-token:{password}"


def test_trivy_findings_stop_the_deployment(tools: Path, shims: Path, tmp_path: Path) -> None:
    """When Trivy finds CRITICAL/HIGH vulnerabilities the scan job fails and the deploy job that
    needs it never runs; without findings the same pipeline deploys the scanned image."""
    dirty = run_pipeline(
        tools, shims, tmp_path / "dirty", "scan", "default-branch", env={"SHIM_FINDINGS": "1"}
    )
    assert dirty.result.returncode != 0
    gate = [c for c in dirty.calls if "trivy " in c and "--severity CRITICAL,HIGH" in c]
    assert len(gate) == 1
    assert "--exit-code 1" in gate[0]
    assert "deploy" not in by_job(dirty.calls)
    assert not (dirty.repo / "deployed").exists()

    clean = run_pipeline(tools, shims, tmp_path / "clean", "scan", "default-branch")
    assert clean.result.returncode == 0, clean.result.stdout[-3000:]
    # The shell executor runs jobs in the work tree, where deploy.sh leaves its record.
    deployed = (clean.repo / "deployed").read_text(encoding="utf-8")
    assert deployed.startswith(f"registry.example.com/group/app:{clean.sha}")


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_registry_cleanup_runs_on_schedules_only(
    source: str, tools: Path, shims: Path, tmp_path: Path
) -> None:
    """A scheduled pipeline deletes tags in every repository; other pipelines leave them alone."""
    listing = '[{"id":7,"project_id":1},{"id":8,"project_id":1}]'
    run = run_pipeline(tools, shims, tmp_path, "cleanup", source, env={"SHIM_CURL_LIST": listing})
    assert run.result.returncode == 0, run.result.stdout[-3000:]
    deletes = [c.split()[-1].rsplit("/", 2)[-2] for c in run.calls if "--request DELETE" in c]
    assert deletes == (["7", "8"] if source == "schedule" else [])
