"""Findings of a pipeline module at the Python line that wrote the script line: lint of
``pipelines/x.py`` and compile's refusals name ``file.py:line``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from gitlabci_dsl import Job
from gitlabci_dsl.cli import app
from gitlabci_dsl.model.base import record_sites

MODULE = """\
from gitlabci_dsl import Job, Pipeline, Stage

from pipelines._shared import smoke_job

build = Stage("build")
SETUP = ["echo $setup_dir"]

pipeline = Pipeline(
    stages=[build],
    jobs=[
        Job(
            "compile",
            stage=build,
            image="debian:12.7",
            script=[
                "make all",
                "cp out/* $dest",
            ],
        ),
        Job("prepare", stage=build, image="debian:12.7", script=SETUP),
        smoke_job(build),
        Job(
            "quiet",
            stage=build,
            image="debian:12.7",
            script=["rm $target"],  # gitlabci-dsl: ignore[SC2086,SC2154] -- set by the runner
        ),
    ],
)
"""

SHARED = """\
from gitlabci_dsl import Job


def smoke_job(stage):
    command = "curl --fail " + "$" + "url"
    return Job("smoke", stage=stage, image="debian:12.7", script=[command])
"""


def line_of(text: str, needle: str) -> int:
    """The 1-based line of ``needle`` in ``text``: expected lines are found, never counted."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def write_project(project: Path) -> None:
    (project / "pipelines" / "main.py").write_text(MODULE, encoding="utf-8")
    (project / "pipelines" / "_shared.py").write_text(SHARED, encoding="utf-8")
    (project / "pipelines" / "__init__.py").write_text("", encoding="utf-8")


def test_lint_of_a_module_names_the_python_line_of_each_script_line(project: Path) -> None:
    """A literal in the Job call, a list defined elsewhere in the module, and a job a
    helper builds: each finding is at the Python line, the YAML position in the message."""
    write_project(project)
    result = CliRunner().invoke(app, ["lint", "pipelines/main.py", "--format", "json"])
    found = [(f["file"], f["line"], f["job"], f["code"]) for f in json.loads(result.stdout)]
    assert sorted(found) == [
        ("pipelines/_shared.py", line_of(SHARED, "Job("), "smoke", "SC2086"),
        ("pipelines/_shared.py", line_of(SHARED, "Job("), "smoke", "SC2154"),
        ("pipelines/main.py", line_of(MODULE, "SETUP = "), "prepare", "SC2086"),
        ("pipelines/main.py", line_of(MODULE, "SETUP = "), "prepare", "SC2154"),
        ("pipelines/main.py", line_of(MODULE, "$dest"), "compile", "SC2086"),
        ("pipelines/main.py", line_of(MODULE, "$dest"), "compile", "SC2154"),
    ]
    messages = [f["message"] for f in json.loads(result.stdout)]
    assert all("(generated .gitlab-ci.yml:" in m for m in messages)


def test_a_comment_on_the_python_line_silences_with_its_reason(project: Path) -> None:
    """`# gitlabci-dsl: ignore[...] -- why` on the module's line silences the findings placed
    there; SARIF keeps them as suppressed, with the reason."""
    write_project(project)
    result = CliRunner().invoke(app, ["lint", "pipelines/main.py", "--format", "sarif"])
    results = json.loads(result.stdout)["runs"][0]["results"]
    silenced = [r for r in results if "suppressions" in r]
    assert {r["ruleId"] for r in silenced} == {"SC2086", "SC2154"}
    assert {r["suppressions"][0]["justification"] for r in silenced} == {"set by the runner"}
    region = silenced[0]["locations"][0]["physicalLocation"]
    assert region["artifactLocation"]["uri"] == "pipelines/main.py"
    assert region["region"]["startLine"] == line_of(MODULE, "$target")


def test_compile_names_the_module_line_of_a_job_gitlab_refuses(project: Path) -> None:
    """A job GitLab would refuse is reported at the module's line that wrote the value."""
    module = MODULE.replace(
        '"make all",',
        '"make all",\n            ],\n            extra={"needs": ["nope"]},\n            after_script=[',
    )
    (project / "pipelines" / "main.py").write_text(module, encoding="utf-8")
    (project / "pipelines" / "_shared.py").write_text(SHARED, encoding="utf-8")
    (project / "pipelines" / "__init__.py").write_text("", encoding="utf-8")
    result = CliRunner().invoke(app, ["compile"])
    assert result.exit_code == 1
    expected = f"pipelines/main.py:{line_of(module, 'nope')}: GitLab would refuse .gitlab-ci.yml:"
    assert expected in result.stderr
    assert not (project / ".gitlab-ci.yml").exists()


def test_sites_are_recorded_only_while_a_module_runs() -> None:
    """Outside record_sites a job keeps no site; inside, the line of the call that built it."""
    with record_sites() as sites:
        job = Job("a", script=["x"])
    assert sites[id(job)] == (job, __file__, line_of(Path(__file__).read_text(), 'Job("a"'))
    Job("b", script=["x"])
    assert len(sites) == 1
