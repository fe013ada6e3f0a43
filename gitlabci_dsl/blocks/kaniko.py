"""Kaniko builds: no Docker daemon, no privileged service.

Upstream Kaniko (GoogleContainerTools/kaniko) was archived in 2025 and gets no more fixes. The
article's pinned executor stays the default so existing pipelines keep working; ``executor``
takes any compatible image, for example a maintained fork. For new pipelines, prefer a maintained
daemonless builder such as Buildah.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from .. import ci
from ..model.base import FrozenDict, checked, fail, seq, shaped, validator_shape
from ..model.image import Image
from ..model.job import Job, Need, Stage
from ..model.rules import Rule
from ..model.values import Reference
from ._fields import (
    BOOL,
    NAME,
    NEEDS,
    NULLABLE,
    RULES,
    STAGE,
    TAGS,
    JobBlock,
    build_pipelines,
    text,
    texts,
)
from ._shell import command, quote
from .docker import build_flags, check_build_args
from .registry import (
    ImageRef,
    Registry,
    auth_config,
    image_reference,
    reference_problem,
    repository,
)
from .tags import TagStrategy

__all__ = ["KANIKO_EXECUTOR", "KanikoBuild"]

KANIKO_EXECUTOR = "gcr.io/kaniko-project/executor:v1.19.0-debug"
"""The article's pinned executor (the ``-debug`` variant has the busybox shell GitLab needs)."""

CONFIG = "/kaniko/.docker/config.json"


_DESTINATIONS = texts(
    "image references with a tag", lambda value: reference_problem(value, tag=True)
)
_REGISTRIES = seq(nodes=("Registry",), what="Registry objects such as Registry.gitlab()", anchor="")


@shaped(validator_shape(_REGISTRIES))
def _registries(inst: Any, attr: Any, value: Any) -> None:
    _REGISTRIES(inst, attr, value)
    if not value:
        fail(inst, "registries", value, "must name at least one registry to push to", "")


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class KanikoBuild(JobBlock):
    """A Kaniko build job: ``KanikoBuild(image=ci.REGISTRY_IMAGE, cache=True)``.

    Writes ``/kaniko/.docker/config.json`` for every registry in ``registries`` (each password
    base64-encoded together with its user, so the JSON is valid whatever the characters), then
    runs the executor with one ``--destination`` per tag of ``tags`` plus ``destinations``.
    ``cache=True`` adds ``--cache=true --cache-repo`` (``$CI_REGISTRY_IMAGE/cache`` by default).
    """

    name: str = attrs.field(default="build", validator=NAME)
    image: str = attrs.field(default=ci.REGISTRY_IMAGE, validator=repository)
    stage: Stage | str | None = attrs.field(default="build", validator=STAGE, metadata=NULLABLE)
    context: str = attrs.field(default=ci.PROJECT_DIR, validator=text())
    dockerfile: str | None = attrs.field(default=None, validator=text())
    build_args: Mapping[str, str] = attrs.field(factory=FrozenDict, validator=check_build_args)
    target: str | None = attrs.field(default=None, validator=text())
    labels: bool = attrs.field(default=True, validator=BOOL)
    image_tags: TagStrategy = attrs.field(factory=TagStrategy, validator=TAGS)
    destinations: Sequence[str] = attrs.field(default=(), validator=_DESTINATIONS)
    registries: Sequence[Registry] = attrs.field(
        factory=lambda: (Registry.gitlab(),), validator=_registries
    )
    cache: bool = attrs.field(default=False, validator=BOOL)
    cache_repo: str = attrs.field(default=f"{ci.REGISTRY_IMAGE}/cache", validator=image_reference())
    executor: str = attrs.field(default=KANIKO_EXECUTOR, validator=image_reference())
    rules: Sequence[Rule | Reference] | None = attrs.field(
        factory=build_pipelines, validator=RULES, metadata=NULLABLE
    )
    needs: Sequence[Job | Need | str] | None = attrs.field(default=None, validator=NEEDS)

    @property
    def image_ref(self) -> ImageRef:
        """The image this job pushes, with its immutable tag."""
        return ImageRef.parse(self.image).with_tag(self.image_tags.primary)

    def _config(self) -> str:
        """Shell lines writing the registry credentials file, secrets never on a command line."""
        return "mkdir -p /kaniko/.docker\n" + auth_config(self.registries, CONFIG)

    def _job(self) -> Job:
        """The build job."""
        dockerfile = self.dockerfile or f"{self.context}/Dockerfile"
        flags = [f"--context {quote(self.context)}", f"--dockerfile {quote(dockerfile)}"]
        flags += build_flags(None, self.target, self.build_args, labels=self.labels)
        if self.cache:
            flags += ["--cache=true", f"--cache-repo {quote(self.cache_repo)}"]
        flags += [f"--destination {quote(d)}" for d in self.destinations]
        # One --destination argument pair per tag, kept as positional parameters: each tag
        # one word whatever the image name holds (busybox sh has no arrays).
        destinations = 'set --\nfor tag in $TAGS; do set -- "$@" --destination "$IMAGE:$tag"; done'
        return Job(
            self.name,
            stage=self.stage,
            image=Image(self.executor, entrypoint=[""]),
            variables={"IMAGE": self.image},
            needs=self.needs,
            rules=self.rules,
            script=[
                self._config(),
                "\n".join(self.image_tags.shell()),
                destinations,
                command(["/kaniko/executor", *flags, '"$@"']),
            ],
        )
