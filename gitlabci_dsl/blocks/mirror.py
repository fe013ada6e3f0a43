"""Mirror an image to another registry (ECR, Docker Hub, any registry)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import attrs

from .. import ci
from ..errors import ValidationError
from ..model.base import checked
from ..model.image import Image
from ..model.job import Job, Need, Stage
from ..model.rules import Rule
from ..model.sources import runs_on
from ..model.values import Reference
from ._fields import NAME, NEEDS, NULLABLE, REGISTRY, RULES, STAGE, TAGS, JobBlock, closed
from ._shell import quote
from .docker import DOCKER_VERSION
from .registry import PRIVATE_AUTH_FILE, ImageRef, Registry, image_reference, repository
from .tags import TagStrategy

__all__ = ["CRANE_IMAGE", "SKOPEO_IMAGE", "Mirror"]

SKOPEO_IMAGE = "quay.io/skopeo/stable:v1.16.1"
CRANE_IMAGE = "gcr.io/go-containerregistry/crane:debug"
"""crane publishes no versioned debug tag; pin it by digest with ``crane_image=`` if you can."""

MirrorTool = Literal["skopeo", "crane", "docker"]


def _default_target_registry() -> Registry:
    return Registry.basic(host="$MIRROR_REGISTRY", user="$MIRROR_USER", password="$MIRROR_PASSWORD")


def _default_tags() -> TagStrategy:
    return TagStrategy(branch=False, latest=False)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Mirror(JobBlock):
    """Copy an image to another registry: ``Mirror(source=build.image_ref)``.

    The target comes from variables (``$MIRROR_REGISTRY``, ``$MIRROR_USER``,
    ``$MIRROR_PASSWORD`` by default; ``Registry.ecr()`` for Amazon ECR), never hard-coded.
    ``tool="skopeo"`` (default) or ``"crane"`` copy registry to registry with no Docker daemon
    and keep every platform of a multi-platform image; ``tool="docker"`` is the article's
    pull/tag/push through Docker-in-Docker. Every tag of ``image_tags`` is pushed (on a tag
    pipeline: the commit SHA and the version). ``on="tags"`` (default) mirrors only on tag
    pipelines, ``on="always"`` on branch and tag pipelines (never schedules);
    ``rules=[...]``, when given, decide instead.
    """

    source: ImageRef | str = attrs.field(validator=image_reference(nodes=True))
    target: str = attrs.field(default=f"$MIRROR_REGISTRY/{ci.PROJECT_NAME}", validator=repository)
    name: str = attrs.field(default="mirror", validator=NAME)
    stage: Stage | str | None = attrs.field(default="publish", validator=STAGE, metadata=NULLABLE)
    source_registry: Registry = attrs.field(factory=Registry.gitlab, validator=REGISTRY)
    target_registry: Registry = attrs.field(factory=_default_target_registry, validator=REGISTRY)
    image_tags: TagStrategy = attrs.field(factory=_default_tags, validator=TAGS)
    tool: MirrorTool = attrs.field(default="skopeo", validator=closed("skopeo", "crane", "docker"))
    on: Literal["tags", "always"] = attrs.field(default="tags", validator=closed("tags", "always"))
    needs: Sequence[Job | Need | str] | None = attrs.field(default=None, validator=NEEDS)
    rules: Sequence[Rule | Reference] | None = attrs.field(default=None, validator=RULES)

    def _check(self) -> None:
        ecr = "ecr" in (self.source_registry.kind, self.target_registry.kind)
        if ecr and self.tool != "docker":
            raise ValidationError(
                f"Mirror {self.name!r}: tool={self.tool!r} cannot log in to Amazon ECR (its image "
                "has no AWS CLI); use tool='docker', whose image installs it"
            )

    def _rules(self) -> Sequence[Rule | Reference] | None:
        if self.rules is not None:
            return self.rules
        return runs_on("tags") if self.on == "tags" else runs_on("branches", "tags")

    def _job(self) -> Job:
        """The mirror job."""
        source = str(self.source)
        copy = {
            "skopeo": f'skopeo copy --all {quote(f"docker://{source}")} "docker://$TARGET:$tag"',
            "crane": f'crane copy {quote(source)} "$TARGET:$tag"',
            "docker": f'docker tag {quote(source)} "$TARGET:$tag"\n  docker push "$TARGET:$tag"',
        }[self.tool]
        script = ["\n".join(self.image_tags.shell())]
        if self.tool == "docker":
            script.append(f"docker pull {quote(source)}")
        script.append(f"for tag in $TAGS; do\n  {copy}\ndone")
        setup = [*self.source_registry.login_setup(), *self.target_registry.login_setup()]
        logins = [
            *dict.fromkeys(setup),
            *([PRIVATE_AUTH_FILE] if self.tool == "skopeo" else []),
            self.source_registry.docker_login(self.tool),
            self.target_registry.docker_login(self.tool),
        ]
        variables = {"TARGET": self.target}
        image: Image | str
        services = None
        if self.tool == "docker":
            image = f"docker:{DOCKER_VERSION}"
            services = [f"docker:{DOCKER_VERSION}-dind"]
            variables = {
                "DOCKER_HOST": "tcp://docker:2376",
                "DOCKER_TLS_CERTDIR": "/certs",
                **variables,
            }
        else:
            image = Image(SKOPEO_IMAGE if self.tool == "skopeo" else CRANE_IMAGE, entrypoint=[""])
        return Job(
            self.name,
            stage=self.stage,
            image=image,
            services=services,
            variables=variables,
            needs=self.needs,
            rules=self._rules(),
            before_script=logins,
            script=script,
        )
