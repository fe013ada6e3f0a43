"""Naming in the module written: Python identifiers for job and stage names, never a keyword,
a builtin, a name of gitlabci_dsl's API or a name taken already."""

from __future__ import annotations

import functools
import keyword
import re

__all__ = ["TAKEN", "Names", "identifier"]

# Module-level names the generated code defines itself, besides jobs and stages.
TAKEN = frozenset({"pipeline", "output", "workflow", "default", "spec", "ci"})


def identifier(name: str, fallback: str) -> str:
    """A Python identifier made of ``name`` (``deploy:prod`` → ``deploy_prod``), prefixed with
    ``fallback`` when it starts with a digit and ``fallback`` itself when nothing is left."""
    ident = re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()
    if not ident:
        ident = fallback
    if ident[0].isdigit():
        ident = f"{fallback}_{ident}"
    return ident


class Names:
    """The module-level names taken so far."""

    def __init__(self) -> None:
        self.taken: set[str] = set(TAKEN)

    def take(self, wanted: str, suffix: str) -> str:
        """A free module-level name for ``wanted`` (``build``, else ``build_job``...)."""
        builtins, api = _reserved()
        name = wanted
        if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in builtins:
            name += "_"
        n = 1
        while name in self.taken or name in api:
            name = f"{wanted}_{suffix}" if n == 1 else f"{wanted}_{suffix}_{n}"
            n += 1
        self.taken.add(name)
        return name


@functools.cache
def _reserved() -> tuple[frozenset[str], frozenset[str]]:
    """Python's builtins, and the names a module imports from gitlabci_dsl."""
    import builtins

    import gitlabci_dsl

    return frozenset(dir(builtins)), frozenset(gitlabci_dsl.__all__)
