"""Shell text shared by the blocks."""

from __future__ import annotations

from collections.abc import Sequence


def command(words: Sequence[str]) -> str:
    """One command, one option per line (``\\`` continuations) once it has more than three
    words: the YAML stays readable and diffs show the option that changed."""
    if len(words) <= 3:
        return " ".join(words)
    return " \\\n  ".join(words)
