"""Script injection: a predefined variable whose value someone who can push a branch, write a
commit or open a merge request chooses, expanded where the shell splits it into words or runs
it as code.

The variables come from GitLab's predefined variables reference
(https://docs.gitlab.com/ci/variables/predefined_variables/): each holds a branch or tag name,
a commit's message, title, description or author, or a merge request's title, description,
labels or branch, all chosen by whoever pushes or opens the merge request. ``*_SLUG`` variables
are left out: GitLab reduces them to ``[a-z0-9-]``.

Branch and tag names are a case apart. Git refuses a space, tab, newline, ``*``, ``?`` or
``[`` in a ref name (``git check-ref-format``), so an unquoted branch name can be neither split
nor globbed: only code built from it is reported. It may hold ``;``, ``|``, ``$(`` and
backticks, which ``eval`` runs.

A line is scanned once, left to right, with the quoting the shell applies (single quotes,
double quotes, backslashes, ``$(...)`` and backticks): linear in its length, whatever it holds.
Reported: an unquoted expansion (word splitting and globbing: ``git checkout $CI_COMMIT_BRANCH``
with a branch named ``--upload-pack=...``), and any expansion in a command that ``eval``,
``sh -c`` or ``bash -c`` runs as code. Not reported: a quoted expansion, an assignment
(``TITLE=$CI_MERGE_REQUEST_TITLE``, which is not split), and ``[[ ... ]]`` or ``case ... in``,
which do not split either.
"""

from __future__ import annotations

__all__ = ["REF_NAMES", "UNTRUSTED", "unsafe"]

UNTRUSTED = frozenset(
    {
        "CI_COMMIT_AUTHOR",
        "CI_COMMIT_BRANCH",
        "CI_COMMIT_DESCRIPTION",
        "CI_COMMIT_MESSAGE",
        "CI_COMMIT_REF_NAME",
        "CI_COMMIT_TAG",
        "CI_COMMIT_TAG_MESSAGE",
        "CI_COMMIT_TITLE",
        "CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME",
        "CI_EXTERNAL_PULL_REQUEST_TARGET_BRANCH_NAME",
        "CI_MERGE_REQUEST_DESCRIPTION",
        "CI_MERGE_REQUEST_LABELS",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
        "CI_MERGE_REQUEST_TITLE",
        "GITLAB_USER_NAME",
    }
)
"""Predefined variables whose values a contributor chooses."""

REF_NAMES = frozenset(
    {
        "CI_COMMIT_BRANCH",
        "CI_COMMIT_REF_NAME",
        "CI_COMMIT_TAG",
        "CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME",
        "CI_EXTERNAL_PULL_REQUEST_TARGET_BRANCH_NAME",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
    }
)
"""The :data:`UNTRUSTED` variables that hold a git ref name: never split nor globbed."""

_SEPARATORS = frozenset(";|&\n")
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ash", "ksh"})
_NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_NAME = _NAME_START | frozenset("0123456789")


def unsafe(line: str) -> list[tuple[str, str]]:
    """``(variable, how)`` for each unsafe expansion of an :data:`UNTRUSTED` variable in the
    shell ``line``; ``how`` is ``"unquoted"`` or the command that runs it as code
    (``"eval"``, ``"sh -c"``...). One pass, constant work per character."""
    found: list[tuple[str, str]] = []
    command = _Command()
    word: list[str] = []  # the current word's characters, quotes removed
    quote = ""  # "'" or '"' while inside one
    i, end = 0, len(line)
    while i < end:
        char = line[i]
        if quote == "'":
            if char == "'":
                quote = ""
            elif char == "$":
                name, i = _name(line, i)
                how = command.runner(word)
                if name in UNTRUSTED and how is not None:
                    found.append((name, how))
                continue
            else:
                word.append(char)
            i += 1
            continue
        if char == "\\":
            word.append(line[i : i + 2])
            i += 2
            continue
        if char == "'" and not quote:
            quote = "'"
            i += 1
            continue
        if char == '"':
            quote = "" if quote == '"' else '"'
            i += 1
            continue
        if char == "$":
            name, i = _name(line, i)
            if name in UNTRUSTED:
                how = command.runner(word)
                if how is not None:
                    found.append((name, how))
                elif not quote and name not in REF_NAMES and not command.unsplit(word):
                    found.append((name, "unquoted"))
            word.append("$")
            continue
        if not quote and (char in " \t" or char in _SEPARATORS or char in "()`"):
            if word:
                command.add("".join(word))
                word = []
            if char in _SEPARATORS:
                command = _Command()
        else:
            word.append(char)
        i += 1
    return found


class _Command:
    """What the scan knows of the simple command it is in, kept up to date word by word."""

    __slots__ = ("dash_c", "first", "in_test", "words")

    def __init__(self) -> None:
        self.first: str | None = None
        self.words = 0
        self.dash_c = False  # a -c after the command word
        self.in_test = False  # between [[ and ]]

    def add(self, word: str) -> None:
        if self.first is None:
            self.first = word
        elif word == "-c":
            self.dash_c = True
        if word == "[[":
            self.in_test = True
        elif word == "]]":
            self.in_test = False
        self.words += 1

    def runner(self, word: list[str]) -> str | None:
        """The command that runs its arguments as code: eval, or a shell with -c."""
        # The command word so far (bounded: only short names matter, and a hostile word of
        # many expansions must not be joined at each one).
        first = self.first if self.first is not None else "".join(word[:16])
        if first == "eval":
            return "eval"
        shell = first.rsplit("/", 1)[-1]
        return f"{shell} -c" if shell in _SHELLS and self.dash_c else None

    def unsplit(self, word: list[str]) -> bool:
        """Whether an unquoted expansion here is not split into words: an assignment, or
        inside ``[[ ]]`` or ``case WORD in``."""
        if self.in_test or self.first == "case":
            return True
        declares = self.first in ("export", "local", "readonly", "declare")
        # An assignment's name comes first: a bounded prefix of the word says whether it is one.
        return (self.first is None or declares) and _assignment("".join(word[:128]))


def _name(line: str, start: int) -> tuple[str | None, int]:
    """The variable a ``$`` at ``start`` expands, and where the scan goes on."""
    i = start + 1
    braced = i < len(line) and line[i] == "{"
    if braced:
        i += 1
    if i >= len(line) or line[i] not in _NAME_START:
        return None, start + 1
    begin = i
    while i < len(line) and line[i] in _NAME:
        i += 1
    name = line[begin:i]
    if braced:
        close = line.find("}", i)
        i = len(line) if close < 0 else close + 1
    return name, i


def _assignment(word: str) -> bool:
    name, equals, _ = word.partition("=")
    return bool(equals) and bool(name) and name[0] in _NAME_START and set(name) <= _NAME
