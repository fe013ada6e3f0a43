"""``gitlabci-dsl init``: the files a new project starts from.

A pipeline that builds the image, scans it and deploys only a clean one; a test that snapshots
its YAML and checks it lints clean; a pre-commit hook that regenerates the YAML; the
``[tool.gitlabci-dsl]`` table of pyproject.toml, which marks the project's root. Nothing that
exists is overwritten: the table is appended to an existing pyproject.toml that lacks one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

__all__ = [
    "COMPONENTS",
    "COMPONENT_PIPELINE",
    "COMPONENT_TEST",
    "PIPELINE",
    "PRE_COMMIT",
    "PRE_COMMIT_ENTRY",
    "TEST",
    "Plan",
    "plan",
]

PIPELINE = '''\
"""This project's GitLab CI pipeline: build the image, scan it, deploy only a clean one.

"gitlabci-dsl compile" writes .gitlab-ci.yml from this module; the pre-commit hook does it on
every commit.
"""

from gitlabci_dsl import DockerBuild, Job, Pipeline, Stage, TrivyScan, Workflow, runs_on

build, scan, deploy = Stage("build"), Stage("scan"), Stage("deploy")

# docker build and push with BuildKit, the registry password on stdin, tags: the commit SHA,
# the branch, latest on the default branch, the version on tags. In branch, tag and merge
# request pipelines; never in schedules.
image = DockerBuild(stage=build)
build_job = image.job()

# Fails on CRITICAL or HIGH findings, so the deploy that needs it does not run.
scan_job = TrivyScan(image=image.image_ref, stage=scan, needs=[build_job]).job()

deploy_job = Job(
    "deploy",
    stage=deploy,
    image="alpine:3.20",
    needs=[build_job, scan_job],
    rules=runs_on("default_branch"),
    environment="production",
    # Replace with your deployment; the image to deploy is the one scanned:
    script=[f'echo "deploy {image.image_ref}"'],
)

pipeline = Pipeline(
    # Branch, tag and merge request pipelines, one per push: a branch with an open merge
    # request runs the merge request's pipeline only.
    workflow=Workflow.merge_request_pipelines(),
    stages=[build, scan, deploy],
    jobs=[build_job, scan_job, deploy_job],
)
'''

TEST = '''\
"""The generated CI YAML, byte for byte: after a change, run "pytest --snapshot-update" and
review the diff of tests/__snapshots__/."""

from collections.abc import Callable

from gitlabci_dsl.pytest_plugin import assert_clean
from syrupy.assertion import SnapshotAssertion


def test_main_pipeline(
    gitlabci_compile: Callable[[str], str], gitlabci_snapshot: SnapshotAssertion
) -> None:
    assert gitlabci_compile("pipelines/main.py") == gitlabci_snapshot


def test_main_pipeline_is_clean() -> None:
    assert_clean("pipelines/main.py")
'''

COMPONENTS = '''\
"""This project's CI/CD components: "gitlabci-dsl compile" writes each to templates/NAME.yml,
where GitLab's catalog reads it, and lists their inputs in README.md."""

from gitlabci_dsl import Job, Pipeline, Service, component


@component
def docker_build(
    stage: str = "build",
    image: str = "$CI_REGISTRY_IMAGE",
    dockerfile: str = "Dockerfile",
    push: bool = True,
) -> Pipeline:
    """Build an image with Docker and push it to the project's container registry.

    Args:
        stage: The stage the build job runs in.
        image: The image to build, without a tag; tagged with the commit SHA.
        dockerfile: The Dockerfile, relative to the project root.
        push: Push the image after the build.
    """
    tag = f"{image}:$CI_COMMIT_SHA"
    return Pipeline(
        jobs=[
            Job(
                "docker-build",
                stage=stage,
                image="docker:27.3.1",
                services=[Service("docker:27.3.1-dind", alias="docker")],
                variables={"DOCKER_TLS_CERTDIR": "/certs", "PUSH": push},
                script=[
                    'echo "$CI_REGISTRY_PASSWORD" | docker login -u "$CI_REGISTRY_USER" '
                    '--password-stdin "$CI_REGISTRY"',
                    f'docker build -f "{dockerfile}" -t "{tag}" .',
                    f'if [ "$PUSH" = "true" ]; then docker push "{tag}"; fi',
                ],
            )
        ]
    )


components = [docker_build]
'''

COMPONENT_PIPELINE = '''\
"""The component project's own pipeline: it includes each component from this project at this
commit to test it, and on a tag publishes a release, which the CI/CD catalog lists."""

from components import docker_build

from gitlabci_dsl import Job, Pipeline, Release, Rule, Stage, ci

build, release = Stage("build"), Stage("release")

create_release = Job(
    "create-release",
    stage=release,
    image="registry.gitlab.com/gitlab-org/release-cli:v0.20.0",
    rules=[Rule(if_=ci.COMMIT_TAG)],
    script=['echo "Releasing $CI_COMMIT_TAG"'],
    release=Release(tag_name=ci.COMMIT_TAG, description="Release $CI_COMMIT_TAG"),
)

pipeline = Pipeline(
    # $CI_SERVER_FQDN/$CI_PROJECT_PATH/docker-build@$CI_COMMIT_SHA, inputs checked against it.
    include=[docker_build.include(inputs={"stage": "build", "push": False})],
    stages=[build, release],
    jobs=[create_release],
)
'''

COMPONENT_TEST = (
    TEST
    + """

def test_component(
    gitlabci_compile: Callable[[str], str], gitlabci_snapshot: SnapshotAssertion
) -> None:
    assert gitlabci_compile("pipelines/components.py") == gitlabci_snapshot
"""
)

PRE_COMMIT_ENTRY = """\
  - repo: local
    hooks:
      - id: gitlabci-dsl-compile
        name: gitlabci-dsl compile
        entry: gitlabci-dsl compile --fail-on-write
        language: system
        pass_filenames: false
        files: ^(pipelines/.*\\.py|pyproject\\.toml)$
"""

PRE_COMMIT = f"repos:\n{PRE_COMMIT_ENTRY}"


class Plan(NamedTuple):
    """What ``init`` writes, what it leaves alone, and why it refuses (if it does)."""

    write: dict[Path, str]
    kept: list[Path]
    refusal: str | None


def plan(root: Path, pipelines: str, *, component: bool = False) -> Plan:
    """The files to write under ``root`` (``pipelines``: the configured folder); with
    ``component``, a CI/CD component project's."""
    from .emitter import REGENERATE
    from .project import MAIN_OUTPUT, display_path

    files = {
        root / pipelines / "main.py": COMPONENT_PIPELINE if component else PIPELINE,
        root / "tests" / "test_pipelines.py": COMPONENT_TEST if component else TEST,
        root / ".pre-commit-config.yaml": PRE_COMMIT,
    }
    if component:
        files[root / pipelines / "components.py"] = COMPONENTS
    existing = [path for path in files if path.exists()]
    needed = [p for p in existing if p.name != ".pre-commit-config.yaml"]
    if needed:
        names = ", ".join(display_path(p, root) for p in needed)
        return Plan({}, [], f"{names} already exist(s); init never overwrites a file")
    ci_file = root / MAIN_OUTPUT
    if ci_file.is_file():
        first = ci_file.read_text(encoding="utf-8").partition("\n")[0]
        if REGENERATE not in first:
            return Plan(
                {},
                [],
                f"{MAIN_OUTPUT} exists and was not generated by gitlabci-dsl: start from it "
                f"with 'gitlabci-dsl import {MAIN_OUTPUT} -o {pipelines}/main.py' instead",
            )
    write = {path: text for path, text in files.items() if path not in existing}
    pyproject = root / "pyproject.toml"
    configured = _configured(pyproject, pipelines)
    if configured is not None:
        write[pyproject] = configured
    return Plan(write, existing, None)


def _configured(pyproject: Path, pipelines: str) -> str | None:
    """pyproject.toml with a ``[tool.gitlabci-dsl]`` table added (appended to the file as it
    is, nothing else touched), or None when it has one: it marks the project's root, so that
    every command finds the project from any of its folders."""
    from .project import load_config

    table = (
        "[tool.gitlabci-dsl]\n"
        "# pipelines/main.py -> .gitlab-ci.yml, pipelines/NAME.py -> .gitlab/ci/NAME.yml\n"
        f"pipelines = {json.dumps(pipelines)}\n"
    )
    if not pyproject.is_file():
        return table
    text = pyproject.read_text(encoding="utf-8")
    if _has_table(text):
        return None
    load_config(pyproject.parent)  # refuses a pyproject.toml that is not valid TOML
    return text + ("" if text.endswith("\n") or not text else "\n") + "\n" + table


def _has_table(text: str) -> bool:
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return False
    tool = data.get("tool")
    return isinstance(tool, dict) and "gitlabci-dsl" in tool
