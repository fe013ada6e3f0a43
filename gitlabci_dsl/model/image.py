"""``image`` and ``services``: the containers a job runs in and beside."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs

from ._base import (
    EXTRA,
    SCALAR_TYPES,
    Node,
    checked,
    choices,
    fail,
    mapping,
    nonempty_str,
    of,
    seq,
    sized_str,
)

if TYPE_CHECKING:
    from .variable import Variable

__all__ = ["DockerOptions", "Image", "KubernetesOptions", "PullPolicy", "Service"]

PullPolicy = Literal["always", "never", "if-not-present"]
PULL_POLICIES: tuple[str, ...] = ("always", "never", "if-not-present")


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


def _command(inst: Any, attr: Any, value: Any) -> None:
    seq(str, what="strings", one=True, non_empty=True, anchor="servicescommand")(inst, attr, value)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Service(Node):
    """A service container: ``Service("docker:27.3-dind", alias="docker")``.

    See https://docs.gitlab.com/ci/yaml/#services
    """

    name: str = attrs.field(kw_only=False, validator=_image_name)
    alias: str | None = attrs.field(default=None, validator=nonempty_str("servicesalias"))
    entrypoint: Sequence[str] | None = attrs.field(
        default=None,
        validator=seq(str, what="strings", non_empty=True, anchor="servicesentrypoint"),
    )
    command: Sequence[str] | str | None = attrs.field(default=None, validator=_command)
    variables: Mapping[str, str | int | float | bool | Variable] | None = attrs.field(
        default=None,
        validator=mapping(
            *SCALAR_TYPES,
            nodes=("Variable",),
            what="a string or Variable",
            anchor="servicesvariables",
        ),
    )
    docker: DockerOptions | None = attrs.field(default=None, validator=_DOCKER)
    kubernetes: KubernetesOptions | None = attrs.field(default=None, validator=_KUBE)
    pull_policy: PullPolicy | Sequence[PullPolicy] | None = attrs.field(
        default=None, validator=_PULL
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)
