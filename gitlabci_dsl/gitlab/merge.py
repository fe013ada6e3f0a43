"""GitLab's merge of configuration hashes (ActiveSupport's ``deep_merge``)."""

from __future__ import annotations

from typing import Any

__all__ = ["deep_merge"]


def deep_merge(base: dict[Any, Any], override: dict[Any, Any]) -> dict[Any, Any]:
    """``override`` over ``base``: mappings merge key by key, any other value replaces.

    Used for includes, ``extends`` and ``default:``; neither argument is changed.
    """
    result = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = value
    return result
