"""Fingerprints of findings that survive edits, and baselines built from them.

A finding's fingerprint is a hash of its rule (and checker code), file, job, message and the
text of its line with the blanks at its ends dropped, numbered among the findings of the
same file that share all of these. It has no line number: a line moved up or down by an edit
above it, or indented anew, keeps its fingerprint; a changed line gets a new one. Code
Quality and SARIF reports carry it, and a baseline is a list of them: a team adopting lint
writes one (``--write-baseline``) and sees only the findings it does not list
(``--baseline``).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import GitlabCIDSLError
from .findings import Finding

__all__ = ["BaselineError", "fingerprints", "known", "read", "write"]

_FORMAT = "gitlabci-dsl lint baseline"
_VERSION = 1
_MAX_BYTES = 16 * 1024 * 1024  # a baseline of a million findings is far larger than any project's


class BaselineError(GitlabCIDSLError):
    """A baseline file that cannot be read."""


def fingerprints(findings: Sequence[Finding], texts: Mapping[str, str]) -> list[str]:
    """The fingerprint of each of ``findings`` (in order); ``texts``: each file's text, by
    the name findings give."""
    lines: dict[str, list[str]] = {}
    seen: Counter[str] = Counter()
    prints = []
    for finding in findings:
        if finding.file not in lines:
            lines[finding.file] = texts.get(finding.file, "").splitlines()
        written = lines[finding.file]
        number = finding.line
        line = written[number - 1].strip() if number and 0 < number <= len(written) else ""
        parts = [
            finding.rule,
            finding.code or "",
            finding.file,
            finding.job or "",
            finding.message,
            line,
        ]
        identity = hashlib.sha256("\0".join(parts).encode("utf-8", "replace")).hexdigest()
        seen[identity] += 1
        prints.append(f"{identity[:40]}:{seen[identity]}")
    return prints


def write(path: Path, findings: Sequence[Finding], texts: Mapping[str, str]) -> None:
    """Write the baseline of ``findings`` to ``path``: sorted, one entry per finding with the
    fields a reviewer reads, replaced at once (a temporary file renamed over it)."""
    entries = [
        {
            "fingerprint": fingerprint,
            "file": f.file,
            "rule": f.rule if f.code is None else f"{f.rule}/{f.code}",
            "job": f.job,
            "message": f.message,
        }
        for f, fingerprint in zip(findings, fingerprints(findings, texts), strict=True)
    ]
    entries.sort(key=lambda e: (str(e["file"]), str(e["rule"]), str(e["fingerprint"])))
    document = {"format": _FORMAT, "version": _VERSION, "findings": entries}
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise BaselineError(f"{path}: cannot write the baseline: {exc.strerror}") from None


def read(path: Path) -> Counter[str]:
    """The fingerprints a baseline file lists (a fingerprint listed twice counts twice)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_BYTES + 1)
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc.strerror}") from None
    if len(data) > _MAX_BYTES:
        raise BaselineError(f"{path}: a baseline over {_MAX_BYTES:,} bytes; write it anew")
    try:
        document: Any = json.loads(data)
    except (ValueError, RecursionError):
        document = None
    entries = document.get("findings") if isinstance(document, dict) else None
    if (
        not isinstance(document, dict)
        or document.get("format") != _FORMAT
        or not isinstance(entries, list)
    ):
        raise BaselineError(
            f"{path}: not a gitlabci-dsl lint baseline; write one with "
            "`gitlabci-dsl lint --write-baseline FILE`"
        )
    if document.get("version") != _VERSION:
        raise BaselineError(
            f"{path}: baseline version {document.get('version')!r}; this gitlabci-dsl reads "
            f"version {_VERSION}: write it anew with --write-baseline"
        )
    listed: Counter[str] = Counter()
    for entry in entries:
        fingerprint = entry.get("fingerprint") if isinstance(entry, dict) else None
        if isinstance(fingerprint, str):
            listed[fingerprint] += 1
    return listed


def known(
    findings: Sequence[Finding], texts: Mapping[str, str], baseline: Counter[str]
) -> list[bool]:
    """For each of ``findings``, whether the baseline lists it."""
    remaining = Counter(baseline)
    flags = []
    for fingerprint in fingerprints(findings, texts):
        listed = remaining[fingerprint] > 0
        if listed:
            remaining[fingerprint] -= 1
        flags.append(listed)
    return flags
