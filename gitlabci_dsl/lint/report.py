"""Findings as text: for people, as JSON, or as GitLab's Code Quality report."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from .findings import RULES, Finding

__all__ = ["render"]

# GitLab's Code Quality severities: info, minor, major, critical, blocker.
_CODEQUALITY = {"error": "major", "warning": "minor", "info": "info"}


def render(findings: Sequence[Finding], output_format: str, files: int) -> str:
    """``findings`` in ``output_format`` (human, json or codequality)."""
    if output_format == "json":
        return json.dumps([_as_dict(f) for f in findings], indent=2) + "\n"
    if output_format == "codequality":
        return json.dumps([_codequality(f) for f in findings], indent=2) + "\n"
    lines = [f.human() for f in findings]
    counts = {s: sum(1 for f in findings if f.severity == s) for s in ("error", "warning", "info")}
    lines.append(
        f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info "
        f"in {files} file(s)"
    )
    return "\n".join(lines) + "\n"


def _as_dict(finding: Finding) -> dict[str, object]:
    rule = RULES[finding.rule]
    return {**finding._asdict(), "why": rule.why, "fix": rule.fix}


def _codequality(finding: Finding) -> dict[str, object]:
    job = f"job {finding.job!r}: " if finding.job else ""
    identity = "\0".join(
        [finding.rule, finding.file, finding.job or "", finding.message, str(finding.line or 0)]
    )
    return {
        "description": f"{job}{finding.message} ({RULES[finding.rule].fix})",
        "check_name": finding.rule,
        "fingerprint": hashlib.sha256(identity.encode()).hexdigest(),
        "severity": _CODEQUALITY[finding.severity],
        "location": {"path": finding.file, "lines": {"begin": finding.line or 1}},
    }
