"""lint's reports: SARIF 2.1.0 as code scanning reads it, fingerprints that survive edits,
baselines that show only new findings, and suppression comments with their reasons."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gitlabci_dsl.cli import app
from gitlabci_dsl.lint import RULES, lint_texts
from gitlabci_dsl.lint.baseline import fingerprints, known
from gitlabci_dsl.lint.report import render
from gitlabci_dsl.lint.shell import ShellCheck

PIPELINE = (
    "build:\n"
    "  image: alpine:latest\n"
    "  script:\n"
    "    - echo $CI_COMMIT_TITLE\n"
    "    - docker login -p $PASSWORD registry  # gitlabci-dsl: ignore[secret-on-command-line] -- test registry\n"
    "deploy:\n"
    "  script: [x]\n"
    "  needs: [nothing]\n"
)


def lint(args: list[str]) -> Any:
    return CliRunner().invoke(app, ["lint", *args])


def sarif_of(project: Path, text: str = PIPELINE) -> dict[str, Any]:
    (project / "ci.yml").write_text(text, encoding="utf-8")
    result = lint(["ci.yml", "--format", "sarif"])
    assert result.exit_code == 1, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_sarif_is_one_run_of_every_rule_and_every_finding(project: Path) -> None:
    """Version 2.1.0 with its schema; every rule is a reporting descriptor and each result
    names its rule by id and index, at the finding's line and column, relative to the
    project's root."""
    document = sarif_of(project)
    assert document["version"] == "2.1.0"
    assert document["$schema"].endswith("sarif-schema-2.1.0.json")
    (run,) = document["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "gitlabci-dsl"
    ids = [rule["id"] for rule in driver["rules"]]
    assert ids[: len(RULES)] == list(RULES)
    assert len(set(ids)) == len(ids)
    findings = lint_texts({"ci.yml": PIPELINE}, scripts=ShellCheck()).findings
    results = [r for r in run["results"] if "suppressions" not in r]
    assert len(results) == len(findings)
    for result, finding in zip(results, findings, strict=True):
        assert result["ruleId"] == (finding.code or finding.rule)
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert (
            result["level"]
            == {"error": "error", "warning": "warning", "info": "note"}[finding.severity]
        )
        assert finding.message in result["message"]["text"]
        (location,) = result["locations"]
        assert location["physicalLocation"]["artifactLocation"] == {
            "uri": "ci.yml",
            "uriBaseId": "%SRCROOT%",
        }
        assert location["physicalLocation"]["region"] == {
            "startLine": finding.line,
            "startColumn": finding.column,
        }


def test_sarif_rules_carry_cwe_owasp_and_security_severity(project: Path) -> None:
    """Weaknesses are tagged `security` with their CWE and OWASP CI/CD risk and scored for
    GitHub; ShellCheck's codes are rules of their own, linked to ShellCheck's wiki."""
    rules = {rule["id"]: rule for rule in sarif_of(project)["runs"][0]["tool"]["driver"]["rules"]}
    injection = rules["script-injection"]["properties"]
    assert injection["tags"] == [
        "security",
        "external/cwe/cwe-78",
        "external/owasp-cicd/cicd-sec-4",
    ]
    assert injection["security-severity"] == "8.0"
    assert "CWE-78: Improper Neutralization" in rules["script-injection"]["help"]["text"]
    assert rules["needs-undefined"]["properties"] == {"tags": ["correctness"]}
    assert rules["SC2086"]["helpUri"] == "https://www.shellcheck.net/wiki/SC2086"
    for rule in RULES.values():
        security = "security-severity" in rules[rule.id]["properties"]
        assert security == bool(rule.cwe or rule.risk), rule.id


def test_sarif_lists_suppressed_findings_with_their_reason(project: Path) -> None:
    """A finding a comment silences is a result with an in-source suppression and the
    comment's reason; without a reason, the suppression has no justification."""
    results = sarif_of(project)["runs"][0]["results"]
    (silenced,) = [r for r in results if "suppressions" in r]
    assert silenced["ruleId"] == "secret-on-command-line"
    assert silenced["suppressions"] == [{"kind": "inSource", "justification": "test registry"}]
    bare = PIPELINE.replace(" -- test registry", "")
    (silenced,) = [r for r in sarif_of(project, bare)["runs"][0]["results"] if "suppressions" in r]
    assert silenced["suppressions"] == [{"kind": "inSource"}]


def test_sarif_is_the_same_bytes_every_time_and_escapes_paths(project: Path) -> None:
    """Output is deterministic; a path's segments are percent-encoded."""
    (project / "with space").mkdir()
    (project / "with space" / "ci.yml").write_text(PIPELINE, encoding="utf-8")
    first = lint(["with space/ci.yml", "--format", "sarif"]).stdout
    assert first == lint(["with space/ci.yml", "--format", "sarif"]).stdout
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in json.loads(first)["runs"][0]["results"]
    }
    assert uris == {"with%20space/ci.yml"}


def test_fingerprints_survive_moved_lines_and_change_with_the_line() -> None:
    """Lines added above a finding, or new indentation, keep its fingerprint; editing its
    line gives a new one; identical findings are numbered."""
    text = "a:\n  script:\n    - echo $x\n    - echo $x\n"
    before = lint_texts({"ci.yml": text}, scripts=ShellCheck()).findings
    moved = "# a comment\n\n" + text
    after = lint_texts({"ci.yml": moved}, scripts=ShellCheck()).findings
    assert [f.line for f in after] == [(f.line or 0) + 2 for f in before]
    assert fingerprints(after, {"ci.yml": moved}) == fingerprints(before, {"ci.yml": text})
    prints = fingerprints(before, {"ci.yml": text})
    assert len(set(prints)) == len(prints)
    assert {p.rsplit(":", 1)[1] for p in prints} == {"1", "2"}
    edited = text.replace("- echo $x\n    - echo", "- printf $x\n    - echo")
    changed = lint_texts({"ci.yml": edited}, scripts=ShellCheck()).findings
    assert fingerprints(changed, {"ci.yml": edited})[0] not in prints


def test_a_baseline_shows_only_new_findings(project: Path) -> None:
    """--write-baseline records every finding and exits 0; with --baseline, lint reports
    only findings the baseline does not list, however the old ones moved."""
    (project / "ci.yml").write_text(PIPELINE, encoding="utf-8")
    written = lint(["ci.yml", "--write-baseline", "baseline.json"])
    assert written.exit_code == 0
    assert "finding(s) written to baseline.json" in written.stderr
    listed = json.loads((project / "baseline.json").read_text(encoding="utf-8"))
    assert listed["format"] == "gitlabci-dsl lint baseline"
    assert {e["rule"] for e in listed["findings"]} >= {"needs-undefined", "script-injection"}
    quiet = lint(["ci.yml", "--baseline", "baseline.json", "--strict"])
    assert quiet.exit_code == 0, quiet.stdout
    assert "0 error(s), 0 warning(s), 0 info in 1 file(s);" in quiet.stdout
    assert "the baseline lists not shown" in quiet.stdout
    shifted = "stages: [test, build, deploy]\n\n" + PIPELINE.replace(
        "  image:", "  stage: build\n  image:"
    )
    (project / "ci.yml").write_text(
        shifted + "new:\n  script: [x]\n  needs: [absent]\n", encoding="utf-8"
    )
    found = lint(["ci.yml", "--baseline", "baseline.json", "--format", "json"])
    assert found.exit_code == 1
    assert [(f["rule"], f["job"]) for f in json.loads(found.stdout)] == [("needs-undefined", "new")]


def test_a_baseline_counts_identical_findings() -> None:
    """A baseline listing one finding hides one: a second identical one is new."""
    line = "    - docker login -p $PASSWORD registry\n"
    one = "a:\n  script:\n" + line
    two = one + line
    old = lint_texts({"ci.yml": one}).findings
    from collections import Counter

    baseline = Counter(fingerprints(old, {"ci.yml": one}))
    new = lint_texts({"ci.yml": two}).findings
    assert [f.rule for f in new] == ["secret-on-command-line"] * 2
    flags = known(new, {"ci.yml": two}, baseline)
    assert [f.line for f, listed in zip(new, flags, strict=True) if not listed] == [4]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not a gitlabci-dsl lint baseline"),
        ('{"format": "other", "findings": []}', "not a gitlabci-dsl lint baseline"),
        ('{"format": "gitlabci-dsl lint baseline", "version": 9, "findings": []}', "version 9"),
        ("[" * 100_000, "not a gitlabci-dsl lint baseline"),
    ],
)
def test_a_bad_baseline_is_one_clear_error(project: Path, content: str, message: str) -> None:
    """A baseline that is not one, from another version or nested past reason is refused
    with a message naming the file, never a traceback."""
    (project / "ci.yml").write_text("a:\n  script: [x]\n", encoding="utf-8")
    (project / "baseline.json").write_text(content, encoding="utf-8")
    result = lint(["ci.yml", "--baseline", "baseline.json"])
    assert result.exit_code == 1
    assert "baseline.json" in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_a_missing_baseline_is_one_clear_error(project: Path) -> None:
    """--baseline of a file that is not there names it."""
    (project / "ci.yml").write_text("a:\n  script: [x]\n", encoding="utf-8")
    result = lint(["ci.yml", "--baseline", "absent.json"])
    assert result.exit_code == 1
    assert "absent.json: cannot read the baseline" in result.stderr


def test_codequality_fingerprints_follow_the_baselines() -> None:
    """Code Quality's fingerprint is the same line-shift-proof fingerprint."""
    text = "a:\n  script: [x]\n  needs: [zz]\n"
    findings = lint_texts({"ci.yml": text}).findings
    (entry,) = json.loads(render(findings, "codequality", 1, texts={"ci.yml": text}))
    assert entry["fingerprint"] == fingerprints(findings, {"ci.yml": text})[0]
