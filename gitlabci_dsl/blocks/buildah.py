"""Buildah builds: build and push without a Docker daemon and without a privileged service.

Buildah is maintained (it is Podman's build engine), runs unprivileged with the ``vfs`` storage
driver and ``chroot`` isolation, and reads Dockerfiles as they are: the daemonless way to build
now that upstream Kaniko is archived.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from .. import ci
from ..errors import ValidationError
from ..model._base import Node, checked
from ..model.job import Job, Stage
from ..model.rules import Rule
from ._shell import command
from .docker import OCI_LABELS
from .registry import PRIVATE_AUTH_FILE, ImageRef, Registry, repository
from .tags import TagStrategy

__all__ = ["BUILDAH_IMAGE", "BuildahBuild"]

BUILDAH_IMAGE = "quay.io/buildah/stable:v1.38.1"
"""The pinned Buildah image (Fedora-based, with a shell)."""


def _registry(inst: BuildahBuild, attr: object, value: Registry) -> None:
    if value.kind == "ecr":
        raise ValidationError(
            f"BuildahBuild {inst.name!r}: the Buildah image has no AWS CLI for an ECR login; "
            "build with DockerBuild for ECR, or push to another registry and Mirror(..., "
            "tool='docker') to ECR"
        )


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class BuildahBuild(Node):
    """A Buildah build job: ``BuildahBuild(image=ci.REGISTRY_IMAGE)``.

    Logs in with ``buildah login --password-stdin`` to a credentials file private to the job,
    builds once with the primary tag (``buildah build``, the ``vfs`` driver, ``chroot``
    isolation), then pushes that image under every tag of ``tags``: the same manifest, so
    every tag has the same digest. Same vocabulary as ``DockerBuild``: ``image``,
    ``registry``, ``tags``, ``context``, ``dockerfile``, ``build_args``, ``target``,
    ``platform``, ``labels``, ``stage``, ``rules``, ``needs``.
    """

    name: str = "build"
    image: str = attrs.field(default=ci.REGISTRY_IMAGE, validator=repository)
    stage: Stage | str | None = "build"
    context: str = "."
    dockerfile: str | None = None
    build_args: Mapping[str, str] = attrs.field(factory=dict)
    target: str | None = None
    platform: str | None = None
    labels: bool = True
    tags: TagStrategy = attrs.field(factory=TagStrategy)
    registry: Registry = attrs.field(factory=Registry.gitlab, validator=_registry)
    builder: str = BUILDAH_IMAGE
    rules: Sequence[Rule] | None = None
    needs: Sequence[Job | str] | None = None

    def _check(self) -> None:
        ImageRef.parse(self.builder)

    @property
    def image_ref(self) -> ImageRef:
        """The image this job pushes, with its immutable tag: what later jobs should pull."""
        return ImageRef.parse(self.image).with_tag(self.tags.primary)

    def job(self) -> Job:
        """The build job."""
        primary = f'"$IMAGE:{self.tags.primary}"'
        build = ["buildah build", f"--tag {primary}"]
        if self.dockerfile is not None:
            build.append(f'--file "{self.dockerfile}"')
        if self.target is not None:
            build.append(f'--target "{self.target}"')
        if self.platform is not None:
            build.append(f'--platform "{self.platform}"')
        build += [f'--build-arg "{k}={v}"' for k, v in self.build_args.items()]
        if self.labels:
            build += [f'--label "{k}={v}"' for k, v in OCI_LABELS.items()]
        return Job(
            self.name,
            stage=self.stage,
            image=self.builder,
            variables={"IMAGE": self.image, "STORAGE_DRIVER": "vfs", "BUILDAH_ISOLATION": "chroot"},
            needs=self.needs,
            rules=self.rules,
            before_script=[PRIVATE_AUTH_FILE, self.registry.docker_login("buildah")],
            script=[
                "\n".join(self.tags.shell()),
                command([*build, f'"{self.context}"']),
                f'for tag in $TAGS; do\n  buildah push {primary} "docker://$IMAGE:$tag"\ndone',
            ],
        )
