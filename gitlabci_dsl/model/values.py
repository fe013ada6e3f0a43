"""``!reference [job, key, ...]``: reuse a section of another job or template."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from ..errors import ValidationError
from ._base import DOCS, Node

if TYPE_CHECKING:
    from .job import Job

__all__ = ["Reference"]


@attrs.frozen(init=False, repr=False, eq=False)
class Reference(Node):
    """``!reference [job, key, ...]``: reuse a section of another job or template.

    ``Reference(setup, "script")`` or ``Reference(".setup", "script")``; a ``Job`` as the first
    element stands for its name. Emitted as the real YAML tag.
    See https://docs.gitlab.com/ci/yaml/yaml_optimization/#reference-tags
    """

    path: tuple[str, ...]

    def __init__(self, *path: str | Job) -> None:
        names: tuple[Any, ...] = tuple(
            p if isinstance(p, str) else getattr(p, "name", p) for p in path
        )
        if len(names) < 2 or not all(isinstance(n, str) and n for n in names):
            raise ValidationError(
                f"Reference{path!r}: give a job name (or Job) and at least one key, "
                "e.g. Reference('.setup', 'script'). "
                f"See {DOCS.replace('yaml/', 'yaml/yaml_optimization/')}#reference-tags"
            )
        self.__attrs_init__(path=names)
