"""Recognise jobs that a building block writes: DockerBuild, BuildahBuild, KanikoBuild,
TrivyScan, Mirror.

A job "clearly matches" a block only when the block, given parameters read off the job, writes
exactly that job: each recogniser reads the parameters (image from ``IMAGE``/``TARGET``, the
Docker version from the image tag, flags from the build command, the tag strategy from its
shell lines, the registry from its login) and the block is kept only if its ``.job()`` compiles
to the same data as the job. Anything else stays a plain ``Job``: a hand-written build that
differs from the block by one flag is not silently rewritten into one.
"""

from __future__ import annotations

import functools
import itertools
import re
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

from .. import compiler
from ..errors import GitlabCIDSLError
from ..model.job import Job
from .convert import same
from .render import Expr, Layout

__all__ = ["hint", "recognise"]


def recognise(job: Job, layout: Layout) -> Expr | None:
    """``Block(...).job()`` when a block writes exactly ``job``, else None."""
    if job.extra or job.hidden:
        return None
    text = _script_text(job)
    data = None  # the job as data, compiled for the first candidate only
    for candidates in (_docker_build, _buildah_build, _kaniko_build, _trivy_scan, _mirror):
        for make in candidates(job, text):
            try:
                block = make()
                built = block.job()
            except GitlabCIDSLError:  # a combination the block refuses
                continue
            if data is None:
                data = compiler.compile_job(job)
            if built.name == job.name and same(compiler.compile_job(built), data):
                call = layout.node(block)
                return Expr(open=call.open, close=").job()", items=call.items)
    return None


# What a hand-written job does, by a command in its script, and the block that writes it.
_HINTS = (
    ("docker push", "DockerBuild", "docker-build"),
    ("buildah push", "BuildahBuild", "buildah"),
    ("/kaniko/executor", "KanikoBuild", "kaniko"),
    ("trivy image", "TrivyScan", "trivy"),
    ("skopeo copy", "Mirror", "mirror"),
    ("crane copy", "Mirror", "mirror"),
)


def hint(job: Job) -> str | None:
    """A comment for a job that does by hand what a block does, or None."""
    text = _script_text(job)
    for command, block, page in _HINTS:
        if command in text:
            text = (
                f"This job runs `{command}` by hand; {block} writes such a job with the "
                f"registry password on stdin and a pinned image (gitlabci-dsl's docs: "
                f"blocks/{page}.md)."
            )
            return "\n".join(f"# {line}" for line in textwrap.wrap(text, 86))
    return None


def _script_text(job: Job) -> str:
    lines = []
    for part in (job.before_script, job.script):
        if isinstance(part, str):
            lines.append(part)
        elif isinstance(part, tuple):
            lines.extend(p for p in part if isinstance(p, str))
    return "\n".join(lines)


def _common(job: Job) -> dict[str, Any]:
    """The parameters every block takes as they are on the job."""
    found: dict[str, Any] = {"name": job.name}
    if job.stage is not None:
        found["stage"] = job.stage
    if job.rules is not None:
        found["rules"] = job.rules
    if job.needs is not None and all(isinstance(n, str) for n in job.needs):
        found["needs"] = job.needs
    return found


def _variable(job: Job, name: str) -> str | None:
    value = (job.variables or {}).get(name)
    return value if isinstance(value, str) else None


@functools.cache
def _tag_strategies() -> tuple[tuple[Any, str], ...]:
    """Every TagStrategy without custom tags, with the shell lines it writes (made once)."""
    from ..blocks.tags import TagStrategy

    found = []
    for short, branch, latest, version in itertools.product((False, True), repeat=4):
        strategy = TagStrategy(short=short, branch=branch, latest=latest, version=version)
        found.append((strategy, "\n".join(strategy.shell())))
    # Longest first: a strategy's lines start with those of every strategy with fewer tags.
    return tuple(sorted(found, key=lambda pair: -len(pair[1])))


def _tags_in(text: str) -> Any:
    """The TagStrategy whose shell lines are in ``text``, or None."""
    for strategy, lines in _tag_strategies():
        if lines in text:
            return strategy
    return None


def _registries(text: str) -> list[Any]:
    from ..blocks.registry import Registry

    candidates = [Registry.gitlab(), Registry.dockerhub(), Registry.ecr(), Registry.job_token()]
    return [r for r in candidates if r.host in text] or [Registry.gitlab()]


def _flag(text: str, flag: str) -> list[str]:
    return re.findall(rf'{flag}[ =]"?([^"\s]+)"?', text)


def _build_options(text: str, ignore_args: tuple[str, ...] = ()) -> dict[str, Any]:
    """The parameters DockerBuild and BuildahBuild share, read off their build command."""
    found: dict[str, Any] = {}
    context = re.findall(r'\\\n\s+"([^"]*)"\n?$', text, re.MULTILINE)
    if context:
        found["context"] = context[-1]
    for flag, key in (("--file", "dockerfile"), ("--target", "target"), ("--platform", "platform")):
        values = _flag(text, flag)
        if values:
            found[key] = values[0]
    args = dict(arg.split("=", 1) for arg in _flag(text, "--build-arg") if "=" in arg)
    build_args = {k: v for k, v in args.items() if k not in ignore_args}
    if build_args:
        found["build_args"] = build_args
    found["labels"] = "org.opencontainers.image.source" in text
    return found


def _docker_build(job: Job, text: str) -> Iterator[Any]:
    from ..blocks.docker import DockerBuild, InlineCache, RegistryCache

    image = _variable(job, "IMAGE")
    if image is None or not isinstance(job.image, str) or not job.image.startswith("docker:"):
        return
    tags = _tags_in(text) if "docker build" in text or "docker buildx build" in text else None
    if tags is None:
        return
    found = _common(job)
    found.update(image=image, image_tags=tags, docker_version=job.image.removeprefix("docker:"))
    found.update(_build_options(text, ignore_args=("BUILDKIT_INLINE_CACHE",)))
    caches: list[Any] = [None]
    inline = re.search(r'--cache-from "\$IMAGE:([^"]+)"', text)
    if inline:
        caches.insert(0, InlineCache(from_tag=inline.group(1)))
    registry_cache = re.search(r'type=registry,ref=([^,"]+),mode=(\w+)', text)
    if registry_cache:
        caches.insert(0, RegistryCache(ref=registry_cache.group(1), mode=registry_cache.group(2)))
    if job.parallel is not None:
        found["parallel"] = job.parallel
    for cache, registry in itertools.product(caches, _registries(text)):
        yield _build(DockerBuild, {**found, "cache": cache, "registry": registry})


def _buildah_build(job: Job, text: str) -> Iterator[Any]:
    from ..blocks.buildah import BuildahBuild

    image = _variable(job, "IMAGE")
    if image is None or not isinstance(job.image, str) or "buildah build" not in text:
        return
    tags = _tags_in(text)
    if tags is None:
        return
    found = _common(job)
    found.update(image=image, image_tags=tags, builder=job.image)
    found.update(_build_options(text))
    for registry in _registries(text):
        yield _build(BuildahBuild, {**found, "registry": registry})


def _kaniko_build(job: Job, text: str) -> Iterator[Any]:
    from ..blocks.kaniko import KanikoBuild

    image = _variable(job, "IMAGE")
    tags = _tags_in(text) if image is not None and "--destination" in text else None
    if image is None or tags is None:
        return
    found = _common(job)
    found.update(image=image, image_tags=tags)
    for flag, key in (
        ("--context", "context"),
        ("--dockerfile", "dockerfile"),
        ("--target", "target"),
    ):
        values = _flag(text, flag)
        if values:
            found[key] = values[0]
    build_args = dict(arg.split("=", 1) for arg in _flag(text, "--build-arg") if "=" in arg)
    if build_args:
        found["build_args"] = build_args
    found["labels"] = "org.opencontainers.image.source" in text
    cache_repo = _flag(text, "--cache-repo")
    if cache_repo:
        found.update(cache=True, cache_repo=cache_repo[0])
    yield _build(KanikoBuild, found)
    yield _build(KanikoBuild, {**found, "registries": _registries(text)})


def _trivy_scan(job: Job, text: str) -> Iterator[Any]:
    from ..blocks.trivy import TrivyScan

    if "trivy image" not in text:
        return
    target = re.findall(r'"([^"]+)"\s*$', text, re.MULTILINE)
    severity = _flag(text, "--severity")
    exit_code = re.findall(r"--exit-code (\d+)", text)
    if not target:
        return
    found = _common(job)
    found["image"] = target[-1]
    if severity:
        found["severity"] = tuple(severity[-1].split(","))
    if exit_code:
        found["exit_code"] = int(exit_code[-1])
    found["ignore_unfixed"] = "--ignore-unfixed" in text
    if job.allow_failure is True:
        found["allow_failure"] = True
    scanner = getattr(job.image, "name", None)
    if isinstance(scanner, str):
        found["scanner"] = scanner
    for reports in (("gitlab",), ("gitlab", "sarif"), ("sarif",), ()):
        for registry in _registries(text):
            yield _build(TrivyScan, {**found, "reports": reports, "registry": registry})


def _mirror(job: Job, text: str) -> Iterator[Any]:
    from ..blocks.mirror import Mirror

    target = _variable(job, "TARGET")
    sources = re.findall(
        r'(?:skopeo copy --all "docker://|crane copy "|docker pull ")([^"]+)"', text
    )
    tags = _tags_in(text) if target is not None and sources else None
    if target is None or tags is None:
        return
    found = _common(job)
    found.pop("rules", None)
    tool = "skopeo" if "skopeo copy" in text else "crane" if "crane copy" in text else "docker"
    found.update(target=target, image_tags=tags, tool=tool, source=sources[0])
    registries = _registries(text)
    for on, source_registry, target_registry in itertools.product(
        ("tags", "always"), registries, [*registries, *_target_registries(text)]
    ):
        yield _build(
            Mirror,
            {
                **found,
                "on": on,
                "source_registry": source_registry,
                "target_registry": target_registry,
            },
        )


def _target_registries(text: str) -> list[Any]:
    from ..blocks.registry import Registry

    hosts = re.findall(r'--password-stdin "([^"]+)"', text)
    return [
        # A variable's name, not a secret.
        Registry.basic(host=host, user="$MIRROR_USER", password="$MIRROR_PASSWORD")  # noqa: S106
        for host in hosts
    ]


def _build(cls: Callable[..., Any], kwargs: dict[str, Any]) -> Callable[[], Any]:
    """A block to try, built only when asked (a refused combination is then skipped)."""
    return functools.partial(cls, **kwargs)
