"""``stages:``, as GitLab reads it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .facts import DEFAULT_STAGES
from .reader import Tagged

__all__ = ["flatten", "stages_of"]


def stages_of(config: Mapping[Any, Any]) -> list[str]:
    """The pipeline's stages, with ``.pre`` first and ``.post`` last as GitLab adds them."""
    given = config.get("stages")
    if not isinstance(given, list):
        return list(DEFAULT_STAGES)
    flat = [s for s in flatten(given) if isinstance(s, str)]
    return [".pre", *[s for s in flat if s not in (".pre", ".post")], ".post"]


def flatten(items: list[Any]) -> Iterator[Any]:
    """GitLab flattens nested lists (from anchors) in stages, scripts, needs..."""
    for item in items:
        if isinstance(item, list) and not isinstance(item, Tagged):
            yield from flatten(item)
        else:
            yield item
