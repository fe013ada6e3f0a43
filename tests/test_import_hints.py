"""The comment import writes above a hand-written job names the block that writes such a job and
claims only what that block's compiled job really does."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from typer.testing import CliRunner

from gitlabci_dsl import Job, ci
from gitlabci_dsl.blocks.buildah import BuildahBuild
from gitlabci_dsl.blocks.docker import DockerBuild
from gitlabci_dsl.blocks.kaniko import KanikoBuild
from gitlabci_dsl.blocks.mirror import Mirror
from gitlabci_dsl.blocks.trivy import TrivyScan
from gitlabci_dsl.cli import app
from gitlabci_dsl.compiler import compile_job
from gitlabci_dsl.importer import blocks

SOURCE = f"{ci.REGISTRY_IMAGE}:{ci.COMMIT_SHA}"


class Case(NamedTuple):
    command: str  # the command the hint names
    script: list[str]
    block: str  # as the hint names it
    make: Callable[[], Any]  # the block the hint points to, with its defaults


CASES = [
    Case(
        "docker push",
        ['docker build -t "$CI_REGISTRY_IMAGE" .', 'docker push "$CI_REGISTRY_IMAGE"'],
        "DockerBuild",
        DockerBuild,
    ),
    Case(
        "docker push",
        ['docker buildx build -t "$IMAGE" .', 'docker push "$IMAGE"'],
        "DockerBuild",
        DockerBuild,
    ),
    Case(
        "docker push",
        ['docker pull "$SRC"', 'docker tag "$SRC" "$DST"', 'docker push "$DST"'],
        'Mirror(tool="docker")',
        lambda: Mirror(source=SOURCE, tool="docker"),
    ),
    Case(
        "buildah push",
        ['buildah build -t "$IMAGE" .', 'buildah push "$IMAGE"'],
        "BuildahBuild",
        BuildahBuild,
    ),
    Case(
        "buildah push",
        ['buildah bud -t "$IMAGE" .', 'buildah push "$IMAGE"'],
        "BuildahBuild",
        BuildahBuild,
    ),
    Case(
        "buildah push",
        ['buildah pull "$SRC"', 'buildah push "$SRC" "docker://$DST"'],
        "Mirror",
        lambda: Mirror(source=SOURCE),
    ),
    Case(
        "/kaniko/executor",
        ['/kaniko/executor --context . --destination "$IMAGE"'],
        "KanikoBuild",
        KanikoBuild,
    ),
    Case("trivy image", ['trivy image "$IMAGE"'], "TrivyScan", lambda: TrivyScan(image=SOURCE)),
    Case(
        "skopeo copy",
        ['skopeo copy "docker://$SRC" "docker://$DST"'],
        "Mirror",
        lambda: Mirror(source=SOURCE),
    ),
    Case(
        "crane copy",
        ['crane copy "$SRC" "$DST"'],
        'Mirror(tool="crane")',
        lambda: Mirror(source=SOURCE, tool="crane"),
    ),
]
IDS = [f"{case.block}: {case.script[-1]}" for case in CASES]


def _text(comment: str) -> str:
    """The comment's sentence, unwrapped."""
    return " ".join(line.removeprefix("# ") for line in comment.splitlines())


def _hint(case: Case) -> str:
    comment = blocks.hint(Job("job", script=case.script))
    assert comment is not None
    assert all(line.startswith("# ") for line in comment.splitlines())
    return _text(comment)


def _lines(data: dict[str, Any]) -> str:
    """The compiled job's shell lines, before_script and script."""
    lines: list[str] = []
    for key in ("before_script", "script"):
        part = data.get(key) or []
        lines.extend([part] if isinstance(part, str) else part)
    return "\n".join(lines)


def _images(data: dict[str, Any]) -> list[str]:
    images = [data.get("image"), *(data.get("services") or [])]
    return [i["name"] if isinstance(i, dict) else i for i in images if i]


def _is_pinned(reference: str) -> bool:
    """A digest, or a tag that starts with a version number (never `latest`, `debug`)."""
    tag = reference.rsplit("/", 1)[-1].partition(":")[2]
    return "@sha256:" in reference or re.match(r"v?\d+(\.\d+)+(-|$)", tag) is not None


def _stdin(data: dict[str, Any]) -> bool:
    return "--password-stdin" in _lines(data)


def _config_file(data: dict[str, Any], path: str) -> bool:
    """The script writes ``path`` after it has read the registry password."""
    lines = _lines(data)
    written = re.search(rf"> {re.escape(path)}$", lines, re.MULTILINE)
    return written is not None and ci.REGISTRY_PASSWORD in lines[: written.start()]


def _variables(data: dict[str, Any], user: str, password: str) -> bool:
    variables = data.get("variables") or {}
    return (variables.get(user), variables.get(password)) == (
        ci.REGISTRY_USER,
        ci.REGISTRY_PASSWORD,
    )


# Each claim a hint may make, and how to tell from the block's compiled job that it is true.
CLAIMS: list[tuple[str, Callable[..., bool]]] = [
    (r"logs in with the registry password on stdin", _stdin),
    (r"writes the registry credentials to (\S+)", _config_file),
    (r"passes the registry credentials in the variables (\w+) and (\w+)", _variables),
    (r"pins its images?", lambda data: all(map(_is_pinned, _images(data)))),
]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_hint_names_the_block_that_writes_such_a_job(case: Case) -> None:
    """The hint names the command the job runs and the block that does it."""
    text = _hint(case)
    assert text.startswith(f"This job runs `{case.command}` by hand")
    assert f"; {case.block} writes such a job" in text


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_every_claim_of_the_hint_is_true_of_the_block(case: Case) -> None:
    """Each claim the hint makes is one the block's compiled job bears out, and nothing else
    is claimed."""
    data = compile_job(case.make().job())
    text = _hint(case)
    claims = text.partition(f"{case.block} writes such a job")[2].partition(" (gitlabci-dsl's")[0]
    rest = claims.removeprefix(": it ")
    for pattern, holds in CLAIMS:
        for found in re.finditer(pattern, rest):
            assert holds(data, *found.groups()), f"{case.block}: {found.group()!r} is false"
        rest = re.sub(pattern, "", rest)
    assert re.fullmatch(r"(, | and )*", rest), f"claims no test checks: {rest!r}"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_stdin_and_pinning_are_claimed_exactly_when_true(case: Case) -> None:
    """The hint speaks of a password on stdin exactly when the block's job passes one there,
    and of a pinned image only when every image of that job is pinned."""
    data = compile_job(case.make().job())
    text = _hint(case)
    assert ("stdin" in text) == _stdin(data)
    if "pin" in text:
        assert all(map(_is_pinned, _images(data)))


def test_every_hinted_command_has_a_case() -> None:
    """The cases above cover each command and block the hint table knows."""
    table = {(h.command, h.block) for h in blocks._HINTS}
    covered = {(case.command, case.block.partition("(")[0]) for case in CASES}
    assert table == covered


def test_a_push_without_a_build_is_a_copy() -> None:
    """docker pull, tag and push copy an image: Mirror's job, not DockerBuild's."""
    text = _hint(CASES[2])
    assert 'Mirror(tool="docker")' in text
    assert "DockerBuild" not in text


def test_a_job_without_such_a_command_gets_no_hint() -> None:
    """A job that runs none of the commands gets no comment."""
    assert blocks.hint(Job("job", script=["make", "docker images"])) is None


def test_import_writes_the_hint_above_the_job(project: Path) -> None:
    """`gitlabci-dsl import` writes each job's hint above it: a mirror job names Mirror, a
    scan names TrivyScan without claiming a login on stdin."""
    (project / "ci.yml").write_text(
        "mirror:\n  image: docker:latest\n  services: [docker:dind]\n  script:\n"
        '    - docker pull "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA"\n'
        '    - docker tag "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA" "$MIRROR/app:$CI_COMMIT_SHA"\n'
        '    - docker push "$MIRROR/app:$CI_COMMIT_SHA"\n'
        "scan:\n  image: aquasec/trivy:latest\n"
        '  script: [trivy image --exit-code 1 "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA"]\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["import", "ci.yml", "-o", "pipelines/main.py"])
    assert result.exit_code == 0, result.output
    module = (project / "pipelines/main.py").read_text(encoding="utf-8")
    comments = re.findall(r"((?:^# .*\n)+)(\w+) = Job\(", module, re.MULTILINE)
    hints = {var: _text(comment.rstrip("\n")) for comment, var in comments}
    assert 'Mirror(tool="docker") writes such a job' in hints["mirror"]
    assert "DockerBuild" not in hints["mirror"]
    assert "TrivyScan writes such a job" in hints["scan"]
    assert "stdin" not in hints["scan"]
