"""RE2, the regex engine GitLab uses for untrusted patterns, and ours for untrusted text.

GitLab matches ``=~`` with RE2 (``Gitlab::UntrustedRegexp``); RE2 never backtracks, so matching
takes time linear in the text whatever the pattern. Every regex gitlabci-dsl applies to text
from a pipeline file (the patterns of ``rules:if``, and our own patterns over scripts and
values) goes through here, through Google's ``google-re2`` binding.
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["compile_re2", "linear"]


@functools.lru_cache(maxsize=512)
def compile_re2(source: str) -> Any:
    """``source`` compiled by RE2, or, when RE2 refuses it, the reason (a string). Each
    pattern is compiled once."""
    import re2  # type: ignore[import-untyped]  # no stubs; a user's mypy reads this too

    options = re2.Options()
    options.log_errors = False  # as GitLab: the error is reported, not logged to stderr
    try:
        return re2.compile(source, options)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else "invalid"
        return detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)


def linear(pattern: str) -> Any:
    """One of our own patterns, compiled by RE2 for text that is not ours (it must be valid
    RE2: no lookaround, no backreferences). The result has ``re``'s methods: ``search``,
    ``match``, ``fullmatch``, ``sub``, ``finditer``."""
    compiled = compile_re2(pattern)
    if isinstance(compiled, str):
        raise ValueError(f"not an RE2 pattern: {pattern!r} ({compiled})")
    return compiled
