"""Lint GitLab CI YAML, ours or hand-written: GitLab's schema, the checks GitLab runs when it
creates a pipeline, and security practice.

``lint_text(text, "path/.gitlab-ci.yml")`` returns the findings of one file; the
``gitlabci-dsl lint`` command reports them. A finding is silenced by a comment on its line,
``# gitlabci-dsl: ignore[rule-id] why it is fine`` (several ids separated by commas;
``ignore`` alone silences every rule on the line; the text after it is the reason, which
reports keep), or for a whole project by ``ignore = [...]`` in ``[tool.gitlabci-dsl.lint]``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from .findings import RULES, Finding, Rule

if TYPE_CHECKING:
    from ..gitlab.includes import Source
    from ..gitlab.reader import Document
    from .shell import ShellCheck

__all__ = [
    "RULES",
    "WHOLE_PIPELINE_RULES",
    "Finding",
    "Linted",
    "Rule",
    "Suppressed",
    "child_depths",
    "included_by_others",
    "lint_documents",
    "lint_text",
    "lint_texts",
    "silence",
    "triggered_by_others",
]

# Checks that need every file of the pipeline: a file that others include (``Pipeline(
# included=True)``) may use stages, jobs and templates that the including files define.
WHOLE_PIPELINE_RULES: tuple[str, ...] = (
    "undefined-stage",
    "needs-undefined",
    "needs-later-stage",
    "needs-left-out",
    "dependencies-undefined",
    "dependencies-not-in-needs",
    "extends-undefined",
    "reference-undefined",
    "job-without-script",
    "on-stop-undefined",
)

_IGNORE = re.compile(r"#\s*gitlabci-dsl:\s*ignore(?:\[([\w\s,-]+)\])?(.*)")
_REASON_SEPARATORS = " \t-:\u2013\u2014"  # `ignore[x] -- why`, `ignore[x]: why`, `ignore[x] why`


class Suppressed(NamedTuple):
    """A finding a comment on its line silences, and the reason the comment gives ("" for
    none)."""

    finding: Finding
    reason: str


class Linted(NamedTuple):
    """What linting files found: the findings to report, and those comments silenced."""

    findings: list[Finding]
    suppressed: list[Suppressed]


def included_by_others(
    texts: Mapping[str, str], root: Path | None, *, pending: Mapping[str, str] | None = None
) -> set[str]:
    """The files among ``texts`` (keyed by their path from ``root``) that another of them
    includes with ``include: local``, directly or not: parts of a pipeline, checked with the
    file that includes them, where the stages, jobs and templates they use are defined (as
    ``compile`` checks a ``Pipeline(included=True)``)."""
    from ..gitlab.includes import resolve

    parts: set[str] = set()
    for name, data in _holding(texts, "include"):
        if "include" in data:
            resolved = resolve(data, root, pending=pending)
            parts.update(included for included in resolved.files if included != name)
    return parts & set(texts)


def triggered_by_others(texts: Mapping[str, str], root: Path | None) -> set[str]:
    """The files among ``texts`` (keyed by their path from ``root``) that a trigger job of
    another one starts as a child pipeline (``trigger: include``, local files and what they
    include): there ``CI_PIPELINE_SOURCE`` is ``parent_pipeline``."""
    return set(child_depths(texts, root))


def child_depths(texts: Mapping[str, str], root: Path | None) -> dict[str, int]:
    """How many levels below its parent each of ``texts`` that runs as a child pipeline
    (see :func:`triggered_by_others`) runs: the deepest a chain of trigger jobs from a file no
    other one triggers reaches it, up to one level more than GitLab nests. A file only a loop
    of triggers reaches runs one level down at least."""
    from ..gitlab.facts import MAX_CHILD_PIPELINE_DEPTH
    from ..gitlab.includes import resolve

    starts: dict[str, set[str]] = {}
    for name, data in _holding(texts, "trigger"):
        for job in data.values():
            trigger = job.get("trigger") if isinstance(job, dict) else None
            if isinstance(trigger, dict) and "include" in trigger:
                found = resolve({"include": trigger["include"]}, root)
                children = {file for file in found.files if file != name and file in texts}
                starts.setdefault(name, set()).update(children)
    started = {file for children in starts.values() for file in children}
    depths = dict.fromkeys(started, 1)
    level = set(texts) - started
    for depth in range(1, MAX_CHILD_PIPELINE_DEPTH + 2):
        level = {child for name in level for child in starts.get(name, ())}
        for child in level:
            depths[child] = depth
        if not level:
            break
    return depths


def _holding(texts: Mapping[str, str], key: str) -> Iterator[tuple[str, dict[Any, Any]]]:
    """(name, pipeline mapping) of each of ``texts`` that may use ``key``: a text without the
    word is not read, nor one that is not YAML (its own lint says so)."""
    from ..gitlab.expand import ConfigTooBigError, pipeline_data
    from ..gitlab.reader import YamlSyntaxError, load

    for name, text in texts.items():
        if key not in text:
            continue
        try:
            data = pipeline_data(load(text))
        except (YamlSyntaxError, ConfigTooBigError):
            continue
        if isinstance(data, dict):
            yield name, data


def lint_text(
    text: str,
    file: str,
    *,
    root: Path | None = None,
    schema: bool = True,
    practice: bool = True,
    ignore: Collection[str] = (),
    pending: Mapping[str, str] | None = None,
    child_depth: int = 0,
    source: Source | None = None,
    scripts: ShellCheck | None = None,
    suppressed: list[Suppressed] | None = None,
) -> list[Finding]:
    """The findings of one file's ``text``, in line order.

    ``root`` is the repository root that ``include: local`` paths are relative to (local
    includes are not followed without it); ``schema=False`` skips GitLab's schema;
    ``practice=False`` the security and practice rules (warnings only); ``ignore`` lists rule
    ids to leave out; ``pending``: project files about to be written (``{path: text}``),
    read as includes instead of what the disk holds; ``child_depth``: the file is (part of) a
    child pipeline that many levels below the parent (:func:`child_depths`), 0 for none;
    ``source``: where includes that are not project files are read from
    (:class:`~gitlabci_dsl.gitlab.includes.Source`; not followed without one);
    ``scripts``: where the file's scripts are collected for ShellCheck (with ``practice``),
    whose findings :func:`lint_texts` adds (not checked without one); ``suppressed``: where
    the findings that comments silence are added, with their reasons.
    """
    from ..gitlab.expand import pipeline_document
    from ..gitlab.reader import YamlSyntaxError, load

    try:
        documents = load(text)
    except YamlSyntaxError as exc:
        found = [Finding("yaml-syntax", "error", str(exc), file, None, exc.line, exc.column)]
        return _filter(found, text, ignore, suppressed)
    findings = lint_documents(
        documents,
        file,
        root=root,
        schema=schema,
        practice=practice,
        pending=pending,
        child_depth=child_depth,
        source=source,
    )
    if scripts is not None and practice and documents:
        scripts.add(
            file, text, pipeline_document(documents), root=root, pending=pending, source=source
        )
    return _filter(_with_columns(findings, text), text, ignore, suppressed)


def lint_texts(
    texts: Mapping[str, str],
    *,
    root: Path | None = None,
    ignore: Collection[str] = (),
    source: Source | None = None,
    scripts: ShellCheck | None = None,
) -> Linted:
    """The findings of several files (``{path from root: text}``) that are linted together,
    file by file: a file another includes is checked as a part of its pipeline, one a
    trigger job starts as a child pipeline, CI/CD components (``templates/``) as parts; the
    scripts of all of them go to ``scripts`` (one :class:`~.shell.ShellCheck` run for all).
    Findings come file by file, each file's in line order."""
    from ..gitlab.components import is_template

    parts = included_by_others(texts, root)
    children = child_depths(texts, root)
    found: dict[str, list[Finding]] = {}
    skipped: dict[str, Collection[str]] = {}
    suppressed: list[Suppressed] = []
    for name, text in texts.items():
        skip = ignore
        if name in parts or is_template(name):
            skip = (*skip, *WHOLE_PIPELINE_RULES)
        skipped[name] = skip
        found[name] = lint_text(
            text,
            name,
            root=root,
            ignore=skip,
            child_depth=children.get(name, 0),
            source=source,
            scripts=scripts,
            suppressed=suppressed,
        )
    if scripts is not None:
        for name, extra in scripts.run().items():
            if extra:
                silenced: list[Suppressed] = []
                kept = _filter(extra, texts[name], skipped[name], silenced)
                # A comment that silences only ShellCheck's findings needs its reason too.
                known = {f.line for f in found[name] if f.rule == _NO_REASON}
                lines = texts[name].splitlines()
                more = _unexplained(silenced, skipped[name], lines)
                kept += [f for f in more if f.line not in known]
                suppressed += silenced
                found[name] = sorted([*found[name], *kept], key=_order)
    return Linted([finding for name in texts for finding in found[name]], suppressed)


def _with_columns(findings: list[Finding], text: str) -> list[Finding]:
    """Findings placed on a line but not a column (a line inside a block scalar) point at
    the line's first character that is not blank."""
    if all(f.line is None or f.column is not None for f in findings):
        return findings
    lines = text.splitlines()
    placed = []
    for finding in findings:
        number = finding.line
        if number is not None and finding.column is None and number <= len(lines):
            line = lines[number - 1]
            placed.append(finding._replace(column=len(line) - len(line.lstrip()) + 1))
        else:
            placed.append(finding)
    return placed


def lint_documents(
    documents: list[Document],
    file: str,
    *,
    root: Path | None = None,
    schema: bool = True,
    practice: bool = True,
    pending: Mapping[str, str] | None = None,
    child_depth: int = 0,
    source: Source | None = None,
) -> list[Finding]:
    """The findings of a file's documents as the reader gives them (see :func:`lint_text`),
    before suppression comments and the ignore list are applied."""
    from ..gitlab.expand import ConfigTooBigError, gitlab_view, pipeline_document
    from ..gitlab.facts import GLOBAL_KEYS
    from .semantics import check

    documents = list(documents)
    if len(documents) > 1:
        # A `spec:` header: the pipeline is checked with each input at its default.
        documents[-1] = pipeline_document(documents)
    findings: list[Finding] = []
    for number, document in enumerate(documents):
        for duplicate in document.duplicates:
            key = duplicate.path[-1]
            job = _job_of(duplicate.path, GLOBAL_KEYS)
            findings.append(
                Finding(
                    "duplicate-key",
                    "warning",
                    f"key {key!r} is given twice; GitLab keeps the last one",
                    file,
                    job,
                    duplicate.line,
                    duplicate.column,
                )
            )
        if schema:
            last = number == len(documents) - 1
            try:
                data = gitlab_view(document.data) if last else document.data
            except ConfigTooBigError as exc:
                findings.append(Finding("yaml-syntax", "error", str(exc), file, None, 1, 1))
                return findings
            findings += _schema_findings(document, data, file, GLOBAL_KEYS)
    if documents:
        findings += check(
            file,
            documents[-1],
            root,
            practice=practice,
            pending=pending,
            child_depth=child_depth,
            source=source,
        )
    return findings


def _schema_findings(
    document: Any, data: Any, file: str, global_keys: Collection[str]
) -> list[Finding]:
    from .schema import validate

    findings = []
    for error in validate(_as_json(data)):
        line = column = None
        for depth in range(len(error.path), -1, -1):
            found = document.positions.get(error.path[:depth])
            if found is not None:
                line, column = found
                break
        where = _show_path(error.path)
        message = f"{where}: {error.message}" if where else error.message
        job = _job_of(error.path, global_keys)
        findings.append(Finding("schema", "error", message, file, job, line, column))
    return findings


def _job_of(path: tuple[Any, ...], global_keys: Collection[str]) -> str | None:
    if path and isinstance(path[0], str) and path[0] not in global_keys:
        return path[0]
    return None


def _show_path(path: tuple[Any, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def _as_json(value: Any) -> Any:
    """YAML data as JSON data for the schema: keys as strings, tagged lists as lists."""
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, str) else k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    return value


def silence(
    findings: Iterable[Finding],
    text: str,
    ignore: Collection[str] = (),
    suppressed: list[Suppressed] | None = None,
) -> list[Finding]:
    """``findings`` placed in ``text`` less those silenced there or by ``ignore``, as
    :func:`lint_text` silences its own (for findings placed in another file: the Python line
    of a pipeline module)."""
    return _filter(findings, text, ignore, suppressed)


def _filter(
    findings: Iterable[Finding],
    text: str,
    ignore: Collection[str],
    suppressed: list[Suppressed] | None = None,
) -> list[Finding]:
    """``findings`` without those of ``ignore`` (rule ids, or a checker's codes such as
    ``SC2086``) and those a comment on their line silences (added to ``suppressed`` with the
    comment's reason), in line order. A comment that silences findings without saying why is
    a ``suppression-without-reason`` finding."""
    lines = text.splitlines()
    kept = []
    silenced: list[Suppressed] = []
    for finding in findings:
        if finding.rule in ignore or finding.code in ignore:
            continue
        if finding.line is not None and 0 < finding.line <= len(lines):
            match = _IGNORE.search(lines[finding.line - 1])
            if match and (
                match.group(1) is None
                or not {finding.rule, finding.code}.isdisjoint(
                    r.strip() for r in match.group(1).split(",")
                )
            ):
                silenced.append(Suppressed(finding, match.group(2).strip(_REASON_SEPARATORS)))
                continue
        kept.append(finding)
    kept += _unexplained(silenced, ignore, lines)
    if suppressed is not None:
        suppressed += silenced
    return sorted(kept, key=_order)


_NO_REASON = "suppression-without-reason"


def _unexplained(
    silenced: Iterable[Suppressed], ignore: Collection[str], lines: Sequence[str]
) -> list[Finding]:
    """One finding for each line whose comment silences findings and gives no reason, at
    the comment."""
    if _NO_REASON in ignore:
        return []
    first: dict[int, Finding] = {}
    for finding, reason in silenced:
        if not reason and finding.line is not None:
            first.setdefault(finding.line, finding)
    found = []
    for line, finding in sorted(first.items()):
        match = _IGNORE.search(lines[line - 1])
        found.append(
            Finding(
                _NO_REASON,
                "info",
                f"the comment silences {finding.rule} without saying why",
                finding.file,
                finding.job,
                line,
                match.start() + 1 if match else None,
            )
        )
    return found


def _order(finding: Finding) -> tuple[int, int, str, str]:
    return (finding.line or 0, finding.column or 0, finding.rule, finding.message)
