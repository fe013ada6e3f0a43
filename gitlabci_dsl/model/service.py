"""``services``: containers that run beside a job (databases, Docker-in-Docker...)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .base import EXTRA, SCALAR_TYPES, Node, checked, mapping, nonempty_str, seq
from .image import DOCKER_OPTIONS, KUBERNETES_OPTIONS, PULL_POLICY, PullPolicy, check_image_name

if TYPE_CHECKING:
    from .executor_options import DockerOptions, KubernetesOptions
    from .variable import Variable

__all__ = ["Service"]


_COMMAND = seq(str, what="strings", one=True, non_empty=True, anchor="servicescommand")


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Service(Node):
    """A service container: ``Service("docker:27.3-dind", alias="docker")``.

    See https://docs.gitlab.com/ci/yaml/#services
    """

    name: str = attrs.field(kw_only=False, validator=check_image_name)
    alias: str | None = attrs.field(default=None, validator=nonempty_str("servicesalias"))
    entrypoint: Sequence[str] | None = attrs.field(
        default=None,
        validator=seq(str, what="strings", non_empty=True, anchor="servicesentrypoint"),
    )
    command: Sequence[str] | str | None = attrs.field(default=None, validator=_COMMAND)
    variables: Mapping[str, str | int | float | bool | Variable] | None = attrs.field(
        default=None,
        validator=mapping(
            *SCALAR_TYPES,
            nodes=("Variable",),
            what="a string or Variable",
            anchor="servicesvariables",
        ),
    )
    docker: DockerOptions | None = attrs.field(default=None, validator=DOCKER_OPTIONS)
    kubernetes: KubernetesOptions | None = attrs.field(default=None, validator=KUBERNETES_OPTIONS)
    pull_policy: PullPolicy | Sequence[PullPolicy] | None = attrs.field(
        default=None, validator=PULL_POLICY
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)
