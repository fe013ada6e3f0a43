"""Which values may be secrets, so that no command prints them.

GitLab masks the variables a project marks as masked; offline we cannot know which those
are, so a value is treated as secret by its name: a variable, or a key, named like a password,
token, key or credential (``CI_REGISTRY_PASSWORD``, ``DEPLOY_TOKEN``, ``AWS_SECRET_ACCESS_KEY``).
"""

from __future__ import annotations

from typing import Final

__all__ = ["SECRET_WORDS", "looks_secret"]

SECRET_WORDS: Final = ("PASSWORD", "PASSWD", "TOKEN", "SECRET", "KEY", "CREDENTIAL", "AUTH")


def looks_secret(name: str) -> bool:
    """Whether a variable or key named ``name`` may hold a secret."""
    upper = name.upper()
    return any(word in upper for word in SECRET_WORDS)
