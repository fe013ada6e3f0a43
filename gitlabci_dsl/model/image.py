"""``image``: the container a job runs in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs

from .base import (
    EXTRA,
    Node,
    checked,
    choices,
    fail,
    of,
    seq,
)

if TYPE_CHECKING:
    from .executor_options import DockerOptions, KubernetesOptions

__all__ = ["PULL_POLICIES", "Image", "PullPolicy"]

PullPolicy = Literal["always", "never", "if-not-present"]
PULL_POLICIES: tuple[str, ...] = ("always", "never", "if-not-present")


# The validators of the fields that Image and Service share (a service is an image too).
PULL_POLICY = choices(*PULL_POLICIES, anchor="imagepull_policy")
DOCKER_OPTIONS = of(nodes=("DockerOptions",), what="DockerOptions(...)", anchor="imagedocker")
KUBERNETES_OPTIONS = of(
    nodes=("KubernetesOptions",), what="KubernetesOptions(...)", anchor="imagekubernetes"
)


def check_image_name(inst: Any, attr: Any, value: Any) -> None:
    """The ``name`` of an image or a service: a non-empty image reference."""
    if not isinstance(value, str) or not value.strip():
        fail(
            inst,
            "name",
            value,
            "must be a non-empty image reference such as 'docker:27.3'",
            "image",
        )


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Image(Node):
    """``image`` with options: ``Image("gcr.io/kaniko-project/executor:debug", entrypoint=[""])``.

    See https://docs.gitlab.com/ci/yaml/#image
    """

    name: str = attrs.field(kw_only=False, validator=check_image_name)
    entrypoint: Sequence[str] | None = attrs.field(
        default=None, validator=seq(str, what="strings", non_empty=True, anchor="imageentrypoint")
    )
    docker: DockerOptions | None = attrs.field(default=None, validator=DOCKER_OPTIONS)
    kubernetes: KubernetesOptions | None = attrs.field(default=None, validator=KUBERNETES_OPTIONS)
    pull_policy: PullPolicy | Sequence[PullPolicy] | None = attrs.field(
        default=None, validator=PULL_POLICY
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)
