"""The one exception family of gitlabci-dsl.

Every error the tool raises on purpose is a :class:`GitlabCIDSLError`, so callers (and the CLI)
can tell a mistake in a pipeline from a bug in the tool.
"""

from __future__ import annotations

__all__ = ["CompileError", "GitlabCIDSLError", "LoadError", "UsageError", "ValidationError"]


class GitlabCIDSLError(Exception):
    """Base class: the message says what is wrong and how to fix it."""


class ValidationError(GitlabCIDSLError, ValueError):
    """A field holds a value GitLab rejects (raised when the node is constructed)."""


class CompileError(GitlabCIDSLError):
    """Objects are fine one by one but not together (unknown stage, missing need, cycle...)."""


class LoadError(GitlabCIDSLError):
    """A pipeline module could not be loaded (syntax error, exception, no ``pipeline``)."""


class UsageError(GitlabCIDSLError):
    """A command was asked for something it cannot do as asked (a file that does not exist,
    an output that is not a module); the CLI exits 2 on it, as on an unknown option."""
