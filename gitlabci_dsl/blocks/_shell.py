"""Shell text shared by the blocks: the one place where a value becomes a shell word.

Every value a block writes into a shell line goes through :func:`quote` (or :func:`escape`,
:func:`word`, :func:`literal`, which follow the same rules): a value is data, never shell
syntax. CI/CD variable references (``$NAME``, ``${NAME}``) still expand, because the blocks
are built on them (``"$IMAGE:$CI_COMMIT_SHA"``); every other ``$``, every ``"``, ``\\`` and
backquote is escaped, so ``$(cmd)`` or a backquoted command in a value is printed, not run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["VARIABLE", "command", "escape", "literal", "quote", "word"]

VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
"""A CI/CD variable reference, ``$NAME`` or ``${NAME}``; the name is group 1 or 2."""

# Inside double quotes the shell gives a meaning to these four characters only.
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "`": "\\`", "$": "\\$"})
# Characters that are never special to the shell, so a word made of them needs no quotes:
# [A-Za-z0-9_@%+=:,./-]+, told by str.strip, which costs no regex compile.
_BARE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-"


def _bare(value: str) -> bool:
    return bool(value) and not value.strip(_BARE)


def escape(value: str) -> str:
    """``value`` escaped for the inside of a double-quoted shell word: what :func:`quote`
    puts between its quotes. For words the block writes around a value, e.g.
    ``f'"https://{escape(host)}/v2/"'``."""
    if "\0" in value:
        # No shell word can hold a NUL byte; validation keeps control characters out before.
        raise ValueError(f"a shell word cannot hold a NUL character: {value!r}")
    if "$" not in value and '"' not in value and "\\" not in value and "`" not in value:
        return value  # nothing to escape: most values, and a block writes hundreds of them
    parts = []
    start = 0
    for reference in VARIABLE.finditer(value):
        parts.append(value[start : reference.start()].translate(_ESCAPES))
        parts.append(reference.group())
        start = reference.end()
    parts.append(value[start:].translate(_ESCAPES))
    return "".join(parts)


def quote(value: str) -> str:
    """``value`` as one double-quoted shell word: ``quote("$IMAGE:v1")`` → ``"$IMAGE:v1"``.

    ``$NAME`` and ``${NAME}`` expand when the job runs; ``"``, ``\\``, backquotes and any
    other ``$`` are escaped and reach the command as they are written.
    """
    return f'"{escape(value)}"'


def word(value: str) -> str:
    """``value`` as it is when no character of it is special to the shell (letters, digits and
    ``_@%+=:,./-``), else :func:`quote` of it: for options written without quotes
    (``--region eu-west-1``, ``deployment/app``)."""
    return value if _bare(value) else quote(value)


def literal(value: str) -> str:
    """``value`` as a shell word in which nothing expands, variables included (single quotes
    when it needs any): for regular expressions, whose ``$`` means end of line. The same
    words as ``shlex.quote`` (whose import costs start-up time)."""
    if "\0" in value:
        raise ValueError(f"a shell word cannot hold a NUL character: {value!r}")
    if _bare(value):
        return value
    return "'" + value.replace("'", "'\"'\"'") + "'"


def command(words: Sequence[str]) -> str:
    """One command, one option per line (``\\`` continuations) once it has more than three
    words: the YAML stays readable and diffs show the option that changed."""
    if len(words) <= 3:
        return " ".join(words)
    return " \\\n  ".join(words)
