"""Docker-in-Docker builds: build, tag and push with TLS on and the password on stdin."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from .. import ci
from ..errors import ValidationError
from ..model._base import Node, checked
from ..model.job import Job, Stage
from ..model.rules import Rule
from ._shell import command
from .registry import ImageRef, Registry, repository
from .tags import TagStrategy

if TYPE_CHECKING:
    from ..model.parallel import Parallel

__all__ = ["DOCKER_VERSION", "DockerBuild", "InlineCache", "RegistryCache"]

DOCKER_VERSION = "27.3.1"
"""The pinned Docker release of the build image and its ``-dind`` service."""

_VERSION = re.compile(r"[0-9]+\.[0-9]+(?:\.[0-9]+)?")

# OCI image annotations filled from predefined variables: where the image came from.
OCI_LABELS: dict[str, str] = {
    "org.opencontainers.image.source": ci.PROJECT_URL,
    "org.opencontainers.image.revision": ci.COMMIT_SHA,
    "org.opencontainers.image.ref.name": ci.COMMIT_REF_NAME,
    "org.opencontainers.image.title": ci.PROJECT_NAME,
    "org.opencontainers.image.created": "$CI_PIPELINE_CREATED_AT",
}


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class InlineCache(Node):
    """BuildKit inline cache, as in the article: pull the previous image (tolerating its
    absence) and use it as ``--cache-from``; the new image embeds its cache metadata."""

    from_tag: str = "latest"


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class RegistryCache(Node):
    """buildx registry cache: ``--cache-from/--cache-to type=registry`` in a separate cache
    image (``$CI_REGISTRY_IMAGE/cache`` by default), ``mode=max`` caches every stage."""

    ref: str = f"{ci.REGISTRY_IMAGE}/cache"
    mode: str = "max"

    def _check(self) -> None:
        ImageRef.parse(self.ref)
        if self.mode not in ("min", "max"):
            raise ValidationError(f"RegistryCache: mode={self.mode!r} must be 'min' or 'max'")


def _docker_version(inst: DockerBuild, attr: object, value: str) -> None:
    if not _VERSION.fullmatch(value):
        raise ValidationError(
            f"DockerBuild {inst.name!r}: docker_version={value!r} must be a release such as "
            f"'{DOCKER_VERSION}' (images are pinned, never 'latest')"
        )


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class DockerBuild(Node):
    """A Docker-in-Docker build job: ``DockerBuild(image=f"{ci.REGISTRY_IMAGE}/api", context="api")``.

    Uses ``docker:<docker_version>`` with the matching ``-dind`` service and TLS on
    (``DOCKER_HOST=tcp://docker:2376``, ``DOCKER_TLS_CERTDIR=/certs``), logs in to ``registry``
    with ``--password-stdin``, builds once with the immutable tag, then tags and pushes every tag
    of ``tags``. ``cache`` adds a BuildKit inline cache or a buildx registry cache; ``platform``
    builds with buildx. ``job()`` returns the core :class:`~gitlabci_dsl.Job`.
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
    registry: Registry = attrs.field(factory=Registry.gitlab)
    docker_version: str = attrs.field(default=DOCKER_VERSION, validator=_docker_version)
    cache: InlineCache | RegistryCache | None = None
    rules: Sequence[Rule] | None = None
    needs: Sequence[Job | str] | None = None
    parallel: Parallel | None = None

    @property
    def image_ref(self) -> ImageRef:
        """The image this job pushes, with its immutable tag: what later jobs should pull."""
        return ImageRef.parse(self.image).with_tag(self.tags.primary)

    def _build_flags(self) -> list[str]:
        flags = []
        if self.dockerfile is not None:
            flags.append(f'--file "{self.dockerfile}"')
        if self.target is not None:
            flags.append(f'--target "{self.target}"')
        for key, value in self.build_args.items():
            flags.append(f'--build-arg "{key}={value}"')
        if self.labels:
            flags.extend(f'--label "{key}={value}"' for key, value in OCI_LABELS.items())
        return flags

    def _script(self) -> list[str]:
        primary = f'"$IMAGE:{self.tags.primary}"'
        flags = self._build_flags()
        lines = ["\n".join(self.tags.shell())]
        if isinstance(self.cache, RegistryCache) or self.platform is not None:
            # buildx with the docker-container driver: multi-platform builds and registry
            # caches need it, and it pushes every tag itself.
            buildx = ["docker buildx build", "--push"]
            if self.platform is not None:
                buildx.append(f'--platform "{self.platform}"')
            if isinstance(self.cache, RegistryCache):
                ref = self.cache.ref
                buildx.append(f'--cache-from "type=registry,ref={ref}"')
                buildx.append(f'--cache-to "type=registry,ref={ref},mode={self.cache.mode}"')
            lines.append("docker buildx create --use --driver docker-container")
            lines.append(
                'TAG_FLAGS=""\nfor tag in $TAGS; do TAG_FLAGS="$TAG_FLAGS --tag $IMAGE:$tag"; done'
            )
            lines.append(command([*buildx, *flags, "$TAG_FLAGS", f'"{self.context}"']))
            return lines
        build = ["docker build", "--pull", f"--tag {primary}"]
        if isinstance(self.cache, InlineCache):
            cached = f'"$IMAGE:{self.cache.from_tag}"'
            lines.append(f"docker pull {cached} || true")
            build += [f"--cache-from {cached}", "--build-arg BUILDKIT_INLINE_CACHE=1"]
        lines.append(command([*build, *flags, f'"{self.context}"']))
        lines.append(
            "for tag in $TAGS; do\n"
            f'  docker tag {primary} "$IMAGE:$tag"\n'
            '  docker push "$IMAGE:$tag"\n'
            "done"
        )
        return lines

    def job(self) -> Job:
        """The build job."""
        version = self.docker_version
        variables: dict[str, str] = {
            "DOCKER_HOST": "tcp://docker:2376",
            "DOCKER_TLS_CERTDIR": "/certs",
            "DOCKER_TLS_VERIFY": "1",
            "DOCKER_CERT_PATH": "/certs/client",
            "DOCKER_BUILDKIT": "1",
            "IMAGE": self.image,
        }
        return Job(
            self.name,
            stage=self.stage,
            image=f"docker:{version}",
            services=[f"docker:{version}-dind"],
            variables=variables,
            needs=self.needs,
            rules=self.rules,
            parallel=self.parallel,
            before_script=[*self.registry.login_setup(), self.registry.docker_login()],
            script=self._script(),
        )

    @classmethod
    def many(
        cls,
        images: Mapping[str, str],
        *,
        template: DockerBuild | None = None,
        base: str = ci.REGISTRY_IMAGE,
        only_changed: bool = False,
    ) -> list[DockerBuild]:
        """One build per image of a multi-image project: ``{"frontend": "./frontend", ...}`` →
        jobs ``build-frontend`` pushing ``$CI_REGISTRY_IMAGE/frontend`` from ``./frontend``.

        Every other setting comes from ``template``. ``only_changed=True`` adds
        ``rules:changes`` on each image's folder, so only the images whose sources changed are
        rebuilt (tag pipelines always build everything).
        """
        template = template or cls()
        builds = []
        for name, context in images.items():
            folder = context.removeprefix("./").rstrip("/")
            rules = template.rules
            if only_changed:
                changed = [f"{folder}/**/*"] if folder not in ("", ".") else ["**/*"]
                rules = [Rule(if_=ci.COMMIT_TAG), Rule(changes=changed)]
            builds.append(
                attrs.evolve(
                    template,
                    name=f"build-{name}",
                    image=f"{base}/{name}",
                    context=context,
                    rules=rules,
                )
            )
        return builds

    @classmethod
    def matrix(
        cls,
        names: Sequence[str],
        *,
        template: DockerBuild | None = None,
        base: str = ci.REGISTRY_IMAGE,
    ) -> DockerBuild:
        """All images of a multi-image project in one ``parallel:matrix`` job: image
        ``$CI_REGISTRY_IMAGE/<name>`` built from the folder ``<name>``."""
        from ..model.parallel import Parallel

        template = template or cls()
        for name in names:
            ImageRef.parse(f"{base}/{name}")
        return attrs.evolve(
            template,
            image=f"{base}/$IMAGE_NAME",
            context="$IMAGE_NAME",
            parallel=Parallel(matrix=[{"IMAGE_NAME": list(names)}]),
        )
