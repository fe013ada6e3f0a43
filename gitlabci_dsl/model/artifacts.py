"""``artifacts`` and its ``reports``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs

from .base import EXTRA, Node, checked, choice, duration, fail, of, seq

if TYPE_CHECKING:
    from .reports import Reports

__all__ = ["Artifacts"]


def _paths(anchor: str) -> Any:
    return seq(str, what="paths", one=True, anchor=anchor)


_WHEN = choice("on_success", "on_failure", "always", anchor="artifactswhen")


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Artifacts(Node):
    """``artifacts``: files kept after the job. See https://docs.gitlab.com/ci/yaml/#artifacts"""

    paths: Sequence[str] | None = attrs.field(default=None, validator=_paths("artifactspaths"))
    exclude: Sequence[str] | None = attrs.field(default=None, validator=_paths("artifactsexclude"))
    expose_as: str | None = attrs.field(
        default=None, validator=of(str, what="a string", anchor="artifactsexpose_as")
    )
    name: str | None = attrs.field(
        default=None, validator=of(str, what="a string", anchor="artifactsname")
    )
    untracked: bool | None = attrs.field(
        default=None, validator=of(bool, what="True or False", anchor="artifactsuntracked")
    )
    when: Literal["on_success", "on_failure", "always"] | None = attrs.field(
        default=None, validator=_WHEN
    )
    access: Literal["none", "developer", "maintainer", "all"] | None = attrs.field(
        default=None,
        validator=choice("none", "developer", "maintainer", "all", anchor="artifactsaccess"),
    )
    public: bool | None = attrs.field(
        default=None, validator=of(bool, what="True or False", anchor="artifactspublic")
    )
    expire_in: str | None = attrs.field(
        default=None, validator=duration("artifactsexpire_in", never=True)
    )
    reports: Reports | None = attrs.field(
        default=None,
        validator=of(nodes=("Reports",), what="Reports(...)", anchor="artifactsreports"),
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)

    def _check(self) -> None:
        if self.public is not None and self.access is not None:
            fail(
                self,
                "public",
                self.public,
                "cannot be combined with access; use access only",
                "artifactsaccess",
            )
