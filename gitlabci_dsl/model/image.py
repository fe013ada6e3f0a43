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


_PULL = choices(*PULL_POLICIES, anchor="imagepull_policy")
_DOCKER = of(nodes=("DockerOptions",), what="DockerOptions(...)", anchor="imagedocker")
_KUBE = of(nodes=("KubernetesOptions",), what="KubernetesOptions(...)", anchor="imagekubernetes")


def _image_name(inst: Any, attr: Any, value: Any) -> None:
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

    name: str = attrs.field(kw_only=False, validator=_image_name)
    entrypoint: Sequence[str] | None = attrs.field(
        default=None, validator=seq(str, what="strings", non_empty=True, anchor="imageentrypoint")
    )
    docker: DockerOptions | None = attrs.field(default=None, validator=_DOCKER)
    kubernetes: KubernetesOptions | None = attrs.field(default=None, validator=_KUBE)
    pull_policy: PullPolicy | Sequence[PullPolicy] | None = attrs.field(
        default=None, validator=_PULL
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)
