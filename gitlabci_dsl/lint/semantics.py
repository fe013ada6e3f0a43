"""The checks GitLab runs beyond its schema, at their YAML positions.

The checks themselves are GitLab's core (:mod:`gitlabci_dsl.gitlab.checks`), shared with
``compile``; this module turns each problem's key path into a line and column of the file, and
adds the security and practice rules (:mod:`.practice`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..gitlab import checks
from ..gitlab.checks import Report
from ..gitlab.facts import GLOBAL_KEYS, MAX_CHILD_PIPELINE_DEPTH
from ..gitlab.includes import Source
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
    child_depth: int = 0,
    source: Source | None = None,
) -> list[Finding]:
    """Findings for the pipeline ``document`` of ``file``; local includes are read from
    ``root`` (or ``pending``, files about to be written), the others from ``source``;
    ``practice=False`` leaves out the
    security and practice rules; ``child_depth``: how many levels below its parent the file
    runs as a child pipeline (0: it is no child)."""
    ctx = _Context(file, document)
    if not isinstance(document.data, dict):
        return []
    checks.check(document.data, ctx.add, root, pending=pending, source=source)
    if child_depth >= MAX_CHILD_PIPELINE_DEPTH:
        _check_too_deep(document.data, ctx.add, child_depth)
    if practice:
        from . import practice as rules

        rules.check(document, ctx.add, GLOBAL_KEYS)
        _check_pinned(document.data, ctx.add)
        _check_left_out(document.data, ctx.add, root)
        if root is not None and (root / ".git").exists():
            # Only a repository says which files exist: a folder of pipeline files from
            # elsewhere (a corpus, a download) holds none of the paths its rules name.
            _check_changes_paths(document.data, ctx.add, root)
        if child_depth:
            _check_child_rules(document.data, ctx.add)
    return ctx.findings


# The pipelines a project commonly has, as ``explain --on`` names them, and what to call them.
SOURCES: tuple[tuple[str, str], ...] = (
    ("branch:main", "default-branch"),
    ("branch:feature", "other-branch"),
    ("tag:v1.0.0", "tag"),
    ("mr", "merge request"),
    ("schedule", "scheduled"),
)


def _check_left_out(data: dict[object, object], add: Report, root: Path | None) -> None:
    """``needs-left-out``: in which of the usual pipelines a job needs one that its rules
    leave out (GitLab then refuses the pipeline), evaluated as ``explain`` does."""
    from ..evaluate.pipeline import plan_each, preset

    if "include" not in data and not any(
        isinstance(job, dict) and "needs" in job for job in data.values()
    ):
        return  # no job (or template) of the file needs another
    kinds: dict[tuple[str, int, str], list[str]] = {}
    plans = plan_each(data, [preset(on) for on, _ in SOURCES], root=root)
    for (_, label), found in zip(SOURCES, plans, strict=True):
        for refusal in found.refused:
            kinds.setdefault(refusal, []).append(label)
    for (job, position, need), labels in kinds.items():
        add(
            "needs-left-out",
            f"needs {need!r}, which is not in {_listing(labels)} pipelines (its rules leave "
            "it out), so GitLab refuses those pipelines",
            job,
            job,
            "needs",
            position,
        )


def _rules(data: dict[object, object]) -> Iterator[tuple[object, int, dict[Any, Any]]]:
    """(job or ``workflow``, index, rule) of every rule the file's own jobs list."""
    for name, job in data.items():
        rules = job.get("rules") if isinstance(job, dict) else None
        for index, rule in enumerate(rules if isinstance(rules, list) else ()):
            if isinstance(rule, dict):
                yield name, index, rule


def _check_changes_paths(data: dict[object, object], add: Report, root: Path) -> None:
    """``changes-match-nothing``: a ``rules:changes`` glob no file of the repository at
    ``root`` matches (a misspelt folder: the job never runs on a change, only where changes is
    always true)."""
    from ..gitlab.glob import exists_match
    from ..gitlab.paths import ProjectFiles

    files: ProjectFiles | None = None
    for name, index, rule in _rules(data):
        changes = rule.get("changes")
        paths = changes.get("paths") if isinstance(changes, dict) else changes
        at: tuple[str | int, ...] = ("paths",) if isinstance(changes, dict) else ()
        for number, glob in enumerate(paths if isinstance(paths, list) else ()):
            if not isinstance(glob, str) or "$" in glob:
                continue  # a variable's value is not known here
            files = files or ProjectFiles(root)
            try:
                matched = exists_match([glob], files.listing())
            except ValueError:
                continue  # a glob too large to expand: lint's other checks say so
            if not matched:
                add(
                    "changes-match-nothing",
                    f"rules:changes {glob!r} matches no file of the project",
                    None if name == "workflow" else str(name),
                    str(name),
                    "rules",
                    index,
                    "changes",
                    *at,
                    number,
                )


def _check_too_deep(data: dict[object, object], add: Report, depth: int) -> None:
    """``child-too-deep``: a trigger job that would start a child deeper than GitLab nests."""
    for name, job in data.items():
        trigger = job.get("trigger") if isinstance(job, dict) else None
        if isinstance(trigger, dict) and "include" in trigger:
            add(
                "child-too-deep",
                f"starts a child pipeline, but this file runs as a child pipeline {depth} "
                f"levels below the parent, and GitLab nests them {MAX_CHILD_PIPELINE_DEPTH} "
                "levels deep at most: GitLab fails this job",
                str(name),
                str(name),
                "trigger",
                "include",
            )


def _check_child_rules(data: dict[object, object], add: Report) -> None:
    """``child-merge-request-rule``: a ``merge_request_event`` rule in a child pipeline."""
    for name, index, rule in _rules(data):
        condition = rule.get("if")
        if isinstance(condition, str) and _tests_merge_request_source(condition):
            label = None if name == "workflow" else str(name)
            add(
                "child-merge-request-rule",
                "tests merge_request_event, but in a child pipeline CI_PIPELINE_SOURCE is "
                "parent_pipeline: the rule never matches",
                label,
                str(name),
                "rules",
                index,
                "if",
            )


def _tests_merge_request_source(condition: str) -> bool:
    """Whether ``condition`` compares ``$CI_PIPELINE_SOURCE`` with "merge_request_event"."""
    from ..gitlab.expression import And, Compare, ExpressionError, Node, Or, String, Variable, parse

    if "merge_request_event" not in condition:
        return False
    try:
        tree = parse(condition)
    except ExpressionError:
        return False  # invalid-expression says so
    stack: list[Node] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (And, Or)):
            stack += [node.left, node.right]
        elif isinstance(node, Compare) and node.op == "==":
            sides = {node.left, node.right}
            if Variable("CI_PIPELINE_SOURCE") in sides and String("merge_request_event") in sides:
                return True
    return False


def _listing(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def _check_pinned(data: dict[Any, Any], add: Report) -> None:
    """A component or project include should name a commit or a release, not a branch."""
    from ..gitlab.includes import entries, pin

    listed = data.get("include")
    for include in entries(listed):
        reason = pin(include)
        if reason is None:
            continue
        at = (include.position,) if isinstance(listed, list) else ()
        key = "ref" if include.kind == "project" else include.kind
        add(
            "include-unpinned",
            f"{include.kind} {include.location!r} {reason}",
            None,
            "include",
            *at,
            key,
        )
