"""What an import gives back: the module written, or the error that stopped it."""

from __future__ import annotations

from typing import NamedTuple

from ..errors import GitlabCIDSLError

__all__ = ["ImportYamlError", "Imported"]


class ImportYamlError(GitlabCIDSLError):
    """The YAML cannot be imported: invalid YAML, a duplicate key, not a pipeline mapping..."""


class Imported(NamedTuple):
    """The module's source and the warnings met on the way (unknown keys kept in ``extra``)."""

    code: str
    warnings: list[str]
