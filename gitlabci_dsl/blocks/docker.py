"""Docker-in-Docker builds: build, tag and push with TLS on and the password on stdin."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .. import ci
from ..model.base import LIST, NAMED, FrozenDict, checked, fail, mapping, of, shaped, type_name
from ..model.job import Job, Need, Stage
from ..model.rules import Rule
from ..model.values import Reference
from ._fields import (
    BOOL,
    NAME,
    NEEDS,
    NULLABLE,
    PARALLEL,
    REGISTRY,
    RULES,
    STAGE,
    TAGS,
    Block,
    JobBlock,
    build_pipelines,
    closed,
    has_control,
    text,
)
from ._shell import command, quote
from .registry import ImageRef, Registry, image_reference, image_tag, opaque, repository
from .tags import TagStrategy

if TYPE_CHECKING:
    from ..model.parallel import Parallel

__all__ = ["DOCKER_VERSION", "DockerBuild", "InlineCache", "RegistryCache"]

DOCKER_VERSION = "27.3.1"
"""The pinned Docker release of the build image and its ``-dind`` service."""

# A Docker release: [0-9]+\.[0-9]+(?:\.[0-9]+)?, two or three numbers.

# OCI image annotations filled from predefined variables: where the image came from.
OCI_LABELS: dict[str, str] = {
    "org.opencontainers.image.source": ci.PROJECT_URL,
    "org.opencontainers.image.revision": ci.COMMIT_SHA,
    "org.opencontainers.image.ref.name": ci.COMMIT_REF_NAME,
    "org.opencontainers.image.title": ci.PROJECT_NAME,
    "org.opencontainers.image.created": "$CI_PIPELINE_CREATED_AT",
}


# Build argument names as Dockerfiles declare them (ARG NAME). Patterns that re compiles on first
# use: most builds set neither build_args nor platform.
_ARG_NAME = r"[A-Za-z_][A-Za-z0-9_.-]*"
# os[/architecture[/variant]], as buildx and buildah take them: linux/amd64, linux/arm/v7.
_PLATFORM = r"[a-z0-9_]+(?:/[a-z0-9_.]+){0,2}"

_STRINGS = mapping(str, what="a string", anchor="")


@shaped(NAMED)
def check_build_args(inst: Any, attr: Any, value: Any) -> None:
    """Validator of ``build_args``: ``{"NAME": "value"}``, stored as a read-only copy."""
    _STRINGS(inst, attr, value)
    for key, item in getattr(inst, attr.name).items():
        if not re.fullmatch(_ARG_NAME, key):
            fail(
                inst,
                attr.name,
                value,
                f"key {key!r} must be a build argument name: letters, digits, '_', '.' or '-', "
                "not starting with a digit",
                "",
            )
        if has_control(item):
            fail(
                inst,
                attr.name,
                value,
                f"value of {key!r} must not hold control characters or line breaks (it goes "
                "into a shell line)",
                "",
            )


@shaped(LIST)
def check_platform(inst: Any, attr: Any, value: Any) -> None:
    """Validator of ``platform``: ``"linux/amd64"`` or a non-empty list of platforms (stored as a
    tuple); a string may already be comma-joined, as buildx takes it."""
    rule = (
        "must be a platform such as 'linux/amd64' or a list of them, "
        "e.g. ['linux/amd64', 'linux/arm64']"
    )
    if isinstance(value, str):
        items: tuple[Any, ...] = tuple(value.split(","))
    elif isinstance(value, (list, tuple)):
        items = tuple(value)
        if not items:
            fail(
                inst, attr.name, value, "must name at least one platform, e.g. ['linux/amd64']", ""
            )
        object.__setattr__(inst, attr.name, items)  # frozen during its own construction
    else:
        fail(inst, attr.name, value, f"{rule}, not {type_name(value)}", "")
    for item in items:
        if not isinstance(item, str) or not re.fullmatch(_PLATFORM, opaque(item)):
            fail(inst, attr.name, value, f"{rule}; {item!r} is not a platform", "")


def platforms(value: str | Sequence[str]) -> str:
    """The ``--platform`` value: the platforms comma-joined, as buildx and buildah take them."""
    return value if isinstance(value, str) else ",".join(value)


def build_flags(
    dockerfile: str | None,
    target: str | None,
    args: Mapping[str, str],
    *,
    labels: bool,
    platform: str | Sequence[str] | None = None,
) -> list[str]:
    """``--file``, ``--target``, ``--platform``, ``--build-arg`` and ``--label`` flags, as docker
    build and buildah take them (the Kaniko executor takes all but ``--file``)."""
    flags = []
    if dockerfile is not None:
        flags.append(f"--file {quote(dockerfile)}")
    if target is not None:
        flags.append(f"--target {quote(target)}")
    if platform is not None:
        flags.append(f"--platform {quote(platforms(platform))}")
    flags += [f"--build-arg {quote(f'{key}={value}')}" for key, value in args.items()]
    if labels:
        flags += [f"--label {quote(f'{key}={value}')}" for key, value in OCI_LABELS.items()]
    return flags


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class InlineCache(Block):
    """BuildKit inline cache, as in the article: pull the previous image (tolerating its
    absence) and use it as ``--cache-from``; the new image embeds its cache metadata."""

    from_tag: str = attrs.field(default="latest", validator=image_tag)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class RegistryCache(Block):
    """buildx registry cache: ``--cache-from/--cache-to type=registry`` in a separate cache
    image (``$CI_REGISTRY_IMAGE/cache`` by default), ``mode=max`` caches every stage."""

    ref: str = attrs.field(default=f"{ci.REGISTRY_IMAGE}/cache", validator=image_reference())
    mode: str = attrs.field(default="max", validator=closed("min", "max"))


def _is_release(value: str) -> bool:
    parts = value.split(".")
    return 2 <= len(parts) <= 3 and all(part.isascii() and part.isdigit() for part in parts)


def _docker_version(inst: Any, attr: Any, value: Any) -> None:
    if not isinstance(value, str) or not _is_release(value):
        fail(
            inst,
            "docker_version",
            value,
            f"must be a release such as '{DOCKER_VERSION}' (images are pinned, never 'latest')",
            "",
        )


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class DockerBuild(JobBlock):
    """A Docker-in-Docker build job: ``DockerBuild(image=f"{ci.REGISTRY_IMAGE}/api", context="api")``.

    Uses ``docker:<docker_version>`` with the matching ``-dind`` service and TLS on
    (``DOCKER_HOST=tcp://docker:2376``, ``DOCKER_TLS_CERTDIR=/certs``), logs in to ``registry``
    with ``--password-stdin``, builds once with the immutable tag, then tags and pushes every tag
    of ``tags``. ``cache`` adds a BuildKit inline cache or a buildx registry cache; ``platform``
    builds with buildx. ``job()`` returns the core :class:`~gitlabci_dsl.Job`.
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
    registry: Registry = attrs.field(factory=Registry.gitlab, validator=REGISTRY)
    docker_version: str = attrs.field(default=DOCKER_VERSION, validator=_docker_version)
    cache: InlineCache | RegistryCache | None = attrs.field(
        default=None,
        validator=of(
            nodes=("InlineCache", "RegistryCache"),
            what="InlineCache(...) or RegistryCache(...)",
            anchor="",
        ),
    )
    rules: Sequence[Rule | Reference] | None = attrs.field(
        factory=build_pipelines, validator=RULES, metadata=NULLABLE
    )
    needs: Sequence[Job | Need | str] | None = attrs.field(default=None, validator=NEEDS)
    parallel: Parallel | None = attrs.field(default=None, validator=PARALLEL)

    @property
    def image_ref(self) -> ImageRef:
        """The image this job pushes, with its immutable tag: what later jobs should pull."""
        return ImageRef.parse(self.image).with_tag(self.image_tags.primary)

    def _build_flags(self) -> list[str]:
        return build_flags(self.dockerfile, self.target, self.build_args, labels=self.labels)

    def _script(self) -> list[str]:
        primary = quote(f"$IMAGE:{self.image_tags.primary}")
        flags = self._build_flags()
        lines = ["\n".join(self.image_tags.shell())]
        if isinstance(self.cache, RegistryCache) or self.platform is not None:
            # buildx with the docker-container driver: multi-platform builds and registry
            # caches need it, and it pushes every tag itself.
            buildx = ["docker buildx build", "--push"]
            if self.platform is not None:
                buildx.append(f"--platform {quote(platforms(self.platform))}")
            if isinstance(self.cache, RegistryCache):
                ref, mode = self.cache.ref, self.cache.mode
                buildx.append(f"--cache-from {quote(f'type=registry,ref={ref}')}")
                buildx.append(f"--cache-to {quote(f'type=registry,ref={ref},mode={mode}')}")
            lines.append("docker buildx create --use --driver docker-container")
            lines.append(
                # One --tag argument pair per tag, kept as positional parameters (sh has
                # no arrays): each tag one word whatever the image name holds.
                'set --\nfor tag in $TAGS; do set -- "$@" --tag "$IMAGE:$tag"; done'
            )
            lines.append(command([*buildx, *flags, '"$@"', quote(self.context)]))
            return lines
        build = ["docker build", "--pull", f"--tag {primary}"]
        if isinstance(self.cache, InlineCache):
            cached = quote(f"$IMAGE:{self.cache.from_tag}")
            lines.append(f"docker pull {cached} || true")
            build += [f"--cache-from {cached}", "--build-arg BUILDKIT_INLINE_CACHE=1"]
        lines.append(command([*build, *flags, quote(self.context)]))
        lines.append(
            "for tag in $TAGS; do\n"
            f'  docker tag {primary} "$IMAGE:$tag"\n'
            '  docker push "$IMAGE:$tag"\n'
            "done"
        )
        return lines

    def _job(self) -> Job:
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
        jobs ``build-frontend`` (the template's name, a dash, the image's) pushing
        ``$CI_REGISTRY_IMAGE/frontend`` from ``./frontend``.

        Every other setting comes from ``template``. ``only_changed=True`` builds an image only
        when its folder changed: each of the template's rules gains ``changes`` on the folder
        (a rule that already has ``changes``, says ``never``, or is for tags, stays as it is:
        tag pipelines build everything); with ``rules=None``, tag pipelines build everything
        and other pipelines what changed.
        """
        template = template or cls()
        builds = []
        for name, context in images.items():
            build = attrs.evolve(
                template, name=f"{template.name}-{name}", image=f"{base}/{name}", context=context
            )
            if only_changed:
                folder = build.context.removeprefix("./").rstrip("/")
                changed = [f"{folder}/**/*"] if folder not in ("", ".") else ["**/*"]
                build = attrs.evolve(build, rules=_on_changes(template.rules, changed))
            builds.append(build)
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
        ``$CI_REGISTRY_IMAGE/<name>`` built from the folder ``<name>`` of the template's
        ``context`` (``services`` → ``services/<name>``). Every other setting comes from
        ``template``."""
        from ..model.parallel import Parallel

        template = template or cls()
        for name in names:
            ImageRef.parse(f"{base}/{name}")
        parent = template.context.removeprefix("./").rstrip("/")
        return attrs.evolve(
            template,
            image=f"{base}/$IMAGE_NAME",
            context=f"{parent}/$IMAGE_NAME" if parent not in ("", ".") else "$IMAGE_NAME",
            parallel=Parallel(matrix=[{"IMAGE_NAME": list(names)}]),
        )


def _on_changes(rules: Sequence[Any] | None, changed: list[str]) -> list[Any]:
    """``rules`` that also require a change under ``changed`` (see :meth:`DockerBuild.many`)."""
    if not rules:
        return [Rule(if_=ci.COMMIT_TAG), Rule(changes=changed)]

    def gated(rule: Any) -> bool:  # a Rule (not a !reference) that can still let the job run
        plain = getattr(rule, "node_kind", None) == "Rule"
        # In a tag pipeline GitLab takes `changes` as true: a tag rule builds everything.
        tags_only = plain and rule.if_ == ci.COMMIT_TAG
        return plain and not tags_only and rule.changes is None and rule.when != "never"

    return [attrs.evolve(r, changes=changed) if gated(r) else r for r in rules]
