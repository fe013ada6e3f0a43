"""Buildah builds: build and push without a Docker daemon and without a privileged service.

Buildah is maintained (it is Podman's build engine), runs unprivileged with the ``vfs`` storage
driver and ``chroot`` isolation, and reads Dockerfiles as they are: the daemonless way to build
now that upstream Kaniko is archived.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from .. import ci
from ..model.base import FrozenDict, checked, fail, shaped, validator_shape
from ..model.job import Job, Need, Stage
from ..model.rules import Rule
from ..model.values import Reference
from ._fields import (
    BOOL,
    NAME,
    NEEDS,
    NULLABLE,
    REGISTRY,
    RULES,
    STAGE,
    TAGS,
    JobBlock,
    build_pipelines,
    text,
)
from ._shell import command, quote
from .docker import build_flags, check_build_args, check_platform
from .registry import PRIVATE_AUTH_FILE, ImageRef, Registry, image_reference, repository
from .tags import TagStrategy

__all__ = ["BUILDAH_IMAGE", "BuildahBuild"]

BUILDAH_IMAGE = "quay.io/buildah/stable:v1.38.1"
"""The pinned Buildah image (Fedora-based, with a shell)."""


@shaped(validator_shape(REGISTRY))
def _registry(inst: Any, attr: Any, value: Any) -> None:
    REGISTRY(inst, attr, value)
    if value.kind == "ecr":
        fail(
            inst,
            "registry",
            value,
            "cannot log in: the Buildah image has no AWS CLI for an ECR login; build with "
            "DockerBuild for ECR, or push to another registry and Mirror(..., tool='docker') to ECR",
            "",
        )


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class BuildahBuild(JobBlock):
    """A Buildah build job: ``BuildahBuild(image=ci.REGISTRY_IMAGE)``.

    Logs in with ``buildah login --password-stdin`` to a credentials file private to the job,
    builds once with the primary tag (``buildah build``, the ``vfs`` driver, ``chroot``
    isolation), then pushes that image under every tag of ``tags``: the same manifest, so
    every tag has the same digest. Same vocabulary as ``DockerBuild``: ``image``,
    ``registry``, ``tags``, ``context``, ``dockerfile``, ``build_args``, ``target``,
    ``platform``, ``labels``, ``stage``, ``rules``, ``needs``.
    """

    name: str = attrs.field(default="build", validator=NAME)
    image: str = attrs.field(default=ci.REGISTRY_IMAGE, validator=repository)
    stage: Stage | str | None = attrs.field(default="build", validator=STAGE, metadata=NULLABLE)
    context: str = attrs.field(default=".", validator=text())
    dockerfile: str | None = attrs.field(default=None, validator=text())
    build_args: Mapping[str, str] = attrs.field(factory=FrozenDict, validator=check_build_args)
    target: str | None = attrs.field(default=None, validator=text())
    platform: str | Sequence[str] | None = attrs.field(default=None, validator=check_platform)
    labels: bool = attrs.field(default=True, validator=BOOL)
    image_tags: TagStrategy = attrs.field(factory=TagStrategy, validator=TAGS)
    registry: Registry = attrs.field(factory=Registry.gitlab, validator=_registry)
    builder: str = attrs.field(default=BUILDAH_IMAGE, validator=image_reference())
    rules: Sequence[Rule | Reference] | None = attrs.field(
        factory=build_pipelines, validator=RULES, metadata=NULLABLE
    )
    needs: Sequence[Job | Need | str] | None = attrs.field(default=None, validator=NEEDS)

    @property
    def image_ref(self) -> ImageRef:
        """The image this job pushes, with its immutable tag: what later jobs should pull."""
        return ImageRef.parse(self.image).with_tag(self.image_tags.primary)

    def _job(self) -> Job:
        """The build job."""
        primary = quote(f"$IMAGE:{self.image_tags.primary}")
        flags = build_flags(
            self.dockerfile,
            self.target,
            self.build_args,
            labels=self.labels,
            platform=self.platform,
        )
        return Job(
            self.name,
            stage=self.stage,
            image=self.builder,
            variables={"IMAGE": self.image, "STORAGE_DRIVER": "vfs", "BUILDAH_ISOLATION": "chroot"},
            needs=self.needs,
            rules=self.rules,
            before_script=[PRIVATE_AUTH_FILE, self.registry.docker_login("buildah")],
            script=[
                "\n".join(self.image_tags.shell()),
                command(["buildah build", f"--tag {primary}", *flags, quote(self.context)]),
                f'for tag in $TAGS; do\n  buildah push {primary} "docker://$IMAGE:$tag"\ndone',
            ],
        )
