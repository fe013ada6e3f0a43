"""``release``: create a GitLab release from a job."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs

from .base import EXTRA, Node, checked, choice, nonempty_str, of, pattern, seq

__all__ = ["Release", "ReleaseLink"]


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class ReleaseLink(Node):
    """One asset link of a release. See https://docs.gitlab.com/ci/yaml/#releaseassetslinks"""

    name: str = attrs.field(validator=nonempty_str("releaseassetslinks"))
    url: str = attrs.field(validator=nonempty_str("releaseassetslinks"))
    filepath: str | None = attrs.field(
        default=None, validator=of(str, what="a string", anchor="releaseassetslinks")
    )
    link_type: Literal["runbook", "package", "image", "other"] | None = attrs.field(
        default=None,
        validator=choice("runbook", "package", "image", "other", anchor="releaseassetslinks"),
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)


_ISO = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})"


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Release(Node):
    """``release``: ``Release(tag_name="$CI_COMMIT_TAG", description="Release $CI_COMMIT_TAG")``.

    See https://docs.gitlab.com/ci/yaml/#release
    """

    tag_name: str = attrs.field(validator=nonempty_str("releasetag_name"))
    description: str = attrs.field(validator=nonempty_str("releasedescription"))
    tag_message: str | None = attrs.field(
        default=None, validator=of(str, what="a string", anchor="releasetag_message")
    )
    name: str | None = attrs.field(
        default=None, validator=of(str, what="a string", anchor="releasename")
    )
    ref: str | None = attrs.field(
        default=None, validator=of(str, what="a string", anchor="releaseref")
    )
    milestones: Sequence[str] | None = attrs.field(
        default=None, validator=seq(str, what="milestone titles", anchor="releasemilestones")
    )
    released_at: str | None = attrs.field(
        default=None,
        validator=pattern(
            _ISO,
            "must be an ISO 8601 date-time such as '2026-03-15T08:00:00Z'",
            "releasereleased_at",
        ),
    )
    assets: Sequence[ReleaseLink] | None = attrs.field(
        default=None,
        validator=seq(
            nodes=("ReleaseLink",),
            what="ReleaseLink(...)",
            non_empty=True,
            anchor="releaseassetslinks",
        ),
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)
