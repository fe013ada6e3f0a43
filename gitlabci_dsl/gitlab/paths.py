"""Paths that GitLab resolves inside the repository (``include: local``, ``rules:exists``).

GitLab reads these from the repository at the pipeline's commit, so nothing outside the
project can be named: ``../x.yml``, an absolute path elsewhere, or a symbolic link that leaves
the tree is simply not there. Every reader of such a path goes through :func:`inside`.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import GitlabCIDSLError

__all__ = [
    "ProjectFiles",
    "UnreadableError",
    "inside",
    "project_files",
    "read_file",
    "read_text",
    "resolve_in",
]


def resolve_in(root: Path, relative: str) -> Path | None:
    """The path ``relative`` names in the project at ``root``, links followed, or None when it
    would leave the project (``..``, an absolute path elsewhere, a link outside). A leading
    ``/`` means the project root, as in GitLab. The file need not exist."""
    if "\0" in relative:
        return None
    base = root.resolve()
    candidate = (base / relative.lstrip("/")).resolve()
    if candidate != base and base not in candidate.parents:
        return None
    return candidate


def inside(root: Path, relative: str) -> Path | None:
    """The regular file ``relative`` names in the project at ``root`` (see
    :func:`resolve_in`), or None when there is none: a missing file, a path that leaves the
    project, a folder, a device or a FIFO."""
    candidate = resolve_in(root, relative)
    if candidate is None:
        return None
    try:
        mode = candidate.stat().st_mode
    except OSError:
        return None
    return candidate if stat.S_ISREG(mode) else None


class UnreadableError(GitlabCIDSLError):
    """A file that cannot be read as a pipeline file; the message says why."""


def read_file(path: Path, shown: str | None = None) -> str:
    """The text of the pipeline file at ``path``, or :class:`UnreadableError` saying why not
    (``shown`` names it in the message): only a regular file is read, never a FIFO (reading
    one waits for ever), a device such as ``/dev/zero`` (endless) or a folder, and never more
    than :data:`~gitlabci_dsl.gitlab.facts.MAX_YAML_SIZE_BYTES`."""
    from .facts import MAX_YAML_SIZE_BYTES

    name = shown if shown is not None else str(path)
    try:
        # Non-blocking, so that opening a FIFO does not wait for a writer; then fstat tells
        # what was opened, with no race between looking and reading.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise UnreadableError(f"{name}: cannot read: {exc.strerror}") from None
    status = os.fstat(descriptor)
    mode = status.st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        kinds = {stat.S_ISDIR: "a folder", stat.S_ISFIFO: "a FIFO", stat.S_ISCHR: "a device"}
        kind = next((k for test, k in kinds.items() if test(mode)), "not a regular file")
        raise UnreadableError(f"{name}: is {kind}, not a file; nothing was read")
    with os.fdopen(descriptor, "rb") as handle:
        # read(n) allocates n bytes up front: ask for what the file holds (one byte more, to
        # see a file that grew), not for the whole limit, 150 MB for every small file.
        data = handle.read(min(status.st_size, MAX_YAML_SIZE_BYTES) + 1)
        if len(data) > status.st_size:  # it grew while read: the rest, up to the limit
            data += handle.read(MAX_YAML_SIZE_BYTES + 1 - len(data))
    if len(data) > MAX_YAML_SIZE_BYTES:
        raise UnreadableError(
            f"{name}: is larger than {MAX_YAML_SIZE_BYTES:,} bytes, GitLab's limit for a "
            "configuration"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableError(f"{name}: is not UTF-8 text (byte {exc.start + 1})") from None


def read_text(root: Path, relative: str) -> str | None:
    """The text of the project file ``relative`` (see :func:`inside` and :func:`read_file`);
    None when it is not a readable UTF-8 regular file inside the project."""
    path = inside(root, relative)
    if path is None:
        return None
    try:
        return read_file(path)
    except UnreadableError:
        return None


def project_files(root: Path) -> tuple[str, ...]:
    """Every regular file of the project at ``root``, as sorted ``/``-separated paths relative
    to it: what GitLab's repository would hold. In a git work tree, the files git would commit
    (tracked, and untracked but not ignored: ``node_modules/`` or a virtualenv stay out);
    elsewhere every file but ``.git``. Links count only when they stay inside the project.
    Lists the tree on every call: callers that need it more than once keep the result."""
    base = root.resolve()
    listed = _git_files(base)
    if listed is None:
        listed = []
        for folder, dirs, files in os.walk(base):
            dirs[:] = sorted(d for d in dirs if d != ".git" and not Path(folder, d).is_symlink())
            listed += [Path(folder, name).relative_to(base).as_posix() for name in files]
    return tuple(sorted(p for p in set(listed) if inside(base, p) is not None))


class ProjectFiles:
    """The files of the project at ``root`` (:func:`project_files`), listed on first use and
    kept: one listing per command, shared by wildcard includes and ``rules:exists``."""

    __slots__ = ("_listing", "root")

    def __init__(self, root: Path) -> None:
        self.root = root
        self._listing: tuple[str, ...] | None = None

    def listing(self) -> tuple[str, ...]:
        if self._listing is None:
            self._listing = project_files(self.root)
        return self._listing


def _git_files(base: Path) -> list[str] | None:
    """The files git would commit in the work tree at ``base``; None when it is not one."""
    import shutil
    import subprocess

    git = shutil.which("git")
    if git is None or not (base / ".git").exists():
        return None
    done = subprocess.run(
        [git, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=base,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        return None
    return [p for p in done.stdout.decode("utf-8", "surrogateescape").split("\0") if p]
