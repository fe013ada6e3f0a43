"""``docker:`` and ``kubernetes:`` options of an image or service (executor settings)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from .base import EXTRA, Node, checked, nonempty_str, of, sized_str

__all__ = ["DockerOptions", "KubernetesOptions"]


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class DockerOptions(Node):
    """``docker: {platform, user}`` of an image or service (Docker executor).

    See https://docs.gitlab.com/ci/yaml/#imagedocker
    """

    platform: str | None = attrs.field(default=None, validator=nonempty_str("imagedocker"))
    user: str | None = attrs.field(default=None, validator=sized_str(1, 255, "imagedocker"))
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class KubernetesOptions(Node):
    """``kubernetes: {user}`` of an image or service (Kubernetes executor).

    See https://docs.gitlab.com/ci/yaml/#imagekubernetes
    """

    user: str | int | None = attrs.field(
        default=None, validator=of(str, int, what="a user name or UID", anchor="imagekubernetes")
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)
