"""How the command line talks: colour only on a terminal and never with ``NO_COLOR``, and how
much it says (``--quiet``, ``--verbose``).

Colour follows https://no-color.org: any non-empty ``NO_COLOR`` turns it off; so does output
that is not a terminal (a pipe, a file, CI logs). Only the words that carry the verdict are
coloured (``error``, ``warning``, ``written``...), never the data a command prints.
"""

from __future__ import annotations

import os
import re
import sys
from typing import TextIO

__all__ = ["LEVEL", "color", "detail", "info", "paint", "paint_findings", "safe", "set_level"]

# -1 quiet (errors and requested output only), 0 normal, 1 verbose.
LEVEL = [0]

_CODES = {"red": "31", "yellow": "33", "green": "32", "blue": "34", "bold": "1"}
_SEVERITY = {"error": "red", "warning": "yellow", "info": "blue"}


# Characters a terminal acts on rather than shows: C0 and C1 controls (ESC starts the
# sequences that retitle a window, move the cursor or clear the screen), the line and
# paragraph separators, and the bidirectional overrides that reorder what is shown.
# A translation table rather than a regex: compiling one costs more start-up time than the
# CLI's whole output takes to translate.
_UNSAFE = {
    code: "\\r" if code == 0x0D else f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    for low, high in (
        (0x00, 0x08),
        (0x0B, 0x1F),
        (0x7F, 0x9F),
        (0x2028, 0x2029),
        (0x202A, 0x202E),
        (0x2066, 0x2069),
    )
    for code in range(low, high + 1)
}


def safe(text: str) -> str:
    """``text`` with every character a terminal would act on written as an escape
    (``\\x1b``): job names, keys and values come from files someone else may have written.
    Newlines and tabs stay."""
    return text.translate(_UNSAFE)


def set_level(quiet: bool, verbose: bool) -> None:
    LEVEL[0] = -1 if quiet else 1 if verbose else 0


def color(stream: TextIO) -> bool:
    """Whether to colour what goes to ``stream``."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def paint(text: str, name: str, stream: TextIO) -> str:
    """``text`` in colour ``name`` when ``stream`` takes colour, else unchanged."""
    if not color(stream):
        return text
    return f"\x1b[{_CODES[name]}m{text}\x1b[0m"


def paint_findings(text: str, stream: TextIO) -> str:
    """Lint's human report, made safe for a terminal, with each finding's severity in its
    colour."""
    text = safe(text)
    if not color(stream):
        return text
    return re.sub(
        r"(?m)(: )(error|warning|info)(\[)",
        lambda m: m.group(1) + paint(m.group(2), _SEVERITY[m.group(2)], stream) + m.group(3),
        text,
    )


def info(label: str, message: str, name: str = "green") -> None:
    """A progress line on standard output (``written: .gitlab-ci.yml``); ``--quiet`` drops it."""
    if LEVEL[0] >= 0:
        sys.stdout.write(f"{paint(label, name, sys.stdout)} {safe(message)}\n")


def detail(message: str) -> None:
    """A line only ``--verbose`` shows, on standard error so output stays clean."""
    if LEVEL[0] > 0:
        sys.stderr.write(f"{paint('verbose:', 'blue', sys.stderr)} {safe(message)}\n")
