"""Where the includes that are not files of the project are read from, offline.

Each class is a :class:`~gitlabci_dsl.gitlab.includes.Source`: ``text(include)`` gives the
file an include names, or None when it does not hold it (the configuration then stays open,
as with no source at all).

* :class:`Vendored`: the folder ``gitlabci-dsl vendor`` fills, read through its lock file
  (``vendor.lock.json``), each file checked against the digest the lock records;
* :class:`Templates`: a folder of GitLab's CI templates, for ``include: template``;
* :class:`OwnComponents`: the components of this project
  (``$CI_SERVER_FQDN/$CI_PROJECT_PATH/NAME@...``), as compile writes them or the disk holds them;
* :class:`Checkout`: a checkout of another project in this one (a git submodule), for its
  components and files, whatever version an include names;
* :class:`~gitlabci_dsl.gitlab.includes.Sources`: the first of several that has the file.

Every name an include gives is untrusted: a source only ever reads regular files inside its
own folder (no ``..``, no links out), never more than GitLab's size limit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from .errors import LoadError
from .gitlab.includes import Include, Sources

__all__ = [
    "LOCK_FILE",
    "Checkout",
    "Locked",
    "OwnComponents",
    "Sources",
    "Templates",
    "Vendored",
    "digest",
    "key_of",
    "read_lock",
]

LOCK_FILE = "vendor.lock.json"
_FLAT_TEMPLATES = "lib__gitlab__ci__templates__"


def digest(text: str) -> str:
    """The digest the lock file records for a vendored file: ``sha256:`` and its hex SHA-256."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def key_of(include: Include) -> str | None:
    """How the lock file names what an include reads, as the pipeline writes it (variables
    unexpanded): ``project:group/ci:templates/build.yml@v1``, ``remote:https://...``,
    ``template:Jobs/SAST.gitlab-ci.yml``, ``component:$CI_SERVER_FQDN/group/ci/build@1.0``.
    None for a project include of several files (each file is its own entry) or an invalid
    one."""
    if include.location is None:
        return None
    if include.kind == "project":
        entry = include.entry if isinstance(include.entry, dict) else {}
        file, ref = entry.get("file"), entry.get("ref")
        if not isinstance(file, str):
            return None
        return f"project:{include.location}:{file.lstrip('/')}" + (
            f"@{ref}" if ref is not None else ""
        )
    if include.kind in ("remote", "template", "component"):
        return f"{include.kind}:{include.location}"
    return None


class Locked(NamedTuple):
    """One entry of the lock file."""

    key: str  # key_of(the include)
    path: str  # the file, relative to the vendored folder
    ref: str | None  # the ref or version the include names, as GitLab resolved it
    sha: str | None  # the commit it resolved to (None for a remote URL)
    digest: str  # digest(text)

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "path": self.path,
            "ref": self.ref,
            "sha": self.sha,
            "digest": self.digest,
        }


def read_lock(folder: Path) -> dict[str, Locked]:
    """The lock file of a vendored folder, ``{key: entry}``; empty when there is none.
    A lock file that is not one gitlabci-dsl wrote is a :class:`LoadError`."""
    from .gitlab.paths import inside, read_file

    lock = inside(folder, LOCK_FILE)
    if lock is None:
        return {}
    shown = f"{folder.name}/{LOCK_FILE}"
    try:
        data = json.loads(read_file(lock, shown))
        entries = data["includes"]
        found = {}
        for entry in entries:
            locked = Locked(
                key=str(entry["key"]),
                path=str(entry["path"]),
                ref=None if entry["ref"] is None else str(entry["ref"]),
                sha=None if entry["sha"] is None else str(entry["sha"]),
                digest=str(entry["digest"]),
            )
            found[locked.key] = locked
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise LoadError(
            f"{shown}: not a lock file gitlabci-dsl vendor wrote ({type(exc).__name__}: {exc}); "
            "run gitlabci-dsl vendor again"
        ) from None
    return found


class Vendored:
    """The includes ``gitlabci-dsl vendor`` stored in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lock = read_lock(folder)

    def text(self, include: Include) -> str | None:
        from .gitlab.paths import read_text

        key = key_of(include)
        locked = self.lock.get(key) if key is not None else None
        if locked is None:
            return None
        text = read_text(self.folder, locked.path)
        if text is None or digest(text) != locked.digest:
            raise LoadError(
                f"{self.folder.name}/{locked.path}: the vendored copy of {key} is missing or "
                f"differs from the {locked.digest} its lock file records; run gitlabci-dsl "
                "vendor again (and review the change)"
            )
        return text


class Templates:
    """A folder of GitLab's CI templates for ``include: template``: a copy of GitLab's
    ``lib/gitlab/ci/templates`` (``Jobs/SAST.gitlab-ci.yml`` is ``Jobs/SAST.gitlab-ci.yml``
    in it), a checkout of GitLab itself, or a flat folder whose file names spell each
    template's path with ``__`` for ``/`` after ``lib__gitlab__ci__templates__``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._flat: dict[str, str] | None = None

    def text(self, include: Include) -> str | None:
        from .gitlab.paths import read_text

        if include.kind != "template" or include.location is None:
            return None
        name = include.location.lstrip("/")
        for candidate in (name, f"lib/gitlab/ci/templates/{name}"):
            text = read_text(self.folder, candidate)
            if text is not None:
                return text
        flat = self._flat_names().get(name.replace("/", "__"))
        return read_text(self.folder, flat) if flat is not None else None

    def _flat_names(self) -> dict[str, str]:
        if self._flat is None:
            self._flat = {}
            try:
                names = sorted(p.name for p in self.folder.iterdir())
            except OSError:
                names = []
            for file in names:
                _, found, rest = file.partition(_FLAT_TEMPLATES)
                if found and rest:
                    self._flat.setdefault(rest, file)
        return self._flat


class OwnComponents:
    """This project's components, ``$CI_SERVER_FQDN/$CI_PROJECT_PATH/NAME@VERSION``: the
    pipeline runs on this commit, so the version is this checkout (``pending``: the
    files compile is about to write, read before the disk)."""

    def __init__(self, root: Path, pending: Mapping[str, str] | None = None) -> None:
        self.root = root
        self.pending = pending or {}

    def text(self, include: Include) -> str | None:
        from .gitlab.components import parse, template_paths
        from .gitlab.paths import read_text

        if include.kind != "component" or include.location is None:
            return None
        address = parse(include.location)
        if address is None or not address.this_project:
            return None
        for path in template_paths(address.name):
            text = self.pending.get(path)
            if text is None:
                text = read_text(self.root, path)
            if text is not None:
                return text
        return None


class Checkout:
    """A checkout of the project ``project`` (``group/ci``) in ``folder``: its components
    (``HOST/group/ci/NAME@...``) and its files (``project: group/ci``), read as they are in
    the folder whatever version or ref the include names."""

    def __init__(self, project: str, folder: Path) -> None:
        self.project = project.strip("/")
        self.folder = folder

    def text(self, include: Include) -> str | None:
        from .gitlab.components import parse, template_paths
        from .gitlab.paths import read_text

        if include.location is None:
            return None
        if include.kind == "project" and include.location.strip("/") == self.project:
            file = include.entry.get("file") if isinstance(include.entry, dict) else None
            return read_text(self.folder, file) if isinstance(file, str) else None
        address = parse(include.location) if include.kind == "component" else None
        if address is None or address.project != self.project:
            return None
        for path in template_paths(address.name):
            text = read_text(self.folder, path)
            if text is not None:
                return text
        return None
