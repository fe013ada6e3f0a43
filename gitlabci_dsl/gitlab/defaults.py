"""What a job inherits from ``default:``, the deprecated top-level defaults and the top-level
``variables``, as GitLab applies them after ``extends``.

A key the job sets replaces the default whole (no merging); ``inherit: default:`` (``false``,
or the list of defaults to keep) and ``inherit: variables:`` (``false``, or the names to keep)
choose what is inherited. A top-level ``image``, ``services``, ``cache``, ``before_script`` or
``after_script`` is a default too, unless ``default:`` sets the same key.
See https://docs.gitlab.com/ci/yaml/#default and https://docs.gitlab.com/ci/yaml/#inherit
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .facts import DEFAULT_KEYS, DEPRECATED_GLOBALS

__all__ = ["effective_job"]


def effective_job(job: Mapping[Any, Any], config: Mapping[Any, Any]) -> dict[Any, Any]:
    """``job`` (already merged with what it ``extends``) with the defaults and variables of
    ``config`` (the pipeline's top-level mapping) it inherits."""
    inherit = job.get("inherit")
    inherit = inherit if isinstance(inherit, Mapping) else {}
    defaults: dict[Any, Any] = {k: config[k] for k in DEPRECATED_GLOBALS if k in config}
    default = config.get("default")
    if isinstance(default, Mapping):
        defaults.update((k, v) for k, v in default.items() if k in DEFAULT_KEYS)
    kept = _kept(inherit.get("default", True), defaults)
    result = {k: v for k, v in defaults.items() if k in kept and k not in job}
    result.update(job)
    variables = config.get("variables")
    if isinstance(variables, Mapping):
        chosen = _kept(inherit.get("variables", True), variables)
        inherited = {k: v for k, v in variables.items() if k in chosen}
        own = job.get("variables")
        if inherited or isinstance(own, Mapping):
            result["variables"] = {**inherited, **(own if isinstance(own, Mapping) else {})}
    return result


def _kept(choice: Any, available: Mapping[Any, Any]) -> set[Any]:
    """The keys ``inherit:`` keeps: all (``true``), none (``false``) or those listed."""
    if choice is True:
        return set(available)
    if isinstance(choice, list):
        return {item for item in choice if isinstance(item, str)}
    return set()
