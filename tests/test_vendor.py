"""`gitlabci-dsl vendor` against a stub of GitLab's REST API on loopback: what it asks, what
it writes, what it pins, where the token goes, and lint reading the result offline."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gitlabci_dsl.cli import app
from gitlabci_dsl.sources import LOCK_FILE

SHA = "c" * 40
BUILD = (
    "spec:\n  inputs:\n    stage:\n      default: build\n---\n"
    "build:\n  stage: $[[ inputs.stage ]]\n  script: make\n"
    "include:\n  - template: Jobs/Test.gitlab-ci.yml\n"
)
TEST_TEMPLATE = "unit:\n  script: make test\n"
SHARED = "include:\n  - local: /ci/common.yml\nlint:\n  script: make lint\n"
COMMON = "common:\n  script: make common\n"
REMOTE = "remote-job:\n  script: echo remote\n"


class Stub:
    """GitLab's API for one project (group/ci) with a component and a file, and a remote."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str | None]] = []  # (path, PRIVATE-TOKEN header)
        routes = {
            "/api/v4/projects/group%2Fci/releases": json.dumps(
                [{"tag_name": "1.2.0"}, {"tag_name": "1.10.1"}, {"tag_name": "2.0.0"}]
            ),
            "/api/v4/projects/group%2Fci": json.dumps({"default_branch": "main"}),
            "/api/v4/templates/gitlab_ci_ymls/Jobs%2FTest": json.dumps(
                {"name": "Jobs/Test", "content": TEST_TEMPLATE}
            ),
            "/api/v4/version": json.dumps({"version": "17.5.0", "revision": "abc123"}),
            "/remote/ci.yml": REMOTE,
            # A server that answers with JSON nested past Python's recursion limit.
            "/api/v4/projects/hostile%2Fci/repository/commits/1.0.0": "[" * 100_000,
        }
        for ref in ("1.10.1", "v3.0.0", "main"):
            routes[f"/api/v4/projects/group%2Fci/repository/commits/{ref}"] = json.dumps(
                {"id": SHA}
            )
        raw = f"/api/v4/projects/group%2Fci/repository/files/{{}}/raw?ref={SHA}"
        routes[raw.format("templates%2Fbuild.yml")] = BUILD
        routes[raw.format("ci%2Fshared.yml")] = SHARED
        routes[raw.format("ci%2Fcommon.yml")] = COMMON
        self.routes = routes

    def handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stub.requests.append((self.path, self.headers.get("PRIVATE-TOKEN")))
                body = stub.routes.get(self.path)
                if body is None and "per_page" in self.path:
                    body = stub.routes.get(self.path.split("?")[0])
                self.send_response(200 if body is not None else 404)
                self.end_headers()
                self.wfile.write((body or '{"message": "404 Not Found"}').encode())

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def gitlab() -> Iterator[tuple[str, Stub]]:
    stub = Stub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), stub.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", stub
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.gitlabci-dsl]\n")
    monkeypatch.chdir(tmp_path)
    for name in ("GITLAB_TOKEN", "CI_JOB_TOKEN", "CI_SERVER_URL", "CI_PROJECT_PATH"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def pipeline(url: str) -> str:
    remote = f"{url}/remote/ci.yml"
    integrity = "sha256-" + base64.b64encode(hashlib.sha256(REMOTE.encode()).digest()).decode()
    return (
        "include:\n"
        "  - component: $CI_SERVER_FQDN/group/ci/build@1\n"
        "    inputs: {stage: test}\n"
        "  - project: group/ci\n    ref: v3.0.0\n    file: [ci/shared.yml]\n"
        f"  - remote: {remote}\n    integrity: {integrity}\n"
        "  - component: $CI_SERVER_FQDN/$CI_PROJECT_PATH/own@$CI_COMMIT_SHA\n"
        "deploy:\n  stage: deploy\n  script: make deploy\n"
    )


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(app, list(args), env=env)


def test_vendor_pins_every_include_and_lint_reads_them_offline(
    project: Path, gitlab: tuple[str, Stub], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, stub = gitlab
    (project / ".gitlab-ci.yml").write_text(pipeline(url))
    (project / "templates").mkdir()
    (project / "templates" / "own.yml").write_text("own:\n  script: a\n")
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-secret")
    result = run("vendor", "--url", url)
    assert result.exit_code == 0, result.output
    folder = project / ".gitlab" / "vendor"
    lock = json.loads((folder / LOCK_FILE).read_text())
    pinned = {entry["key"]: (entry["ref"], entry["sha"]) for entry in lock["includes"]}
    assert pinned == {
        # `@1` is the newest 1.x release (1.10.1 over 1.2.0, numerically), at its commit.
        "component:$CI_SERVER_FQDN/group/ci/build@1": ("1.10.1", SHA),
        "project:group/ci:ci/shared.yml@v3.0.0": ("v3.0.0", SHA),
        # The local include of that file: the same project at the same commit, as in GitLab.
        "project:group/ci:ci/common.yml@v3.0.0": ("v3.0.0", SHA),
        f"remote:{url}/remote/ci.yml": (None, None),
        # Included by the component: followed, at the instance's revision.
        "template:Jobs/Test.gitlab-ci.yml": ("17.5.0", "abc123"),
    }
    for entry in lock["includes"]:
        text = (folder / entry["path"]).read_text()
        assert entry["digest"] == "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    # The token goes to GitLab's API and nowhere else.
    for path, token in stub.requests:
        assert (token == "glpat-secret") is path.startswith("/api/v4/"), path
    # This project's own component is read from templates/, never asked for.
    assert not any("own" in path for path, _ in stub.requests)
    # Offline now: every include resolves, the component's inputs are checked.
    lint = run("lint", "--format", "json")
    findings = json.loads(lint.stdout)
    assert [f["rule"] for f in findings] == ["include-unpinned"], findings  # `@1` moves
    explain = run("explain", "--format", "json")
    names = {job["name"] for job in json.loads(explain.stdout)["jobs"]}
    assert names == {"build", "unit", "lint", "common", "remote-job", "own", "deploy"}
    # Running it again changes nothing.
    again = run("vendor", "--url", url)
    assert "(0 file(s) changed, 0 no longer included removed)" in again.output
    # An include dropped from the pipeline: its file goes, and only its file.
    (folder / "notes.txt").write_text("mine")
    remote = next(e["path"] for e in lock["includes"] if e["key"].startswith("remote:"))
    (project / ".gitlab-ci.yml").write_text(
        "".join(
            f"{line}\n"
            for line in pipeline(url).splitlines()
            if "remote" not in line and "integrity" not in line
        )
    )
    dropped = run("vendor", "--url", url)
    assert "1 no longer included removed" in dropped.output, dropped.output
    assert not (folder / remote).exists()
    assert (folder / "notes.txt").read_text() == "mine"


WRONG = "sha256-" + base64.b64encode(b"\0" * 32).decode()


@pytest.mark.parametrize(
    ("include", "says"),
    [
        (
            "project: group/ci\n    ref: v3.0.0\n    file: missing.yml",
            "missing.yml/raw: 404 Not Found; no such project, file, ref or template",
        ),
        (f"remote: {{url}}/remote/ci.yml\n    integrity: {WRONG}", "does not match integrity"),
        (
            "component: gitlab.example.com/g/c/x@1.0.0",
            "vendor it with --url https://gitlab.example.com",
        ),
        ("component: $CI_SERVER_FQDN/group/ci/build@9", "no release matches '9'"),
        ("component: $CI_SERVER_FQDN/hostile/ci/x@1.0.0", "answered with something not JSON"),
    ],
)
def test_vendor_fails_with_the_reason_and_writes_nothing(
    project: Path, gitlab: tuple[str, Stub], include: str, says: str
) -> None:
    url, _ = gitlab
    entry = include.replace("{url}", url)
    (project / ".gitlab-ci.yml").write_text(f"include:\n  - {entry}\njob:\n  script: a\n")
    result = run("vendor", "--url", url)
    assert result.exit_code == 1
    assert says in result.output
    assert not (project / ".gitlab" / "vendor").exists()


def test_a_remote_include_is_read_over_http_only(project: Path, gitlab: tuple[str, Stub]) -> None:
    url, _ = gitlab
    secret = project / "secret.yml"
    secret.write_text("secret:\n  script: a\n")
    (project / ".gitlab-ci.yml").write_text(
        f"include:\n  - remote: file://{secret}\njob:\n  script: a\n"
    )
    result = run("vendor", "--url", url)
    assert result.exit_code == 1
    assert "not an http(s) URL" in result.output
    assert not (project / ".gitlab" / "vendor").exists()


def test_vendor_needs_an_instance(project: Path) -> None:
    (project / ".gitlab-ci.yml").write_text("job:\n  script: a\n")
    result = run("vendor")
    assert result.exit_code == 2
    assert "--url" in result.output


def test_the_token_is_never_an_option() -> None:
    help_text = run("vendor", "--help").output
    assert "--token" not in help_text
    assert "GITLAB_TOKEN" in help_text


def test_a_vendored_folder_in_pyproject_stays_inside_the_project(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.gitlabci-dsl]\nvendor = "../elsewhere"\n')
    (project / ".gitlab-ci.yml").write_text("job:\n  script: a\n")
    result = run("lint")
    assert result.exit_code == 1
    assert "must be a folder inside the project" in result.output
