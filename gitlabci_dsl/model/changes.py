"""``rules:changes`` and ``rules:exists`` with options."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from .base import EXTRA, Node, checked, exclusive, fail, nonempty_str, seq, sized_str

__all__ = ["Changes", "Exists"]


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Changes(Node):
    """``rules:changes`` with options: ``Changes(paths=["src/**/*"], compare_to="refs/heads/main")``.

    See https://docs.gitlab.com/ci/yaml/#ruleschanges
    """

    paths: Sequence[str] | None = attrs.field(
        default=None, validator=seq(str, what="glob patterns", anchor="ruleschangespaths")
    )
    compare_to: str | None = attrs.field(
        default=None, validator=nonempty_str("ruleschangescompare_to")
    )
    regexp: str | None = attrs.field(default=None, validator=sized_str(1, 255, "ruleschanges"))
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)

    def _check(self) -> None:
        exclusive(self, ("paths", "regexp"), required=self.extra is None, anchor="ruleschanges")


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Exists(Node):
    """``rules:exists`` with options: ``Exists(paths=["Dockerfile"], project="g/p", ref="main")``.

    See https://docs.gitlab.com/ci/yaml/#rulesexists
    """

    paths: Sequence[str] | None = attrs.field(
        default=None, validator=seq(str, what="glob patterns", anchor="rulesexistspaths")
    )
    project: str | None = attrs.field(default=None, validator=nonempty_str("rulesexistsproject"))
    ref: str | None = attrs.field(default=None, validator=nonempty_str("rulesexistsref"))
    regexp: str | None = attrs.field(default=None, validator=sized_str(1, 255, "ruleschanges"))
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)

    def _check(self) -> None:
        if self.ref is not None and self.project is None:
            fail(self, "ref", self.ref, "is only valid together with project", "rulesexistsref")
