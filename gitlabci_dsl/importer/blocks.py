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
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

from .. import ci, compiler
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


class _Hint(NamedTuple):
    """A command a hand-written job runs, and the block that writes such a job."""

    command: str  # as the comment names it
    runs: str  # the command in the script, a pattern
    builds: bool | None  # the job also builds an image (True), does not (False), either (None)
    block: str
    tool: str | None  # the block's ``tool=``, when it is not the default
    page: str  # under docs/blocks/


# Pushing is what a build and a copy share: a push after a build is the build block's job, a push
# of an image the job did not build is a copy, Mirror's job. First match wins.
_DOCKER_PUSH = r"\bdocker\s+push\b"
_BUILDAH_PUSH = r"\bbuildah\s+push\b"
_HINTS = (
    _Hint("docker push", _DOCKER_PUSH, True, "DockerBuild", None, "docker-build"),
    _Hint("docker push", _DOCKER_PUSH, False, "Mirror", "docker", "mirror"),
    _Hint("buildah push", _BUILDAH_PUSH, True, "BuildahBuild", None, "buildah"),
    _Hint("buildah push", _BUILDAH_PUSH, False, "Mirror", None, "mirror"),
    _Hint("/kaniko/executor", r"/kaniko/executor\b", None, "KanikoBuild", None, "kaniko"),
    _Hint("trivy image", r"\btrivy\s+image\b", None, "TrivyScan", None, "trivy"),
    _Hint("skopeo copy", r"\bskopeo\s+copy\b", None, "Mirror", None, "mirror"),
    _Hint("crane copy", r"\bcrane\s+copy\b", None, "Mirror", "crane", "mirror"),
)
# `docker build`, `docker buildx build`, `docker image build`; `buildah build` or its older `bud`.
_BUILDS = r"\b(?:docker\s+(?:buildx\s+|image\s+)?build|buildah\s+(?:build|bud))\b"


def hint(job: Job) -> str | None:
    """A comment for a job that does by hand what a block does, or None.

    The comment says what the block's job does only where the block's own compiled job shows
    it (see :func:`_claims`), so it stays true when a block changes.
    """
    text = _script_text(job)
    builds = re.search(_BUILDS, text) is not None
    for found in _HINTS:
        if re.search(found.runs, text) and found.builds in (None, builds):
            block = found.block + (f'(tool="{found.tool}")' if found.tool else "")
            copying = " with no build, copying an image" if found.builds is False else ""
            claims = _claims(found.block, found.tool)
            sentence = (
                f"This job runs `{found.command}` by hand{copying}; {block} writes such a job"
                f"{f': it {_and(claims)}' if claims else ''} (gitlabci-dsl's docs: "
                f"blocks/{found.page}.md)."
            )
            lines = textwrap.wrap(sentence, 86, break_long_words=False, break_on_hyphens=False)
            return "\n".join(f"# {line}" for line in lines)
    return None


@functools.cache
def _claims(block: str, tool: str | None) -> tuple[str, ...]:
    """What the job ``block`` writes with its defaults does about credentials and images, read
    off that job as it compiles (once per block)."""
    from ..blocks import buildah, docker, kaniko, mirror, trivy
    from ..blocks.registry import Registry

    image = f"{ci.REGISTRY_IMAGE}:{ci.COMMIT_SHA}"
    examples: dict[str, Callable[..., Any]] = {
        "DockerBuild": docker.DockerBuild,
        "BuildahBuild": buildah.BuildahBuild,
        "KanikoBuild": kaniko.KanikoBuild,
        "TrivyScan": functools.partial(trivy.TrivyScan, image=image),
        "Mirror": functools.partial(mirror.Mirror, source=image),
    }
    data = compiler.compile_job(examples[block](**({"tool": tool} if tool else {})).job())
    lines = "\n".join(
        line
        for key in ("before_script", "script")
        for line in ([data[key]] if isinstance(data.get(key), str) else data.get(key) or ())
        if isinstance(line, str)
    )
    claims = []
    if "--password-stdin" in lines:
        claims.append("logs in with the registry password on stdin")
    # "auths" is the key of a Docker config.json: a line writing one writes credentials.
    config = re.search(r"auths.*>\s*(\S+)$", lines, re.MULTILINE)
    if config:
        claims.append(f"writes the registry credentials to {config.group(1)}")
    registry = Registry.gitlab()  # every example's default
    credentials = (registry.user, registry.password)
    names = [k for k, v in (data.get("variables") or {}).items() if v in credentials]
    if names:
        claims.append(f"passes the registry credentials in the variables {_and(names)}")
    images = [data.get("image"), *(data.get("services") or ())]
    references = [i.get("name") if isinstance(i, dict) else i for i in images if i]
    if references and all(isinstance(r, str) and _pinned(r) for r in references):
        claims.append("pins its images" if len(references) > 1 else "pins its image")
    return tuple(claims)


def _pinned(reference: str) -> bool:
    """Whether an image reference names one release: a digest, or a tag that is a version
    (``27.3.1``, ``v1.19.0-debug``). Stricter than lint's unpinned-image rule, which lets any
    tag but ``latest`` pass: a tag such as ``debug`` moves with every release."""
    if "@sha256:" in reference:
        return True
    last = reference.rsplit("/", 1)[-1]
    tag = last.partition(":")[2]
    return re.match(r"v?[0-9]+(?:\.[0-9]+)+(?:-|$)", tag) is not None


def _and(items: Iterable[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    *first, last = items
    return f"{', '.join(first)} and {last}" if first else last


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
