"""The checks GitLab runs beyond its schema, at their YAML positions.

The checks themselves are GitLab's core (:mod:`gitlabci_dsl.gitlab.checks`), shared with
``compile``; this module turns each problem's key path into a line and column of the file, and
adds the security and practice rules (:mod:`.practice`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..gitlab import checks
from ..gitlab.facts import GLOBAL_KEYS
from ..gitlab.reader import Document
from .findings import RULES, Finding

__all__ = ["check"]


class _Context:
    def __init__(self, file: str, document: Document) -> None:
        self.file = file
        self.positions = document.positions
        self.findings: list[Finding] = []

    def add(
        self, rule: str, message: str, job: str | None, *path: str | int, line_offset: int = 0
    ) -> None:
        """Report at ``path`` (or its nearest ancestor with a position), ``line_offset`` lines
        below it: the line of a multi-line script item."""
        line = column = None
        for depth in range(len(path), 0, -1):
            found = self.positions.get(path[:depth])
            if found is not None:
                line, column = found
                break
        if line is not None and line_offset:
            line, column = line + line_offset, None
        self.findings.append(
            Finding(rule, RULES[rule].severity, message, self.file, job, line, column)
        )


def check(
    file: str,
    document: Document,
    root: Path | None,
    *,
    practice: bool = True,
    pending: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Findings for the pipeline ``document`` of ``file``; local includes are read from
    ``root`` (or ``pending``, files about to be written); ``practice=False`` leaves out the
    security and practice rules."""
    ctx = _Context(file, document)
    if not isinstance(document.data, dict):
        return []
    checks.check(document.data, ctx.add, root, pending=pending)
    if practice:
        from . import practice as rules

        rules.check(document, ctx.add, GLOBAL_KEYS)
    return ctx.findings
