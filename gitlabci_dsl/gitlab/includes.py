"""``include:``, resolved as GitLab resolves it, for every command that reads a pipeline.

GitLab (``Gitlab::Ci::Config::External::Processor``) deep-merges the included files in order,
later files over earlier ones, then the including file over all of them; an included file's
own includes are merged into it first, the same way. Hashes merge key by key, every other value
(lists included) is replaced. A string entry is a remote include when it is a URL of one of
:data:`~gitlabci_dsl.gitlab.facts.REMOTE_SCHEMES`, otherwise a local file (``httpd.yml`` is
local). A local path is relative to the project root (a leading ``/`` is optional); with a
``*`` it is a wildcard: ``**`` matches any characters, ``/`` included, ``*`` any but ``/``.

Offline, the project's own files are read, and the other kinds of include (remote, template,
project, component, artifact) through a :class:`Source` when one is given; an include no
source holds leaves the configuration *open*: names and keys may come from it, so nothing may
be asserted about what is absent. A ``local`` include inside a file of another project
(``project``, ``component``) is that project's file at the same ref, as GitLab reads it
(:func:`at_origin`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from .facts import MAX_INCLUDES, REMOTE_SCHEMES
from .inputs import Problem
from .merge import deep_merge
from .paths import ProjectFiles

__all__ = [
    "TOO_MANY",
    "Include",
    "Resolution",
    "Source",
    "Sources",
    "at_origin",
    "entries",
    "origin_of",
    "pin",
    "resolve",
    "wildcard_match",
]

KINDS = ("local", "remote", "template", "project", "component", "artifact")
_SCHEME = re.compile(r"\s*([A-Za-z][A-Za-z0-9+.-]*):")


class Include(NamedTuple):
    """One entry of an ``include:`` list, normalised."""

    position: int  # its position in the list (0 for a lone entry)
    kind: str  # one of KINDS, or "invalid"
    location: str | None  # the local path, URL, template name, project or component
    entry: Any  # as written


TOO_MANY = (
    f"more than {MAX_INCLUDES} files included, nested includes counted: GitLab refuses the "
    f"pipeline (Maximum of {MAX_INCLUDES} nested includes are allowed)"
)
"""What a :attr:`Resolution.too_many` configuration is, for every command that reports it."""


class Resolution(NamedTuple):
    """A configuration with its includes merged in."""

    config: dict[Any, Any]  # every readable include merged, the file's own keys last
    open: bool  # some include could not be read here: names and keys may come from it
    missing: tuple[tuple[int, str], ...]  # (position, location) of local files not there
    unresolved: tuple[Include, ...]  # includes that need a source other than the project
    files: tuple[str, ...]  # the project files that were read, in order
    too_many: bool = False  # more than MAX_INCLUDES files: GitLab refuses the pipeline (TOO_MANY)
    # Why GitLab refuses the inputs an entry of the file's own include: gives (gitlab.inputs).
    inputs: tuple[tuple[Include, Problem], ...] = ()


def entries(value: Any) -> list[Include]:
    """The entries of an ``include:`` value (a string, a mapping, or a list of them)."""
    items = value if isinstance(value, list) else [] if value is None else [value]
    return [_normalise(index, item) for index, item in enumerate(items)]


def _normalise(index: int, item: Any) -> Include:
    if isinstance(item, str):
        scheme = _SCHEME.match(item)
        if scheme is not None and scheme.group(1) in REMOTE_SCHEMES:
            return Include(index, "remote", item.strip(), item)
        return Include(index, "local", item, item)
    if isinstance(item, dict):
        for kind in KINDS:
            location = item.get(kind)
            if location is not None:
                shown = location if isinstance(location, str) else None
                return Include(index, kind if shown is not None else "invalid", shown, item)
    return Include(index, "invalid", None, item)


# Versions, matched with RE2 (the text is untrusted): compiled on first use.
_COMMIT = r"[0-9a-f]{40}|[0-9a-f]{64}"
_RELEASE = r"v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?"
_TAG_LIKE = r"v?\d+(?:\.\d+)+(?:[-+][0-9A-Za-z.-]+)?"
_PARTIAL = r"\d+(?:\.\d+)?"


def pin(include: Include) -> str | None:
    """Why a ``component`` or ``project`` include can change under the pipeline (it follows a
    branch, the latest release, or a partial version), or None when it names a commit SHA,
    a release tag, this pipeline's own commit, or a variable that cannot be judged offline.

    GitLab reads a project include at ``ref`` (the default branch without one) and a
    component at the version after ``@``: ``~latest`` and a partial version (``1``, ``1.2``)
    take the newest matching release when the pipeline is created."""
    if include.kind == "component" and include.location is not None:
        _, at, version = include.location.rpartition("@")
        if not at:
            return "names no version; add @ and a release version or a commit SHA"
        return _moves(version, component=True)
    if include.kind == "project" and isinstance(include.entry, dict):
        ref = include.entry.get("ref")
        if ref is None:
            return (
                "has no ref: it follows the project's default branch; pin a release tag or a "
                "commit SHA (ref: v1.2.3)"
            )
        return _moves(str(ref), component=False)
    return None


def _moves(version: str, *, component: bool) -> str | None:
    from .regex import linear

    version = version.strip()
    if "$" in version or linear(_COMMIT).fullmatch(version) or linear(_RELEASE).fullmatch(version):
        return None
    fix = "pin a release version such as 1.2.3 or a commit SHA"
    if not component:
        return (
            None
            if linear(_TAG_LIKE).fullmatch(version)
            else (
                f"reads ref {version!r}, which may be a branch that moves; pin a release tag or a "
                "commit SHA"
            )
        )
    if version == "~latest":
        return f"follows the newest release (~latest), which changes without a commit; {fix}"
    if linear(_PARTIAL).fullmatch(version):
        return f"follows the newest {version}.x release, which changes without a commit; {fix}"
    if linear(_TAG_LIKE).fullmatch(version):
        return None
    return f"reads version {version!r}, which may be a branch that moves; {fix}"


def origin_of(include: Include) -> tuple[str, str | None] | None:
    """The project (and ref) a ``project`` or ``component`` include reads its file from:
    GitLab reads that file's own ``include: local`` entries from the same project at the same
    commit. None for other kinds (a template's or a remote file's local includes cannot be
    read)."""
    entry = include.entry if isinstance(include.entry, dict) else {}
    if include.kind == "project" and include.location is not None:
        ref = entry.get("ref")
        return include.location, None if ref is None else str(ref)
    if include.kind == "component" and include.location is not None:
        from .components import parse

        address = parse(include.location)
        if address is not None:
            return f"{address.host}/{address.project}", address.version
    return None


def at_origin(include: Include, origin: tuple[str, str | None] | None) -> Include | None:
    """A ``local`` include of a file another project holds, as the ``project`` include of
    that project's file it is (wildcards left out: listing another project needs its tree)."""
    if origin is None or include.location is None or "*" in include.location:
        return None
    project, ref = origin
    given = include.entry if isinstance(include.entry, dict) else {}
    entry: dict[str, Any] = {k: v for k, v in given.items() if k != "local"}  # inputs, rules
    entry.update(project=project, file=include.location.lstrip("/"))
    if ref is not None:
        entry["ref"] = ref
    return Include(include.position, "project", project, entry)


def wildcard_match(pattern: str, path: str) -> bool:
    """Whether ``path`` matches the wildcard local include ``pattern``: ``**`` any characters,
    ``*`` any but ``/``, everything else literally (``Repository#search_files_by_wildcard_path``).

    Linear in ``len(pattern) * len(path)``: the pattern comes from an untrusted file.
    """
    parts = re.findall(r"\*\*|\*|[^*]+", pattern)
    # The path offsets reachable after matching the parts so far.
    reachable = {0}
    for part in parts:
        following: set[int] = set()
        if part == "**":
            start = min(reachable, default=len(path) + 1)
            following.update(range(start, len(path) + 1))
        elif part == "*":
            end = -1
            for offset in sorted(reachable):
                following.add(offset)
                if offset < end:
                    continue  # inside the run the previous offset already covered
                end = offset
                while end < len(path) and path[end] != "/":
                    end += 1
                    following.add(end)
        else:
            following.update(
                offset + len(part) for offset in reachable if path.startswith(part, offset)
            )
        reachable = following
        if not reachable:
            return False
    return len(path) in reachable


class Source(Protocol):
    """Where the includes that are not files of this project come from: ``project``,
    ``remote``, ``template`` and ``component`` (a vendored folder, a checkout of GitLab's
    templates, a component written with this package...). ``text`` returns the file an
    include names, or None when this source does not have it (the configuration is then
    open, as without a source)."""

    def text(self, include: Include) -> str | None: ...


class Sources:
    """The first of ``sources`` that holds an include."""

    def __init__(self, *sources: Source) -> None:
        self.sources = sources

    def text(self, include: Include) -> str | None:
        for source in self.sources:
            text = source.text(include)
            if text is not None:
                return text
        return None


def resolve(
    data: Mapping[Any, Any],
    root: Path | None,
    *,
    keep: Callable[[Include], bool] | None = None,
    files: ProjectFiles | None = None,
    source: Source | None = None,
    pending: Mapping[str, str] | None = None,
) -> Resolution:
    """``data`` (a file's top-level mapping) with its includes merged in, as GitLab merges them.

    ``root`` is the project (no local file is read without it); ``keep`` decides whether an
    entry with ``rules:`` is included (default: every entry, since its rules may hold in some
    pipeline); ``files`` is the project's listing when the caller has one to share;
    ``source`` reads the includes that are not project files (none are read without it);
    ``pending``: project files about to be written (``{path from the root: text}``), read
    instead of what the disk holds (compile checks its outputs as they will be).
    """
    if files is None and root is not None:
        files = ProjectFiles(root)
    state = _State(root, keep, files, source, pending)
    config = state.merge(data, ())
    return Resolution(
        config,
        state.open,
        tuple(state.missing),
        tuple(state.unresolved),
        tuple(state.files),
        state.too_many,
        tuple(state.inputs),
    )


class _State:
    def __init__(
        self,
        root: Path | None,
        keep: Callable[[Include], bool] | None,
        listing: ProjectFiles | None,
        source: Source | None = None,
        pending: Mapping[str, str] | None = None,
    ) -> None:
        self.root = root
        self.keep = keep
        self.listing = listing
        self.source = source
        self.pending = pending or {}
        self.open = False
        self.missing: list[tuple[int, str]] = []
        self.unresolved: list[Include] = []
        self.files: list[str] = []
        self.too_many = False
        self.inputs: list[tuple[Include, Problem]] = []

    def merge(
        self,
        data: Mapping[Any, Any],
        chain: tuple[str, ...],
        *,
        foreign: bool = False,
        origin: tuple[str, str | None] | None = None,
    ) -> dict[Any, Any]:
        """``data`` over the merge of its includes (``chain``: the files including it;
        ``foreign``: ``data`` came from a :class:`Source`, so its ``local`` includes are files
        of another project, not of this one)."""
        merged: dict[Any, Any] = {}
        for include in entries(data.get("include")):
            conditional = isinstance(include.entry, dict) and "rules" in include.entry
            if conditional and self.keep is not None and not self.keep(include):
                continue
            read = include
            if foreign and include.kind == "local":
                there = at_origin(include, origin)
                if there is None or self.source is None:
                    self.open = True
                    self.unresolved.append(include)
                    continue
                read = there
            for body in self._bodies(read, chain):
                merged = deep_merge(merged, body)
        own = {k: v for k, v in data.items() if k != "include"}
        return deep_merge(merged, own)

    def _bodies(self, include: Include, chain: tuple[str, ...]) -> Iterator[dict[Any, Any]]:
        if include.kind not in ("local", "invalid") and self.source is not None:
            listed = include.entry.get("file") if include.kind == "project" else None
            if isinstance(listed, list):  # one project include of several files
                for file in listed:
                    one = include._replace(entry={**include.entry, "file": file})
                    yield from self._from_source(one, chain)
                return
            yield from self._from_source(include, chain)
            return
        if include.kind != "local" or include.location is None or self.root is None:
            self.open = True
            if include.kind != "local" or include.location is None:
                self.unresolved.append(include)
            return
        paths = self._local_paths(include.location)
        if not paths:
            if not chain:  # a nested file's own lint reports what it includes
                self.missing.append((include.position, include.location))
            self.open = True  # its names are unknown: do not report each of them too
            return
        from .paths import read_text

        for path in paths:
            if path in chain:
                continue  # included by itself, directly or not: already being merged
            if len(self.files) >= MAX_INCLUDES:
                self.open = self.too_many = True
                return
            text = self.pending.get(path)
            documents = self._documents(read_text(self.root, path) if text is None else text)
            if documents is None:
                self.open = True  # unreadable or not YAML: the file's own lint says why
                continue
            yield from self._included(path, documents, include, chain)

    def _from_source(self, include: Include, chain: tuple[str, ...]) -> Iterator[dict[Any, Any]]:
        """An include read through the :class:`Source`: merged as a local file is, its own
        includes followed (``chain`` names it ``kind:location``, against loops)."""
        assert self.source is not None
        name = f"{include.kind}:{include.location}"
        if include.kind == "project":
            name += f":{include.entry.get('file')}"
        if name in chain:
            return
        if len(self.files) >= MAX_INCLUDES:
            self.open = self.too_many = True
            return
        documents = self._documents(self.source.text(include))
        if documents is None:
            self.open = True
            self.unresolved.append(include)
            return
        # A job's artifact is a file of this pipeline's own project: its local includes are
        # this project's files (a child pipeline runs on the parent's commit).
        foreign = include.kind != "artifact"
        yield from self._included(
            name, documents, include, chain, foreign=foreign, origin=origin_of(include)
        )

    def _included(
        self,
        name: str,
        documents: list[Any],
        include: Include,
        chain: tuple[str, ...],
        *,
        foreign: bool = False,
        origin: tuple[str, str | None] | None = None,
    ) -> Iterator[dict[Any, Any]]:
        """The file ``name`` an include read: its body, inputs set, merged over its own
        includes."""
        from .inputs import declared, problems

        self.files.append(name)
        body = documents[-1]
        if not chain:  # a nested file's inputs are reported where that file is linted
            given = include.entry.get("inputs") if isinstance(include.entry, dict) else None
            spec = declared(documents[0]) if len(documents) > 1 else None
            self.inputs.extend((include, problem) for problem in problems(spec, given))
        if len(documents) > 1:
            body = _with_inputs(documents[0], body, include.entry)
        if isinstance(body, dict):
            yield self.merge(body, (*chain, name), foreign=foreign, origin=origin)

    def _local_paths(self, location: str) -> list[str]:
        from .paths import inside

        assert self.root is not None
        if "*" not in location:
            relative = location.lstrip("/")
            found = relative in self.pending or inside(self.root, relative) is not None
            return [relative] if found else []
        assert self.listing is not None  # there is one whenever there is a root
        listed = self.listing.listing()  # sorted, as GitLab lists them
        if self.pending:
            listed = tuple(sorted({*listed, *self.pending}))
        return [p for p in listed if wildcard_match(location, p)]

    def _documents(self, text: str | None) -> list[Any] | None:
        from .reader import YamlSyntaxError, load

        if text is None:
            return None
        try:
            return [document.data for document in load(text)]
        except YamlSyntaxError:
            return None


def _with_inputs(header: Any, body: Any, entry: Any) -> Any:
    """The body of a file with a ``spec:`` header, its inputs set from the entry's ``inputs``
    over their defaults."""
    from .expand import input_defaults, interpolate

    given = entry.get("inputs") if isinstance(entry, dict) else None
    values = {**input_defaults(header), **(given if isinstance(given, dict) else {})}
    return interpolate(body, values)
