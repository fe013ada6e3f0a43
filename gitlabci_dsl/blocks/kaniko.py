"""Kaniko builds: no Docker daemon, no privileged service.

Upstream Kaniko (GoogleContainerTools/kaniko) was archived in 2025 and gets no more fixes. The
article's pinned executor stays the default so existing pipelines keep working; ``executor``
takes any compatible image, for example a maintained fork. For new pipelines, prefer a maintained
daemonless builder such as Buildah.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from .. import ci
from ..errors import ValidationError
from ..model._base import Node, checked
from ..model.image import Image
from ..model.job import Job, Stage
from ..model.rules import Rule
from ._shell import command
from .docker import OCI_LABELS
from .registry import ImageRef, Registry, auth_config, repository
from .tags import TagStrategy

__all__ = ["KANIKO_EXECUTOR", "KanikoBuild"]

KANIKO_EXECUTOR = "gcr.io/kaniko-project/executor:v1.19.0-debug"
"""The article's pinned executor (the ``-debug`` variant has the busybox shell GitLab needs)."""

CONFIG = "/kaniko/.docker/config.json"


def _destinations(inst: KanikoBuild, attr: object, value: Sequence[str]) -> None:
    if isinstance(value, str):
        raise ValidationError(
            f"KanikoBuild {inst.name!r}: destinations must be a list of image references"
        )
    for item in value:
        if ImageRef.parse(item).tag is None:
            raise ValidationError(
                f"KanikoBuild {inst.name!r}: destination {item!r} needs a tag, e.g. '{item}:$CI_COMMIT_SHA'"
            )
    object.__setattr__(inst, "destinations", tuple(value))


def _registries(inst: KanikoBuild, attr: object, value: Sequence[Registry]) -> None:
    if not value:
        raise ValidationError(
            f"KanikoBuild {inst.name!r}: registries must name at least one registry to push to"
        )
    object.__setattr__(inst, "registries", tuple(value))


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class KanikoBuild(Node):
    """A Kaniko build job: ``KanikoBuild(image=ci.REGISTRY_IMAGE, cache=True)``.

    Writes ``/kaniko/.docker/config.json`` for every registry in ``registries`` (each password
    base64-encoded together with its user, so the JSON is valid whatever the characters), then
    runs the executor with one ``--destination`` per tag of ``tags`` plus ``destinations``.
    ``cache=True`` adds ``--cache=true --cache-repo`` (``$CI_REGISTRY_IMAGE/cache`` by default).
    """

    name: str = "build"
    image: str = attrs.field(default=ci.REGISTRY_IMAGE, validator=repository)
    stage: Stage | str | None = "build"
    context: str = ci.PROJECT_DIR
    dockerfile: str | None = None
    build_args: Mapping[str, str] = attrs.field(factory=dict)
    target: str | None = None
    labels: bool = True
    tags: TagStrategy = attrs.field(factory=TagStrategy)
    destinations: Sequence[str] = attrs.field(default=(), validator=_destinations)
    registries: Sequence[Registry] = attrs.field(
        factory=lambda: (Registry.gitlab(),), validator=_registries
    )
    cache: bool = False
    cache_repo: str = f"{ci.REGISTRY_IMAGE}/cache"
    executor: str = KANIKO_EXECUTOR
    rules: Sequence[Rule] | None = None
    needs: Sequence[Job | str] | None = None

    def _check(self) -> None:
        ImageRef.parse(self.executor)
        ImageRef.parse(self.cache_repo)

    @property
    def image_ref(self) -> ImageRef:
        """The image this job pushes, with its immutable tag."""
        return ImageRef.parse(self.image).with_tag(self.tags.primary)

    def _config(self) -> str:
        """Shell lines writing the registry credentials file, secrets never on a command line."""
        return "mkdir -p /kaniko/.docker\n" + auth_config(self.registries, CONFIG)

    def job(self) -> Job:
        """The build job."""
        dockerfile = self.dockerfile or f"{self.context}/Dockerfile"
        flags = [f'--context "{self.context}"', f'--dockerfile "{dockerfile}"']
        if self.target is not None:
            flags.append(f'--target "{self.target}"')
        flags += [f'--build-arg "{k}={v}"' for k, v in self.build_args.items()]
        if self.labels:
            flags += [f'--label "{k}={v}"' for k, v in OCI_LABELS.items()]
        if self.cache:
            flags += ["--cache=true", f'--cache-repo "{self.cache_repo}"']
        flags += [f'--destination "{d}"' for d in self.destinations]
        destinations = 'DESTINATIONS=""\nfor tag in $TAGS; do DESTINATIONS="$DESTINATIONS --destination $IMAGE:$tag"; done'
        return Job(
            self.name,
            stage=self.stage,
            image=Image(self.executor, entrypoint=[""]),
            variables={"IMAGE": self.image},
            needs=self.needs,
            rules=self.rules,
            script=[
                self._config(),
                "\n".join(self.tags.shell()),
                destinations,
                command(["/kaniko/executor", *flags, "$DESTINATIONS"]),
            ],
        )
