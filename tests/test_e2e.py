"""End-to-end: the compiled example pipeline really builds, pushes and mirrors images.

Two CNCF distribution registries (Debian's `docker-registry`) run on 127.0.0.1 with htpasswd
auth and storage in a temporary folder: one is the project's registry, one the mirror target.
gitlab-ci-local runs `pipelines/buildah.py`'s compiled YAML with its shell executor and the
real `buildah` and `skopeo` for a default-branch push, a tag push, a feature-branch push and a
schedule, and `pipelines/mirror.py`'s, whose skopeo mirror is real while its docker build and
ECR jobs use stand-ins (docker, kubectl, trivy, aws and apk cannot run here: no daemon, no
cluster, no scanner database, no cloud). The registry endpoints and credentials are the CI/CD
variables GitLab sets, so the YAML is the one GitLab runs. Everything is read back through
the registry's HTTP API: the tags, their digests, the repositories.

Run alone with `pytest -m e2e`; tests/tools/install_e2e.sh installs the Debian packages when
they are missing and the tests run as root.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from conftest import FAKE_ENGINE, ROOT, git_repo
from gitlabci_dsl.project import compile_module, load_config

pytestmark = pytest.mark.e2e

USER, PASSWORD = "ci-user", "ci-pass word"
MIRROR_USER, MIRROR_PASSWORD = "mirror-bot", "mirror-secret"
SOURCES = {
    "default-branch": (
        {"CI_COMMIT_BRANCH": "main", "CI_COMMIT_REF_NAME": "main", "CI_COMMIT_REF_SLUG": "main"},
        (),
    ),
    "tag": (
        {"CI_COMMIT_TAG": "v1.2.3", "CI_COMMIT_REF_NAME": "v1.2.3", "CI_COMMIT_REF_SLUG": "v1-2-3"},
        ("CI_COMMIT_BRANCH",),
    ),
    "feature-branch": (
        {
            "CI_COMMIT_BRANCH": "feature/login",
            "CI_COMMIT_REF_NAME": "feature/login",
            "CI_COMMIT_REF_SLUG": "feature-login",
        },
        (),
    ),
    "schedule": (
        {"CI_COMMIT_BRANCH": "main", "CI_COMMIT_REF_NAME": "main", "CI_COMMIT_REF_SLUG": "main"},
        (),
    ),
}
PIPELINE_SOURCE = {"schedule": "schedule"}
# What each pipeline source pushes to the project's registry ("<sha>": the commit), and mirrors.
EXPECTED = {
    "default-branch": ({"<sha>", "main", "latest"}, set()),
    "tag": ({"<sha>", "v1.2.3"}, {"<sha>", "v1.2.3"}),
    "feature-branch": ({"<sha>", "feature-login"}, set()),
    "schedule": (set(), set()),  # it prunes, and builds nothing
}
MANIFESTS = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)


@pytest.fixture(scope="session")
def e2e_tools() -> None:
    """The Debian tools, installed (pinned) by tests/tools/install_e2e.sh when missing."""
    done = subprocess.run(
        [shutil.which("bash") or "/bin/bash", str(ROOT / "tests/tools/install_e2e.sh")],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        reason = f"end-to-end tools missing: {done.stderr.strip()[-300:]}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


class Registry(NamedTuple):
    host: str  # 127.0.0.1:PORT
    user: str
    password: str

    def get(self, path: str, *, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
        """One registry API call, with basic auth."""
        request = urllib.request.Request(f"http://{self.host}{path}", method=method)
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
        request.add_header("Accept", MANIFESTS)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def repositories(self) -> list[str]:
        return list(json.loads(self.get("/v2/_catalog")[2])["repositories"])

    def tags(self, repository: str) -> dict[str, str]:
        """Tag → manifest digest, for every tag of ``repository``."""
        status, _, body = self.get(f"/v2/{repository}/tags/list")
        if status == 404:
            return {}
        found = {}
        for tag in json.loads(body)["tags"] or []:
            _, headers, _ = self.get(f"/v2/{repository}/manifests/{tag}", method="HEAD")
            found[tag] = headers["Docker-Content-Digest"]
        return found


def _tool(name: str) -> str:
    return shutil.which(name) or name


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(folder: Path, user: str, password: str) -> tuple[subprocess.Popen[bytes], Registry]:
    """A registry on a free loopback port, htpasswd auth, storage under ``folder``."""
    folder.mkdir(parents=True)
    htpasswd = subprocess.run(
        [_tool("htpasswd"), "-Bbn", user, password], capture_output=True, text=True, check=True
    ).stdout
    (folder / "htpasswd").write_text(htpasswd, encoding="utf-8")
    port = _free_port()
    config = {
        "version": 0.1,
        "storage": {
            "filesystem": {"rootdirectory": str(folder / "data")},
            "delete": {"enabled": True},
        },
        "http": {"addr": f"127.0.0.1:{port}"},
        "auth": {"htpasswd": {"realm": "e2e", "path": str(folder / "htpasswd")}},
        "log": {"level": "warn"},
    }
    (folder / "config.yml").write_text(json.dumps(config), encoding="utf-8")
    # The registry reads every REGISTRY_* variable as configuration (skopeo's
    # REGISTRY_AUTH_FILE would stop it): start it without them.
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    log = (folder / "registry.log").open("wb")
    process = subprocess.Popen(
        [_tool("docker-registry"), "serve", str(folder / "config.yml")],
        env=env,
        stdout=log,
        stderr=log,
    )
    registry = Registry(f"127.0.0.1:{port}", user, password)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if registry.get("/v2/")[0] == 200:
                return process, registry
        except OSError:
            time.sleep(0.05)
    process.terminate()
    raise RuntimeError(f"registry did not start: {(folder / 'registry.log').read_text()}")


class Registries(NamedTuple):
    project: Registry
    mirror: Registry


@pytest.fixture
def registries(e2e_tools: None, tmp_path: Path) -> Iterator[Registries]:
    """Two fresh registries for one pipeline run; stopped in teardown."""
    started = [
        _start(tmp_path / "project-registry", USER, PASSWORD),
        _start(tmp_path / "mirror-registry", MIRROR_USER, MIRROR_PASSWORD),
    ]
    try:
        yield Registries(started[0][1], started[1][1])
    finally:
        for process, _ in started:
            process.terminate()
            process.wait(timeout=10)


class Run(NamedTuple):
    result: subprocess.CompletedProcess[str]
    sha: str


# Stand-ins for the tools that cannot run here (no Docker daemon, no cluster, no scanner
# database, no AWS): they accept their arguments, drain a password on stdin, and succeed.
SHIM = """#!/bin/sh
case " $* " in *" --password-stdin "*) cat > /dev/null ;; esac
[ "$(basename "$0") $1" = "aws ecr" ] && printf '%s' not-a-real-password
exit 0
"""
SHIMMED = ("docker", "kubectl", "trivy", "aws", "apk")


def _shims(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for tool, text in (*((t, SHIM) for t in SHIMMED), ("engine", FAKE_ENGINE)):
        (folder / tool).write_text(text, encoding="utf-8")
        (folder / tool).chmod(0o755)
    return folder


def _seed(image: str, registry: Registry, tmp_path: Path, env: dict[str, str]) -> None:
    """Push a small image to ``image`` with buildah, as a build job of another tool would."""
    context = tmp_path / "seed"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM scratch\nCOPY seed.txt /\n", encoding="utf-8")
    (context / "seed.txt").write_text(image, encoding="utf-8")
    buildah = [_tool("buildah"), "--storage-driver", "vfs"]
    for args in (
        ["build", "--isolation", "chroot", "--tag", image, str(context)],
        ["push", "--creds", f"{registry.user}:{registry.password}", image, f"docker://{image}"],
    ):
        subprocess.run([*buildah, *args], env=env, capture_output=True, check=True)


def run_pipeline(
    gcl: Path,
    tmp_path: Path,
    registries: Registries,
    source: str,
    *,
    example: str = "buildah",
    seed: bool = False,
    **override: str,
) -> Run:
    """Run every job of ``pipelines/<example>.py`` with gitlab-ci-local for ``source``, in a
    new repository (a new commit) under ``tmp_path``. ``seed``: first push an image for the
    commit, for a pipeline whose build job is a stand-in."""
    text = compile_module(ROOT / f"pipelines/{example}.py", load_config(ROOT)).text
    files = {
        "Dockerfile": "FROM scratch\nCOPY hello.txt /hello.txt\n",
        "hello.txt": "hello\n",
        # Two runs within one second would otherwise make the very same commit (same tree,
        # same time), so "an older commit of the default branch" would be this one.
        "RUN": f"{tmp_path}\n",
    }
    repo = git_repo(tmp_path / "work", text, files)
    # Plain-HTTP registries: the containers tools read this file from $HOME.
    home = tmp_path / "home"
    conf = home / ".config/containers/registries.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text(
        "".join(f'[[registry]]\nlocation = "{r.host}"\ninsecure = true\n' for r in registries),
        encoding="utf-8",
    )
    project = registries.project
    variables = {
        "CI_DEFAULT_BRANCH": "main",
        "CI_PIPELINE_CREATED_AT": "2026-11-29T08:00:00Z",
        "CI_REGISTRY": project.host,
        "CI_REGISTRY_IMAGE": f"{project.host}/group/app",
        "CI_REGISTRY_USER": project.user,
        "CI_REGISTRY_PASSWORD": project.password,
        "MIRROR_REGISTRY": registries.mirror.host,
        "MIRROR_USER": registries.mirror.user,
        "MIRROR_PASSWORD": registries.mirror.password,
        "CI_PIPELINE_SOURCE": PIPELINE_SOURCE.get(source, "push"),
        **SOURCES[source][0],
        **override,
    }
    unset = SOURCES[source][1]
    shims = _shims(tmp_path / "shims")
    args = [str(gcl), "--force-shell-executor", "--container-executable", str(shims / "engine")]
    for name, value in variables.items():
        args += ["--variable", f"{name}={value}"]
    for name in unset:
        args += ["--unset-variable", name]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("REGISTRY_", "CI_"))},
        "HOME": str(home),
        "PATH": f"{shims}:{os.environ['PATH']}",
        "GCL_IGNORE_PREDEFINED_VARS": ",".join(sorted({*variables, *unset})),
    }
    sha = subprocess.run(
        [_tool("git"), "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    if seed:
        _seed(f"{project.host}/group/app:{sha}", project, tmp_path, env)
    result = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, check=False)
    return Run(result, sha)


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_each_pipeline_source_pushes_exactly_its_tags(
    source: str, gitlab_ci_local: Path, registries: Registries, tmp_path: Path
) -> None:
    """The project's registry holds exactly the tags of the source (SHA, branch slug, latest
    only on the default branch, the version on tags), all with one digest; the mirror holds
    the release tags with that same digest, and nothing else was pushed anywhere."""
    run = run_pipeline(gitlab_ci_local, tmp_path, registries, source)
    assert run.result.returncode == 0, run.result.stdout[-4000:] + run.result.stderr[-2000:]
    pushed, mirrored = (
        {run.sha if tag == "<sha>" else tag for tag in expected} for expected in EXPECTED[source]
    )
    tags = registries.project.tags("group/app")
    assert set(tags) == pushed
    assert len(set(tags.values())) == (1 if pushed else 0)
    assert registries.project.repositories() == (["group/app"] if pushed else [])
    mirror = registries.mirror.tags("app")
    assert set(mirror) == mirrored
    assert set(mirror.values()) <= set(tags.values())
    assert registries.mirror.repositories() == (["app"] if mirrored else [])


def test_wrong_credentials_fail_the_job_and_push_nothing(
    gitlab_ci_local: Path, registries: Registries, tmp_path: Path
) -> None:
    """A wrong registry password: the login fails, so the build job fails and the registry
    stays empty."""
    run = run_pipeline(
        gitlab_ci_local, tmp_path, registries, "default-branch", CI_REGISTRY_PASSWORD="wrong"
    )
    assert run.result.returncode != 0
    assert "invalid username/password" in run.result.stdout
    assert registries.project.repositories() == []
    assert registries.mirror.repositories() == []


def test_the_scheduled_prune_keeps_what_its_policy_keeps(
    gitlab_ci_local: Path, registries: Registries, tmp_path: Path
) -> None:
    """A feature branch, a release tag, two default-branch commits, then a schedule (which
    builds nothing), into one registry: the schedule's prune deletes the feature branch's and
    the older default-branch commit's tags, keeps main, latest and the version, and keeps the
    release's commit tag because the version tag shares its digest (deleting the digest would
    delete the version too)."""
    sha = {}
    runs = [
        ("feature-branch", "feature-branch"),
        ("tag", "tag"),
        ("older", "default-branch"),
        ("default-branch", "default-branch"),
        ("schedule", "schedule"),
    ]
    for name, source in runs:
        run = run_pipeline(gitlab_ci_local, tmp_path / name, registries, source)
        assert run.result.returncode == 0, run.result.stdout[-4000:]
        sha[name] = run.sha
    tags = registries.project.tags("group/app")
    assert set(tags) == {sha["tag"], "v1.2.3", sha["default-branch"], "main", "latest"}
    assert tags[sha["tag"]] == tags["v1.2.3"]
    assert tags[sha["default-branch"]] == tags["main"] == tags["latest"]
    assert tags["v1.2.3"] != tags["main"]
    output = run.result.stdout
    assert f"kept {sha['tag']}: " in output
    assert f"deleted {sha['older']} (sha256:" in output
    assert set(registries.mirror.tags("app")) == {sha["tag"], "v1.2.3"}


@pytest.mark.parametrize("source", ["tag", "default-branch"])
def test_the_mirror_example_copies_release_tags_with_their_digest(
    source: str, gitlab_ci_local: Path, registries: Registries, tmp_path: Path
) -> None:
    """pipelines/mirror.py (its docker build and ECR jobs are stand-ins, its skopeo mirror is
    real): on a tag pipeline the mirror target holds the commit and version tags with the
    built image's digest; on a branch it holds nothing, and the project's registry keeps only
    the image that was there."""
    run = run_pipeline(gitlab_ci_local, tmp_path, registries, source, example="mirror", seed=True)
    assert run.result.returncode == 0, run.result.stdout[-4000:]
    built = registries.project.tags("group/app")
    assert set(built) == {run.sha}
    mirrored = registries.mirror.tags("app")
    if source == "tag":
        assert set(mirrored) == {run.sha, "v1.2.3"}
        assert set(mirrored.values()) == {built[run.sha]}
    else:
        assert mirrored == {}
    assert registries.mirror.repositories() == (["app"] if mirrored else [])
