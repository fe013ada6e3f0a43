"""ShellCheck inside lint: the effective scripts, the shell of the image, one finding per
YAML position, positions inside every kind of scalar, one batch of processes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gitlabci_dsl.cli import app
from gitlabci_dsl.gitlab.reader import load
from gitlabci_dsl.gitlab.scripts import job_scripts, shell_of
from gitlabci_dsl.lint import Finding, lint_texts
from gitlabci_dsl.lint.shell import ShellCheck


def checked(texts: dict[str, str], **options: object) -> list[Finding]:
    """The ShellCheck findings of ``texts`` linted together."""
    found = lint_texts(texts, scripts=ShellCheck(), **options).findings  # type: ignore[arg-type]
    return [f for f in found if f.rule == "shellcheck"]


def at(found: list[Finding], code: str) -> list[tuple[int | None, int | None]]:
    return [(f.line, f.column) for f in found if f.code == code]


def column_of(text: str, line: int, needle: str, nth: int = 0) -> tuple[int, int]:
    """The 1-based line and column of the ``nth`` ``needle`` on ``line``: expected positions
    are found in the text, never counted by hand."""
    row = text.splitlines()[line - 1]
    index = -1
    for _ in range(nth + 1):
        index = row.index(needle, index + 1)
    return line, index + 1


def test_positions_in_every_kind_of_scalar() -> None:
    """A finding points at the expansion in a plain item, a literal and a folded block, a
    double-quoted item, a multi-line plain item and a key's own string."""
    text = (
        "job:\n"
        "  image: debian:12\n"
        "  before_script:\n"
        "    - echo $plain\n"  # 4
        "    - |\n"
        "      if true; then\n"
        "        echo $literal\n"  # 7
        "      fi\n"
        "    - >\n"
        "      echo\n"
        "      $folded\n"  # 11
        '    - "echo \\"x\\" $quoted"\n'  # 12
        "    - echo a\n"
        "      $multi\n"  # 14
        "  script: echo $own\n"  # 15
    )
    found = at(checked({"ci.yml": text}), "SC2154")
    assert found == [
        column_of(text, 4, "$plain"),
        column_of(text, 7, "$literal"),
        column_of(text, 11, "$folded"),
        column_of(text, 12, "$quoted"),
        column_of(text, 14, "$multi"),
        column_of(text, 15, "$own"),
    ]


def test_a_template_used_by_many_jobs_gives_one_finding_at_its_line() -> None:
    """extends, default: and !reference are applied; a line forty jobs run is reported
    once, at the line that wrote it, for the template that wrote it."""
    jobs = "".join(f"job{i}:\n  extends: .base\n" for i in range(40))
    text = (
        "default:\n  before_script:\n    - echo $from_default\n"
        ".snippets:\n  setup:\n    - echo $from_reference\n"
        ".base:\n  script:\n    - !reference [.snippets, setup]\n    - echo $from_template\n" + jobs
    )
    found = checked({"ci.yml": text})
    unassigned = [(f.line, f.job) for f in found if f.code == "SC2154"]
    assert unassigned == [(3, None), (6, ".snippets"), (10, ".base")]


def test_anchors_are_reported_where_they_are_written() -> None:
    """A list written under an anchor and used by alias is reported at the anchor."""
    text = ".steps: &steps\n  - echo $anchored\na:\n  script: *steps\nb:\n  script: *steps\n"
    assert at(checked({"ci.yml": text}), "SC2154") == [column_of(text, 2, "$anchored")]


def test_before_script_and_script_run_in_one_shell_after_script_in_another() -> None:
    """A variable set in before_script is known in script; after_script starts afresh."""
    text = (
        "job:\n"
        "  before_script:\n    - tag=$(date +%s)\n"
        '  script:\n    - echo "$tag"\n'
        '  after_script:\n    - echo "$tag"\n'
        '  hooks:\n    pre_get_sources_script:\n      - echo "$hook"\n'
    )
    found = checked({"ci.yml": text})
    assert [(f.line, f.code) for f in found] == [(7, "SC2154"), (10, "SC2154")]


def test_the_shell_follows_the_image() -> None:
    """Bash arrays are fine on Debian, wrong in Alpine's, BusyBox's and docker's sh; a
    Windows job is not checked."""
    script = '  script:\n    - a=(1 2); echo "${a[@]}"\n'
    for image, codes in [
        ("debian:12", set()),
        ("alpine:3.20", {"SC3030"}),
        ("docker:27.3.1", {"SC3030"}),
        ("python:3.12-alpine", {"SC3030"}),
        ("mcr.microsoft.com/windows/servercore:ltsc2022", set()),
    ]:
        found = checked({"ci.yml": f"job:\n  image: {image}\n{script}"})
        assert {f.code for f in found} >= codes, image
        assert not codes or found, image
        if not codes:
            assert found == [], image
    windows = f"job:\n  tags: [saas-windows-medium-amd64]\n{script.replace('(1 2)', '@(1)')}"
    assert checked({"ci.yml": windows}) == []


@pytest.mark.parametrize(
    ("image", "shell"),
    [
        ("alpine:3.20", "busybox"),
        ("docker:27.3.1-dind", "busybox"),
        ("busybox@sha256:" + "0" * 64, "busybox"),
        ("gcr.io/kaniko-project/executor:v1.23.2-debug", "busybox"),
        ("alpine/git:2.45.2", "busybox"),
        ("node:22-alpine3.20", "busybox"),
        ("registry.example.com:5000/alpine-tools:1", "bash"),
        ("ubuntu:24.04", "bash"),
        ("$CI_REGISTRY_IMAGE:latest", "bash"),
        (None, "bash"),
        ({"name": "alpine:3.20", "entrypoint": [""]}, "busybox"),
        ("mcr.microsoft.com/powershell:7.4", None),
    ],
)
def test_shell_of_an_image(image: object, shell: str | None) -> None:
    """The runner's shell for an image: BusyBox's sh where the image has no bash."""
    assert shell_of(image) == shell


def test_job_variables_are_known_to_shellcheck() -> None:
    """A lowercase variable the job (or the pipeline) defines is not "unassigned"."""
    text = (
        "variables:\n  global_one: x\n"
        'job:\n  variables:\n    own: y\n  script:\n    - echo "$own $global_one $other"\n'
    )
    found = checked({"ci.yml": text})
    assert [f.message for f in found] == ["SC2154: other is referenced but not assigned."]


def test_lines_of_included_files_are_context_not_findings(tmp_path: Path) -> None:
    """A function an included file defines is known; its own lines are reported when that
    file is linted, not in the file that includes it."""
    (tmp_path / "lib.yml").write_text(
        ".lib:\n  before_script:\n    - greet() { echo $1 $unset_in_lib; }\n", encoding="utf-8"
    )
    text = "include: lib.yml\njob:\n  extends: .lib\n  script:\n    - greet world\n"
    assert checked({"ci.yml": text}, root=tmp_path) == []
    both = checked(
        {"ci.yml": text, "lib.yml": (tmp_path / "lib.yml").read_text(encoding="utf-8")},
        root=tmp_path,
    )
    assert {(f.file, f.code) for f in both} == {("lib.yml", "SC2086"), ("lib.yml", "SC2154")}


def test_a_components_inputs_are_interpolated_first() -> None:
    """ShellCheck reads a component's script with its inputs at their defaults; a line with
    an input that has none is left out."""
    text = (
        "spec:\n  inputs:\n    target:\n      default: dist\n    mandatory:\n---\n"
        "job:\n  script:\n    - cd $[[ inputs.target ]] && ls $here\n"
        "    - echo $[[ inputs.mandatory ]] $gone\n"
    )
    found = checked({"templates/c.yml": text})
    assert [(f.line, f.column, f.code) for f in found] == [
        (*column_of(text, 9, "$here"), "SC2086"),
        (*column_of(text, 9, "$here"), "SC2154"),
    ]


def test_suppression_by_code_on_the_line_and_in_the_project() -> None:
    """``# gitlabci-dsl: ignore[SC2086]`` and the ignore list take ShellCheck's codes."""
    text = 'job:\n  variables:\n    x: "1"\n  script:\n    - echo $x\n'
    assert at(checked({"ci.yml": text}), "SC2086") == [(5, 12)]
    silenced = text.replace("echo $x\n", "echo $x  # gitlabci-dsl: ignore[SC2086]\n")
    assert checked({"ci.yml": silenced}) == []
    assert checked({"ci.yml": text}, ignore=("SC2086",)) == []
    directive = text.replace("- echo $x", "- |\n      # shellcheck disable=SC2086\n      echo $x")
    assert checked({"ci.yml": directive}) == []


def test_every_file_is_checked_in_a_few_processes() -> None:
    """Scripts of many files and jobs go to at most one process per processor."""
    texts = {
        f"f{n}.yml": "".join(f"j{i}:\n  script:\n    - echo $v{n}_{i}\n" for i in range(30))
        for n in range(20)
    }
    checker = ShellCheck()
    found = [f for f in lint_texts(texts, scripts=checker).findings if f.code == "SC2154"]
    assert len(found) == 20 * 30
    assert 1 <= checker.processes <= (os.cpu_count() or 1)


def fake_shellcheck(tmp_path: Path, body: str) -> str:
    path = tmp_path / "shellcheck"
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_a_shellcheck_that_hangs_or_fails_leaves_one_info(tmp_path: Path) -> None:
    """A process past its time is stopped, and each of its files says it was not checked;
    output that is not ShellCheck's JSON says so too; lint goes on."""
    text = "job:\n  script:\n    - echo $x\n"
    slow = ShellCheck(fake_shellcheck(tmp_path, "exec sleep 30"), timeout=0.5)
    found = lint_texts({"ci.yml": text}, scripts=slow).findings
    assert [(f.rule, f.severity) for f in found] == [("shellcheck", "info")]
    assert "did not finish within 0.5 s" in found[0].message
    broken = ShellCheck(fake_shellcheck(tmp_path, "echo oops >&2; exit 4"))
    (failed,) = lint_texts({"ci.yml": text}, scripts=broken).findings
    assert "ShellCheck failed (oops)" in failed.message
    missing = ShellCheck(str(tmp_path / "absent"))
    missing.binary = None
    (absent,) = lint_texts({"ci.yml": text}, scripts=missing).findings
    assert "not installed" in absent.message


def test_hostile_scripts_stay_linear() -> None:
    """Long lines and many quotes are mapped back in one pass each."""
    line = "echo " + '"$a" ' * 20_000 + "$unquoted"
    text = f"job:\n  variables:\n    a: x\n  script:\n    - '{line}'\n"
    found = checked({"ci.yml": text})
    assert at(found, "SC2154") == [column_of(text, 5, "$unquoted")]


def test_job_scripts_are_the_strings_of_the_configuration() -> None:
    """The core gives the very string objects of the configuration, flattened."""
    data = load("a:\n  before_script: [x]\n  script:\n    - [y, z]\n")[0].data
    (script,) = job_scripts(data)
    assert script.lines == ("x", "y", "z")
    assert script.lines[0] is data["a"]["before_script"][0]


def test_cli_runs_shellcheck_unless_told_not_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """lint reports ShellCheck's findings; --no-shellcheck leaves them out."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".gitlab-ci.yml").write_text("job:\n  script:\n    - echo $x\n", encoding="utf-8")
    shown = CliRunner().invoke(app, ["lint"])
    assert "SC2154" in shown.stdout
    assert shown.exit_code == 0  # ShellCheck's findings are warnings at most
    assert CliRunner().invoke(app, ["lint", "--strict"]).exit_code == 1
    quiet = CliRunner().invoke(app, ["lint", "--no-shellcheck"])
    assert "SC2154" not in quiet.stdout


def test_scripts_past_the_size_cap_are_left_unchecked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file whose jobs' scripts multiply past the cap says so once; the jobs before it are
    checked."""
    from gitlabci_dsl.lint import shell

    monkeypatch.setattr(shell, "MAX_SCRIPT_BYTES_PER_FILE", 40)
    text = "".join(f"j{i}:\n  script:\n    - echo $v{i}\n" for i in range(10))
    found = checked({"ci.yml": text})
    infos = [f for f in found if f.severity == "info" and f.code is None]
    assert len(infos) == 1
    assert "not checked" in infos[0].message
    fitting = 40 // len("echo $v0\n")  # each job's script, with its line break
    assert {f.job for f in found if f.code == "SC2154"} == {f"j{i}" for i in range(fitting)}
