"""``!reference [job, key, ...]``: reuse a section of another job or template."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from ..errors import ValidationError
from .base import DOCS, Node

if TYPE_CHECKING:
    from .job import Job

__all__ = ["Reference"]


@attrs.frozen(init=False, repr=False, eq=False)
class Reference(Node):
    """``!reference [job, key, ...]``: reuse a section of another job, template or top-level key.

    ``Reference(setup, "script")`` or ``Reference(".setup", "script")``; a ``Job`` as the first
    element stands for its name. Emitted as the real YAML tag.
    See https://docs.gitlab.com/ci/yaml/yaml_optimization/#reference-tags
    """

    path: tuple[str, ...]

    def __init__(self, *path: str | Job) -> None:
        names: tuple[Any, ...] = tuple(
            p if isinstance(p, str) else getattr(p, "name", p) for p in path
        )
        # One name alone is allowed: GitLab reads `!reference [.tags]` as the whole top-level
        # key `.tags` (gitlab-runner's own pipeline does this).
        if not names or not all(isinstance(n, str) and n for n in names):
            raise ValidationError(
                f"Reference{path!r}: give a job or top-level key (or a Job), then the keys "
                "inside it, e.g. Reference('.setup', 'script'). "
                f"See {DOCS.replace('yaml/', 'yaml/yaml_optimization/')}#reference-tags"
            )
        self.__attrs_init__(path=names)
