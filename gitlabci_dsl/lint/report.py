"""Findings as text: for people, as JSON, as GitLab's Code Quality report, or as SARIF 2.1.0
(the format GitHub code scanning and other security dashboards read)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any

from .baseline import fingerprints
from .findings import CWE, RISKS, RULES, Finding, Rule

if TYPE_CHECKING:
    from . import Suppressed

__all__ = ["FORMATS", "render"]

FORMATS = ("human", "json", "codequality", "sarif")
"""The output formats of ``gitlabci-dsl lint``."""

# GitLab's Code Quality severities: info, minor, major, critical, blocker.
_CODEQUALITY = {"error": "major", "warning": "minor", "info": "info"}
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
# GitHub's `security-severity` (a CVSS-like score) for the rules that are weaknesses.
_SECURITY_SEVERITY = {"error": "8.0", "warning": "5.0", "info": "2.0"}
_SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
_SHELLCHECK_WIKI = "https://www.shellcheck.net/wiki/"


def render(
    findings: Sequence[Finding],
    output_format: str,
    files: int,
    *,
    texts: Mapping[str, str] | None = None,
    suppressed: Sequence[Suppressed] = (),
    known: int = 0,
) -> str:
    """``findings`` in ``output_format`` (one of :data:`FORMATS`); ``texts``: each file's
    text by name (fingerprints read the lines); ``suppressed``: findings comments silenced
    (SARIF lists them as suppressed); ``known``: how many findings a baseline left out."""
    texts = texts or {}
    if output_format == "json":
        return json.dumps([_as_dict(f) for f in findings], indent=2) + "\n"
    if output_format == "codequality":
        prints = fingerprints(findings, texts)
        report = [_codequality(f, p) for f, p in zip(findings, prints, strict=True)]
        return json.dumps(report, indent=2) + "\n"
    if output_format == "sarif":
        return json.dumps(_sarif(findings, texts, suppressed), indent=2, ensure_ascii=False) + "\n"
    lines = [f.human() for f in findings]
    counts = {s: sum(1 for f in findings if f.severity == s) for s in ("error", "warning", "info")}
    summary = (
        f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info "
        f"in {files} file(s)"
    )
    if known:
        summary += f"; {known} finding(s) the baseline lists not shown"
    lines.append(summary)
    return "\n".join(lines) + "\n"


def _as_dict(finding: Finding) -> dict[str, object]:
    rule = RULES[finding.rule]
    fields = {k: v for k, v in finding._asdict().items() if k != "code" or v is not None}
    return {**fields, "why": rule.why, "fix": rule.fix}


def _codequality(finding: Finding, fingerprint: str) -> dict[str, object]:
    job = f"job {finding.job!r}: " if finding.job else ""
    return {
        "description": f"{job}{finding.message} ({RULES[finding.rule].fix})",
        "check_name": finding.rule,
        "fingerprint": fingerprint,
        "severity": _CODEQUALITY[finding.severity],
        "location": {"path": finding.file, "lines": {"begin": finding.line or 1}},
    }


def _sarif(
    findings: Sequence[Finding], texts: Mapping[str, str], suppressed: Sequence[Suppressed]
) -> dict[str, Any]:
    """One SARIF run: every rule as a reporting descriptor, every finding as a result (those
    silenced in the source with ``suppressions`` and the comment's reason)."""
    every = [*findings, *(s.finding for s in suppressed)]
    reasons: list[str | None] = [None] * len(findings) + [s.reason for s in suppressed]
    descriptors = [_descriptor(rule) for rule in RULES.values()]
    index = {rule.id: i for i, rule in enumerate(RULES.values())}
    for code in sorted({f.code for f in every if f.code is not None}):
        index[code] = len(descriptors)
        descriptors.append(_checker_descriptor(code))
    results = []
    for finding, fingerprint, reason in zip(
        every, fingerprints(every, texts), reasons, strict=True
    ):
        rule_id = finding.code or finding.rule
        result: dict[str, Any] = {
            "ruleId": rule_id,
            "ruleIndex": index[rule_id],
            "level": _SARIF_LEVEL[finding.severity],
            "message": {
                "text": f"job '{finding.job}': {finding.message}"
                if finding.job
                else finding.message
            },
            "locations": [_location(finding)],
            "partialFingerprints": {"gitlabciDsl/v1": fingerprint},
        }
        if reason is not None:
            suppression: dict[str, str] = {"kind": "inSource"}
            if reason:
                suppression["justification"] = reason
            result["suppressions"] = [suppression]
        results.append(result)
    from .. import __version__

    driver = {
        "name": "gitlabci-dsl",
        "version": __version__,
        "semanticVersion": __version__,
        "rules": descriptors,
    }
    return {
        "$schema": _SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def _descriptor(rule: Rule) -> dict[str, Any]:
    tags = ["security"] if rule.cwe or rule.risk else ["correctness"]
    properties: dict[str, Any] = {"tags": tags}
    if rule.cwe:
        tags.append(f"external/cwe/cwe-{rule.cwe}")
    if rule.risk:
        tags.append(f"external/owasp-cicd/{rule.risk.lower()}")
    if rule.cwe or rule.risk:
        properties["security-severity"] = _SECURITY_SEVERITY[rule.severity]
    help_text = rule.fix
    if rule.cwe:
        help_text += f"\n\nCWE-{rule.cwe}: {CWE[rule.cwe]}."
    if rule.risk:
        help_text += f"\nOWASP Top 10 CI/CD Security Risks, {rule.risk}: {RISKS[rule.risk]}."
    return {
        "id": rule.id,
        "name": "".join(part.capitalize() for part in rule.id.split("-")),
        "shortDescription": {"text": rule.why.split(". ")[0].rstrip(".") + "."},
        "fullDescription": {"text": rule.why},
        "help": {"text": help_text},
        "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
        "properties": properties,
    }


def _checker_descriptor(code: str) -> dict[str, Any]:
    """A ShellCheck code as a rule of its own, so dashboards group its findings."""
    return {
        "id": code,
        "name": f"ShellCheck{code}",
        "shortDescription": {"text": f"ShellCheck {code}."},
        "helpUri": _SHELLCHECK_WIKI + code,
        "help": {"text": f"See {_SHELLCHECK_WIKI}{code}."},
        "defaultConfiguration": {"level": "warning"},
        "properties": {"tags": ["correctness", "shellcheck"]},
    }


def _location(finding: Finding) -> dict[str, Any]:
    """A relative path is relative to the project's root (``%SRCROOT%``); an absolute one is
    a ``file:`` URI."""
    path = finding.file.replace("\\", "/")
    artifact: dict[str, str]
    if PurePosixPath(path).is_absolute() or PureWindowsPath(finding.file).is_absolute():
        artifact = {
            "uri": PurePosixPath(path).as_uri()
            if path.startswith("/")
            else PureWindowsPath(finding.file).as_uri()
        }
    else:
        artifact = {"uri": _escape(path), "uriBaseId": "%SRCROOT%"}
    region = {"startLine": finding.line or 1}
    if finding.column is not None:
        region["startColumn"] = finding.column
    return {"physicalLocation": {"artifactLocation": artifact, "region": region}}


def _escape(path: str) -> str:
    """A relative path as a URI reference: each segment percent-encoded."""
    from urllib.parse import quote

    return "/".join(quote(segment, safe="") for segment in path.split("/"))
