"""How GitLab matches the globs of ``rules:changes``, ``rules:exists`` and ``only/except:changes``.

GitLab calls Ruby's ``File.fnmatch?(glob, path, File::FNM_PATHNAME | File::FNM_DOTMATCH |
File::FNM_EXTGLOB)``; :func:`fnmatch` gives the same answers, which with those flags are:

* ``*`` matches any run of characters but ``/``; ``?`` one character but ``/``; a bracket
  expression (``[a-z]``, ``[!a]``, ``[^a]``, backslash escapes inside) one character but ``/``.
  ``[]`` matches nothing, ``[!]`` any character; a reversed range (``[z-a]``) only its two
  ends; an unterminated bracket (``abc[de``) makes the alternative match nothing, not even
  itself; a bracket may contain ``/`` (``[a/b]`` is one bracket, matching ``a`` or ``b``).
* ``**/`` at the start of the pattern or right after a ``/`` matches zero or more whole
  directories, hidden ones included (``FNM_DOTMATCH``); consecutive ``**/`` are one. ``**``
  anywhere else (``a**/``, ``***/``, a trailing ``**``) is a plain ``*``.
* A backslash makes the next character literal; ``\\/`` is still a directory separator; a
  trailing backslash is ignored (``a\\`` matches ``a``).
* Wildcards match a leading ``.`` (``FNM_DOTMATCH``); matching is case-sensitive and the whole
  path must match.
* ``{a,b}`` (``FNM_EXTGLOB``) is expanded textually first, as Ruby's ``ruby_brace_expand``
  does: nested groups, backslash-escaped braces and commas stay literal, ``{}`` and ``{,a}``
  give empty alternatives, ``{0..3}`` is the literal ``0..3``, a ``}`` with no ``{`` before it
  is literal, and a ``{`` that is never closed makes the whole pattern match nothing.
* A NUL character in the pattern or the path raises ``ValueError`` (Ruby's ``ArgumentError``).

Patterns come from untrusted YAML, so matching never backtracks: every alternative is
compiled to a bit-parallel NFA (one bit per token, all alternatives in one integer) that is
stepped once per character of the path, its transitions memoised as a lazy DFA. The cost is
``O(len(pattern) * len(path) / 64)`` at worst. Brace expansion can grow exponentially
(``{a,b}{a,b}...``), and Ruby performs it in full; here it is capped instead: a pattern that
expands to more than :data:`MAX_BRACE_ALTERNATIVES` alternatives, or to more than
:data:`MAX_BRACE_EXPANSION` characters in all, raises ``ValueError`` before any work is done.

The clause helpers follow the clauses around the match. ``rules:changes`` and ``rules:exists``
first expand the CI/CD variables GitLab knows (``variables`` here, their values already
expanded), leaving unknown ``$NAME`` as they are; ``only/except:changes`` does not. Past
50,000 comparisons both rules assume a match. ``rules:exists`` compares a glob without
``*?[{`` as a plain string (a backslash stays a backslash, a leading ``/`` or ``./`` never
matches), tests a plain glob ending in ``/`` as a directory prefix by a binary search that can
miss it (as GitLab's does), and tests ``**/*.ext`` as a plain suffix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import NamedTuple

__all__ = [
    "CHANGES_MAX_PATTERN_COMPARISONS",
    "EXISTS_MAX_PATTERN_COMPARISONS",
    "MAX_BRACE_ALTERNATIVES",
    "MAX_BRACE_EXPANSION",
    "changes_match",
    "exists_match",
    "expand_braces",
    "expand_variables",
    "fnmatch",
    "is_exact_glob",
    "is_extension_glob",
    "is_top_level_glob",
    "only_changes_match",
]

MAX_BRACE_ALTERNATIVES = 1024
"""Most alternatives a pattern's ``{a,b}`` groups may expand to; more raise ``ValueError``."""

MAX_BRACE_EXPANSION = 65_536
"""Most characters a pattern's alternatives may add up to; more raise ``ValueError``."""

CHANGES_MAX_PATTERN_COMPARISONS = 50_000
"""Past ``changed paths * globs`` comparisons, ``rules:changes`` is assumed to match."""

EXISTS_MAX_PATTERN_COMPARISONS = 50_000
"""Past ``files * patterned globs`` comparisons, ``rules:exists`` is assumed to match."""

# exists.rb: the prefix it strips to find extension globs such as ``**/*.js``.
_WILDCARD_NESTED_PATTERN = "**/*"
# ExpandVariables::VARIABLES_REGEXP: $NAME, ${NAME} and %NAME%. Linear: no nested repetition.
_VARIABLE = re.compile(
    r"\$([a-zA-Z_][a-zA-Z0-9_]*)|\$\{([a-zA-Z_][a-zA-Z0-9_]*)\}|%([a-zA-Z_][a-zA-Z0-9_]*)%"
)
# Memoised DFA transitions per compiled pattern; past this many they are forgotten.
_MAX_CACHED_TRANSITIONS = 1 << 16


# ---------------------------------------------------------------------------------------------
# Brace expansion (dir.c, ruby_brace_expand)


def expand_braces(pattern: str) -> tuple[str, ...]:
    """The brace-free patterns Ruby's FNM_EXTGLOB expands ``pattern`` to, in Ruby's order."""
    if not _balanced(pattern):
        return ()
    # Each frame is one ``{...}`` being read (the first is the pattern itself): the
    # expansions of its finished alternatives, those of the current one so far, and the
    # text still to append to all of them.
    done: list[list[list[str]]] = [[]]
    current: list[list[str]] = [[""]]
    pending: list[list[str]] = [[]]
    index, length = 0, len(pattern)
    while index < length:
        char = pattern[index]
        if char == "\\":
            pending[-1].append(pattern[index : index + 2])  # kept: fnmatch unescapes it
            index += 2
            continue
        index += 1
        if char == "{":
            done.append([])
            current.append([""])
            pending.append([])
        elif char == "," and len(done) > 1:
            done[-1].append(_append(current[-1], pending[-1]))
            current[-1], pending[-1] = [""], []
        elif char == "}" and len(done) > 1:
            alternatives = [*done.pop(), _append(current.pop(), pending.pop())]
            group = [text for alternative in alternatives for text in alternative]
            if len(group) == 1:
                pending[-1].append(group[0])
            else:
                prefixes = _append(current[-1], pending[-1])
                current[-1] = _product(prefixes, group)
                pending[-1] = []
        else:
            pending[-1].append(char)
    return tuple(_append(current[0], pending[0]))


def _balanced(pattern: str) -> bool:
    """Whether every unescaped ``{`` is closed: Ruby expands an open one to nothing."""
    depth, index = 0, 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 1
        elif char == "{":
            depth += 1
        elif char == "}" and depth:
            depth -= 1
        index += 1
    return depth == 0


def _append(prefixes: list[str], pending: list[str]) -> list[str]:
    """``prefixes`` each followed by the pending text."""
    return _product(prefixes, ["".join(pending)]) if pending else prefixes


def _product(prefixes: list[str], group: list[str]) -> list[str]:
    """Every prefix followed by every alternative of a group, within the caps."""
    # A part's alternatives never outnumber or outweigh the whole pattern's (every group has
    # at least one alternative), so checking each step before building it is exact.
    if len(prefixes) * len(group) > MAX_BRACE_ALTERNATIVES:
        raise ValueError(
            f"glob pattern expands to more than {MAX_BRACE_ALTERNATIVES} brace alternatives"
        )
    size = sum(map(len, prefixes)) * len(group) + sum(map(len, group)) * len(prefixes)
    if size > MAX_BRACE_EXPANSION:
        raise ValueError(
            f"glob pattern's brace alternatives add up to more than {MAX_BRACE_EXPANSION} "
            "characters"
        )
    return [prefix + text for prefix in prefixes for text in group]


# ---------------------------------------------------------------------------------------------
# One brace-free alternative: tokens (dir.c, fnmatch, fnmatch_helper and bracket)

_LITERAL, _ANY, _CLASS, _STAR, _SEPARATOR, _GLOBSTAR = range(6)


class _Bracket(NamedTuple):
    negated: bool
    ranges: tuple[tuple[str, str], ...]  # a single character is the range (c, c)

    def matches(self, char: str) -> bool:
        """Whether the bracket matches ``char`` (never ``/``, which ends a path element)."""
        if char == "/":
            return False
        inside = any(char in (low, high) or low <= char <= high for low, high in self.ranges)
        return inside != self.negated


_Token = tuple[int, str | _Bracket | None]


def _tokens(pattern: str) -> list[_Token] | None:
    """The tokens of one brace-free alternative; None when it can match nothing."""
    tokens: list[_Token] = []
    index, length = 0, len(pattern)
    element_start = True
    while index < length:
        if element_start and pattern.startswith("**/", index):
            while pattern.startswith("**/", index):
                index += 3
            tokens.append((_GLOBSTAR, None))
            element_start = False
            continue
        element_start = False
        char = pattern[index]
        index += 1
        if char == "*":
            while index < length and pattern[index] == "*":
                index += 1
            tokens.append((_STAR, None))
        elif char == "?":
            tokens.append((_ANY, None))
        elif char == "[":
            parsed = _bracket(pattern, index)
            if parsed is None:
                return None
            bracket, index = parsed
            tokens.append((_CLASS, bracket))
        elif char == "\\" and index == length:
            pass  # a trailing backslash escapes the end of the pattern: it matches nothing
        else:
            if char == "\\":
                char = pattern[index]
                index += 1
            if char == "/":
                tokens.append((_SEPARATOR, None))
                element_start = True
            else:
                tokens.append((_LITERAL, char))
    return tokens


def _bracket(pattern: str, index: int) -> tuple[_Bracket, int] | None:
    """The bracket expression opened just before ``index`` and the index past its ``]``."""
    # None when it is unterminated: Ruby then fails the match rather than read "[" literally.
    length = len(pattern)
    if index >= length:
        return None
    negated = pattern[index] in "!^"
    if negated:
        index += 1
    ranges: list[tuple[str, str]] = []
    while True:
        if index >= length:
            return None
        if pattern[index] == "]":
            return _Bracket(negated, tuple(ranges)), index + 1
        if pattern[index] == "\\":
            index += 1
        if index >= length:
            return None
        low = pattern[index]
        index += 1
        if index >= length:
            return None
        if pattern[index] == "-" and (index + 1 >= length or pattern[index + 1] != "]"):
            index += 1
            if index < length and pattern[index] == "\\":
                index += 1
            if index >= length:
                return None
            ranges.append((low, pattern[index]))
            index += 1
        else:
            ranges.append((low, low))


# ---------------------------------------------------------------------------------------------
# The automaton: every alternative's tokens side by side, one bit per position


class _Matcher:
    """Every alternative of a pattern as one bit-parallel NFA, stepped as a lazy DFA."""

    def __init__(self, alternatives: Iterable[list[_Token]]) -> None:
        self.literals: dict[str, int] = {}  # advance on that character
        self.any = 0  # ``?``: advance on any character but ``/``
        self.slash = 0  # ``/`` and ``**/``: advance on ``/``
        self.brackets: dict[_Bracket, int] = {}  # advance on a character the bracket matches
        self.stars = 0  # ``*``: stay on any character but ``/``; may be skipped
        self.globstars = 0  # ``**/``: stay on any character; skipped when entered
        self.start = 0
        self.accept = 0
        self.masks: dict[str, tuple[int, int]] = {}
        self.rows: dict[int, dict[str, int]] = {}
        self.cached = 0
        position = 0
        for tokens in alternatives:
            self.start |= 1 << position
            for kind, value in tokens:
                bit = 1 << position
                if kind == _LITERAL:
                    assert isinstance(value, str)
                    self.literals[value] = self.literals.get(value, 0) | bit
                elif kind == _ANY:
                    self.any |= bit
                elif kind == _CLASS:
                    assert isinstance(value, _Bracket)
                    self.brackets[value] = self.brackets.get(value, 0) | bit
                elif kind == _STAR:
                    self.stars |= bit
                elif kind == _SEPARATOR:
                    self.slash |= bit
                else:
                    self.globstars |= bit
                    self.slash |= bit
                position += 1
            self.accept |= 1 << position
            position += 1  # the accepting bit never advances, so no bit crosses alternatives
        self.start = self._closed(self.start, 0)

    def _closed(self, entered: int, kept: int) -> int:
        """The states ``entered`` and ``kept``, with those reachable without reading a character."""
        # Past a ``**/`` just entered (zero directories), but not one already inside a
        # directory name; then past any ``*`` (zero characters).
        states = entered | ((entered & self.globstars) << 1) | kept
        while True:
            wider = states | ((states & self.stars) << 1)
            if wider == states:
                return states
            states = wider

    def _masks(self, char: str) -> tuple[int, int]:
        """The positions that advance on ``char`` and those that stay on it."""
        masks = self.masks.get(char)
        if masks is None:
            if char == "/":
                masks = (self.slash, self.globstars)
            else:
                advance = self.literals.get(char, 0) | self.any
                for bracket, bits in self.brackets.items():
                    if bracket.matches(char):
                        advance |= bits
                masks = (advance, self.stars | self.globstars)
            self.masks[char] = masks
        return masks

    def _step(self, states: int, char: str) -> int:
        """The states after reading ``char``."""
        advance, stay = self._masks(char)
        return self._closed((states & advance) << 1, states & stay)

    def match(self, path: str) -> bool:
        """Whether the whole ``path`` is accepted."""
        states = self.start
        if not states:
            return False
        rows = self.rows
        for char in path:
            row = rows.get(states)
            if row is None:
                if self.cached > _MAX_CACHED_TRANSITIONS:
                    rows.clear()
                    self.cached = 0
                row = rows[states] = {}
            following = row.get(char)
            if following is None:
                following = row[char] = self._step(states, char)
                self.cached += 1
            states = following
            if not states:
                return False
        return bool(states & self.accept)


@lru_cache(maxsize=512)
def _compile(pattern: str) -> _Matcher:
    """The matcher of ``pattern``, brace groups expanded."""
    alternatives = {}
    for alternative in dict.fromkeys(expand_braces(pattern)):
        tokens = _tokens(alternative)
        if tokens is not None:
            alternatives[alternative] = tokens
    return _Matcher(alternatives.values())


def fnmatch(pattern: str, path: str) -> bool:
    """GitLab's glob match, File.fnmatch? with its flags (lib/gitlab/ci/build/rules/rule/clause/changes.rb)."""
    if "\0" in pattern or "\0" in path:
        raise ValueError("glob pattern and path must not contain a NUL character")
    return _compile(pattern).match(path)


# ---------------------------------------------------------------------------------------------
# The clauses


def expand_variables(value: str, variables: Mapping[str, str]) -> str:
    """``value`` with ``$NAME``, ``${NAME}`` and ``%NAME%`` of known variables replaced (lib/expand_variables.rb)."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(3)
        return variables.get(name, match.group(0))

    return _VARIABLE.sub(replace, value) if "$" in value or "%" in value else value


def is_exact_glob(glob: str) -> bool:
    """Whether rules:exists compares ``glob`` as a plain path (lib/gitlab/ci/build/rules/rule/clause/exists.rb)."""
    return not any(char in glob for char in "*?[{")


def is_top_level_glob(glob: str) -> bool:
    """Whether ``glob`` can only match top-level files (lib/gitlab/ci/build/rules/rule/clause/exists.rb)."""
    return "/" not in glob and "**" not in glob


def is_extension_glob(glob: str) -> bool:
    """Whether rules:exists tests ``glob`` as a plain suffix (lib/gitlab/ci/build/rules/rule/clause/exists.rb)."""
    suffix = glob.removeprefix(_WILDCARD_NESTED_PATTERN)
    return suffix.startswith(".") and "/" not in suffix and is_exact_glob(suffix)


def changes_match(
    globs: Sequence[str],
    changed: Sequence[str] | None,
    variables: Mapping[str, str] | None = None,
) -> bool:
    """Whether ``rules:changes`` matches ``changed`` (None: unknown) (lib/gitlab/ci/build/rules/rule/clause/changes.rb)."""
    if changed is None:
        return True
    if not changed:
        return False
    expanded = [
        expand_variables(glob, variables) if variables is not None else glob for glob in globs
    ]
    unique = list(dict.fromkeys(expanded))
    if not unique:
        return False
    if len(changed) * len(unique) > CHANGES_MAX_PATTERN_COMPARISONS:
        return True
    return any(fnmatch(glob, path) for path in changed for glob in unique)


def only_changes_match(globs: Sequence[str], changed: Sequence[str] | None) -> bool:
    """Whether ``only:changes`` matches ``changed`` (None: unknown) (lib/gitlab/ci/build/policy/changes.rb)."""
    if changed is None:
        return True
    return any(fnmatch(glob, path) for path in changed for glob in globs)


def exists_match(
    globs: Sequence[str],
    files: Iterable[str],
    variables: Mapping[str, str] | None = None,
) -> bool:
    """Whether ``rules:exists`` matches the repository's ``files`` (lib/gitlab/ci/build/rules/rule/clause/exists.rb)."""
    if not globs:
        return False
    expanded = [
        expand_variables(glob, variables) if variables is not None else glob for glob in globs
    ]
    # GitLab reads `git ls-files` (sorted by bytes, the code point order of the decoded
    # paths), or only the top-level files when no glob can match a nested one.
    paths = sorted(files)
    if all(is_top_level_glob(glob) for glob in expanded):
        paths = [path for path in paths if "/" not in path]
    exact = [glob for glob in expanded if is_exact_glob(glob)]
    extensions = [glob for glob in expanded if not is_exact_glob(glob) and is_extension_glob(glob)]
    patterns = [
        glob for glob in expanded if not is_exact_glob(glob) and not is_extension_glob(glob)
    ]
    present = set(paths)
    for glob in exact:
        # Compared as it is: no unescaping, no leading "/" or "./" removed.
        if glob.endswith("/"):
            if _bsearch_prefix(paths, glob):
                return True
        elif glob in present:
            return True
    if extensions:
        suffixes = tuple(glob.removeprefix(_WILDCARD_NESTED_PATTERN) for glob in extensions)
        if any(path.endswith(suffixes) for path in paths):
            return True
    if len(paths) * len(patterns) > EXISTS_MAX_PATTERN_COMPARISONS:
        return True
    return any(fnmatch(glob, path) for glob in patterns for path in paths)


def _bsearch_prefix(paths: Sequence[str], directory: str) -> bool:
    """exists.rb's directory test: ``paths.bsearch { |path| path.start_with?(directory) }``."""
    # A find-minimum binary search over a condition that is not monotonic (the files under
    # the directory sit in the middle of the sorted list), so, like GitLab, it can miss them.
    low, high = 0, len(paths)
    found = False
    while low < high:
        middle = low + (high - low) // 2
        if paths[middle].startswith(directory):
            found = True
            high = middle
        else:
            low = middle + 1
    return found
