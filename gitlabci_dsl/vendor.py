"""``gitlabci-dsl vendor``: copy the includes of other projects into the project, pinned.

Every ``project``, ``component``, ``template`` and ``remote`` include of the pipeline files
(and of the files they include, followed the same way) is read through GitLab's REST API,
resolved to the commit its ref or version names at that moment, and written into the vendored
folder with a lock file (:data:`~gitlabci_dsl.sources.LOCK_FILE`) that records, for each, the
include as written, the ref, the commit SHA and the digest of the file. lint, explain, graph
and compile then read them from there (:class:`~gitlabci_dsl.sources.Vendored`), with no
network.

* ``project``: ``GET /projects/:id/repository/commits/:ref`` (the default branch's commit
  without ``ref``), then the file's raw content at that commit;
* ``component``: ``host/project/name@version``; ``~latest`` and partial versions (``1``,
  ``1.2``) take the newest matching release (``GET /projects/:id/releases``), as GitLab does;
  the file is ``templates/name.yml`` or ``templates/name/template.yml`` at that commit;
* ``template``: ``GET /templates/gitlab_ci_ymls/:key``, at the instance's revision
  (``GET /version``);
* ``remote``: the URL itself, without the token (it goes to no other server), checked
  against its ``integrity`` when the include gives one.

The token comes from ``GITLAB_TOKEN`` (a personal, project or group access token, sent as
``PRIVATE-TOKEN``) or, in a job, ``CI_JOB_TOKEN`` (``JOB-TOKEN``): never from the command
line, where the process list and the shell history show it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from .errors import GitlabCIDSLError, UsageError
from .gitlab.includes import Include, at_origin, entries, origin_of
from .sources import LOCK_FILE, Locked, digest, key_of

__all__ = ["Api", "VendorError", "Vendored", "token_from", "vendor"]

_TIMEOUT = 30


class VendorError(GitlabCIDSLError):
    """An include could not be read from GitLab; the message says which and why."""


class Vendored(NamedTuple):
    """What ``vendor`` writes: ``{path in the folder: text}``, the lock file's text included."""

    files: dict[str, str]
    locked: tuple[Locked, ...]


def token_from(environment: Mapping[str, str]) -> tuple[str, str] | None:
    """The header that authenticates to GitLab: ``("PRIVATE-TOKEN", GITLAB_TOKEN)`` or
    ``("JOB-TOKEN", CI_JOB_TOKEN)``; None without either (public projects only)."""
    if environment.get("GITLAB_TOKEN"):
        return "PRIVATE-TOKEN", environment["GITLAB_TOKEN"]
    if environment.get("CI_JOB_TOKEN"):
        return "JOB-TOKEN", environment["CI_JOB_TOKEN"]
    return None


class Api:
    """GitLab's REST API at ``url`` (``https://gitlab.example.com``)."""

    def __init__(self, url: str, token: tuple[str, str] | None) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise UsageError(f"--url {url!r}: give the GitLab instance's http(s) URL")
        self.url = url.rstrip("/")
        self.host = parsed.netloc
        self.token = token

    def get(self, path: str, *, query: Mapping[str, str] | None = None) -> bytes:
        """``GET /api/v4{path}``, authenticated."""
        address = f"{self.url}/api/v4{path}"
        if query:
            address += "?" + urllib.parse.urlencode(query)
        headers = dict([self.token]) if self.token is not None else {}
        return fetch(address, headers)

    def json(self, path: str, **query: str) -> Any:
        body = self.get(path, query=query or None)
        try:
            return json.loads(body)
        except (ValueError, RecursionError):
            raise VendorError(f"GET {path}: GitLab answered with something not JSON") from None


def fetch(address: str, headers: Mapping[str, str]) -> bytes:
    """The body at ``address`` (never more than GitLab's size limit for a CI file)."""
    from .gitlab.facts import MAX_YAML_SIZE_BYTES

    if urllib.parse.urlsplit(address).scheme not in ("http", "https"):
        # A remote include's URL is data: never file:, ftp: or a custom scheme.
        raise VendorError(f"{_shown(address)}: not an http(s) URL; GitLab reads only those")
    request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
        address, headers={"User-Agent": "gitlabci-dsl", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:  # noqa: S310
            body: bytes = response.read(MAX_YAML_SIZE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        hint = {
            401: "the token is missing or not valid: set GITLAB_TOKEN",
            403: "the token may not read it",
            404: "no such project, file, ref or template (or the token may not see it)",
        }.get(exc.code, "GitLab refused the request")
        raise VendorError(f"GET {_shown(address)}: {exc.code} {exc.reason}; {hint}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise VendorError(f"GET {_shown(address)}: cannot connect ({reason})") from None
    if len(body) > MAX_YAML_SIZE_BYTES:
        raise VendorError(f"GET {_shown(address)}: larger than GitLab's limit for a CI file")
    return body


def _shown(address: str) -> str:
    return address.split("?", 1)[0]


def _id(project: str) -> str:
    return urllib.parse.quote(project, safe="")


# Matched with RE2 (the text comes from GitLab or a pipeline file): compiled on first use.
_SEMVER = r"v?(\d+)\.(\d+)\.(\d+)"
_VARIABLE = r"\$\{(\w+)\}|\$(\w+)"


def _release(api: Api, project: str, version: str) -> str:
    """The tag of the newest release ``version`` (``~latest``, ``1``, ``1.2``) names."""
    from .gitlab.regex import linear

    releases = api.json(f"/projects/{_id(project)}/releases", per_page="100")
    prefix = None if version == "~latest" else tuple(int(p) for p in version.split("."))
    best: tuple[tuple[int, ...], str] | None = None
    for release in releases if isinstance(releases, list) else []:
        tag = release.get("tag_name") if isinstance(release, dict) else None
        match = linear(_SEMVER).fullmatch(tag) if isinstance(tag, str) else None
        if match is None or not isinstance(tag, str):
            continue
        number = tuple(int(g) for g in match.groups())
        if prefix is not None and number[: len(prefix)] != prefix:
            continue
        if best is None or number > best[0]:
            best = (number, tag)
    if best is None:
        raise VendorError(f"component project {project}: no release matches {version!r}")
    return best[1]


def _commit(api: Api, project: str, ref: str) -> str:
    found = api.json(
        f"/projects/{_id(project)}/repository/commits/{urllib.parse.quote(ref, safe='')}"
    )
    sha = found.get("id") if isinstance(found, dict) else None
    if not isinstance(sha, str):
        raise VendorError(f"project {project}: GitLab gave no commit for ref {ref!r}")
    return sha


def _raw(api: Api, project: str, path: str, sha: str) -> bytes:
    return api.get(
        f"/projects/{_id(project)}/repository/files/{_id(path.lstrip('/'))}/raw",
        query={"ref": sha},
    )


def _expand(text: str, variables: Mapping[str, str]) -> str:
    """The predefined variables GitLab expands in an include's location."""

    from .gitlab.regex import linear

    def value(match: Any) -> str:
        name = match.group(1) or match.group(2)
        return str(variables.get(name, match.group(0)))

    return str(linear(_VARIABLE).sub(value, text))


def _text(body: bytes, what: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise VendorError(f"{what}: not UTF-8 text") from None


def read_one(
    api: Api, include: Include, variables: Mapping[str, str]
) -> tuple[str, str | None, str | None]:
    """(text, ref, sha) of what one include names, read through ``api``."""
    from .gitlab.components import parse, template_paths
    from .gitlab.regex import linear

    entry = include.entry if isinstance(include.entry, dict) else {}
    location = _expand(include.location or "", variables)
    if include.kind == "project":
        ref = entry.get("ref")
        if ref is None:
            about = api.json(f"/projects/{_id(location)}")
            ref = about.get("default_branch") if isinstance(about, dict) else None
            if not isinstance(ref, str):
                raise VendorError(f"project {location}: GitLab gave no default branch")
        ref = _expand(str(ref), variables)
        sha = _commit(api, location, ref)
        return _text(_raw(api, location, str(entry["file"]), sha), location), ref, sha
    if include.kind == "component":
        address = parse(location)
        if address is None or address.version is None:
            raise VendorError(f"component {location!r}: not host/group/project/name@version")
        if address.host != api.host:
            raise VendorError(
                f"component {location!r} is on {address.host}, not {api.host}: vendor it with "
                f"--url https://{address.host}"
            )
        version = address.version
        if version == "~latest" or linear(r"\d+(?:\.\d+)?").fullmatch(version):
            version = _release(api, address.project, version)
        sha = _commit(api, address.project, version)
        for path in template_paths(address.name):
            try:
                return _text(_raw(api, address.project, path, sha), location), version, sha
            except VendorError as exc:
                if " 404 " not in str(exc):
                    raise
        raise VendorError(
            f"component {location!r}: {address.project} has neither "
            f"{' nor '.join(template_paths(address.name))} at {version}"
        )
    if include.kind == "template":
        name = location.lstrip("/")
        key = name.removesuffix(".gitlab-ci.yml")
        found = api.json(f"/templates/gitlab_ci_ymls/{urllib.parse.quote(key, safe='')}")
        content = found.get("content") if isinstance(found, dict) else None
        if not isinstance(content, str):
            raise VendorError(f"template {name!r}: GitLab gave no content")
        about = api.json("/version")
        revision = about.get("revision") if isinstance(about, dict) else None
        release = about.get("version") if isinstance(about, dict) else None
        return content, release, revision
    if include.kind == "remote":
        text = _text(fetch(location, {}), location)
        integrity = entry.get("integrity")
        if isinstance(integrity, str):
            computed = "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
            if computed != integrity:
                raise VendorError(
                    f"remote {location}: its content does not match integrity {integrity}; "
                    "GitLab refuses it too"
                )
        return text, None, None
    raise VendorError(f"include {include.entry!r}: not one vendor reads")


def _path(kind: str, key: str) -> str:
    """Where an include goes in the folder: readable, and never outside it."""
    from .gitlab.regex import linear

    slug = linear(r"[^A-Za-z0-9._-]+").sub("_", key.partition(":")[2]).strip("._")[:80]
    return f"{kind}/{slug or kind}-{hashlib.sha256(key.encode()).hexdigest()[:10]}.yml"


def vendor(
    texts: Iterable[str],
    api: Api,
    variables: Mapping[str, str],
    *,
    skip: Callable[[Include], bool] = lambda include: False,
) -> Vendored:
    """Read every include of other projects in ``texts`` (pipeline files) and in the files
    they include, through ``api``; ``variables`` expand the locations (``CI_SERVER_FQDN``,
    ``CI_PROJECT_PATH``...); ``skip``: includes another source serves (this project's own
    components)."""
    from .gitlab.expand import pipeline_data
    from .gitlab.facts import MAX_INCLUDES
    from .gitlab.reader import YamlSyntaxError, load

    # (a file's text, the include that read it and where that is: None for this project's).
    pending: list[tuple[str, Include | None, tuple[str, str] | None]] = [
        (text, None, None) for text in texts
    ]
    files: dict[str, str] = {}
    locked: dict[str, Locked] = {}
    while pending:
        text, parent, at = pending.pop()
        try:
            data = pipeline_data(load(text))
        except YamlSyntaxError:
            continue  # lint says why
        listed = data.get("include") if isinstance(data, dict) else None
        for written in _each_file(entries(listed)):
            include, where = written, None
            if written.kind == "local" and parent is not None:
                # Another project's local file: the same project at the same commit.
                there = at_origin(written, origin_of(parent))
                if there is None or at is None:
                    continue
                include, where = there, at
            key = key_of(include)
            if include.kind in ("local", "artifact", "invalid") or key is None or skip(include):
                continue
            if key in locked:
                continue
            if len(locked) >= MAX_INCLUDES:
                raise VendorError(f"more than {MAX_INCLUDES} includes: GitLab refuses the pipeline")
            sha: str | None
            if where is not None:
                project, sha = where
                body = _raw(api, project, str(include.entry["file"]), sha)
                text, ref = _text(body, f"{project}:{include.entry['file']}"), None
            else:
                text, ref, sha = read_one(api, include, variables)
            path = _path(include.kind, key)
            files[path] = text
            locked[key] = Locked(key, path, ref or include.entry.get("ref"), sha, digest(text))
            pending.append((text, include, _located(include, variables, sha)))
    ordered = tuple(locked[key] for key in sorted(locked))
    lock = {"version": 1, "includes": [entry.as_json() for entry in ordered]}
    files[LOCK_FILE] = json.dumps(lock, indent=2, sort_keys=True) + "\n"
    return Vendored(files, ordered)


def _located(
    include: Include, variables: Mapping[str, str], sha: str | None
) -> tuple[str, str] | None:
    """(project path, commit) a project or component include was read from."""
    from .gitlab.components import parse

    if sha is None or include.location is None:
        return None
    location = _expand(include.location, variables)
    if include.kind == "project":
        return location, sha
    if include.kind == "component":
        address = parse(location)
        return (address.project, sha) if address is not None else None
    return None


def _each_file(listed: list[Include]) -> Iterable[Include]:
    """Each entry, a project include of several files as one entry a file."""
    for include in listed:
        file = include.entry.get("file") if isinstance(include.entry, dict) else None
        if include.kind == "project" and isinstance(file, list):
            for one in file:
                yield include._replace(entry={**include.entry, "file": one})
        else:
            yield include


def write_folder(root: Path, folder: Path, made: Vendored) -> tuple[list[Path], list[Path]]:
    """Write ``made`` into ``folder`` (inside the project at ``root``), all files or none,
    then remove the files the previous lock file listed that no include reads any more
    (only those: nothing else in the folder is touched). Returns (written, removed)."""
    from .errors import LoadError
    from .gitlab.paths import inside
    from .project import Target, files, write
    from .sources import read_lock

    try:
        previous = {entry.path for entry in read_lock(folder).values()}
    except LoadError:
        previous = set()  # not a lock file of ours: remove nothing
    targets = [
        Target(module=folder / LOCK_FILE, output=folder / path, text=text)
        for path, text in sorted(made.files.items())
    ]
    build = files(root, targets)
    write(build)
    removed = []
    for path in sorted(previous - set(made.files)):
        old = inside(folder, path)
        if old is not None:
            old.unlink()
            removed.append(old)
    return [stale.target.output for stale in build.stale], removed
