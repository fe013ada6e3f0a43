"""``workflow:auto_cancel``: which jobs a newer pipeline or a failure cancels."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

from .base import EXTRA, Node, checked, choice

__all__ = ["AutoCancel"]


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class AutoCancel(Node):
    """``workflow:auto_cancel``. See https://docs.gitlab.com/ci/yaml/#workflowauto_cancel"""

    on_new_commit: Literal["conservative", "interruptible", "none"] | None = attrs.field(
        default=None,
        validator=choice(
            "conservative", "interruptible", "none", anchor="workflowauto_cancelon_new_commit"
        ),
    )
    on_job_failure: Literal["none", "all"] | None = attrs.field(
        default=None, validator=choice("none", "all", anchor="workflowauto_cancelon_job_failure")
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)
