"""The shell scripts a job runs, as the runner runs them.

After ``extends``, ``default:`` (and the deprecated top-level defaults) and ``!reference``,
a job's ``before_script`` and ``script`` run together in one shell, ``after_script`` in a shell
of its own, and ``hooks:pre_get_sources_script`` in another, before the repository is fetched
(https://docs.gitlab.com/ci/yaml/#before_script, #after_script, #hookspre_get_sources_script).
Nested lists (from ``!reference``) are flattened, as GitLab flattens them.

The strings of the scripts are the very objects of the configuration given: a caller that
marks strings (a ``str`` subclass carrying where each was written) finds its marks on them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Literal, NamedTuple

from .defaults import effective_job
from .expand import gitlab_view
from .extends import parents_of, resolve_extends
from .facts import GLOBAL_KEYS

__all__ = ["Script", "Shell", "job_scripts", "shell_of"]

Shell = Literal["bash", "busybox"]
"""The shell dialect a script is written for: GNU bash, or BusyBox's ``sh`` (ash)."""

# Images whose only shell is BusyBox's sh: the runner falls back to `sh` when an image has no
# bash (https://docs.gitlab.com/runner/shells/#sh). Alpine (and what is built on it, such as
# docker:* and tags ending in -alpine) and busybox ship BusyBox; Kaniko's :debug image too.
_BUSYBOX_IMAGES = ("alpine", "busybox", "docker", "kaniko-project/executor")
# Images with a Windows shell (PowerShell or cmd): no POSIX script to check.
_WINDOWS_IMAGES = ("windows", "servercore", "nanoserver", "powershell")


class Script(NamedTuple):
    """One shell a job starts: ``kind`` (``script``: before_script and script together,
    ``after_script``, ``pre_get_sources_script``), its ``lines`` (each a string of the
    configuration), the ``shell`` it runs in (None: not a POSIX shell), and the names of the
    variables the job defines."""

    job: str
    kind: str
    lines: tuple[str, ...]
    shell: Shell | None
    variables: tuple[str, ...]


def job_scripts(config: Mapping[Any, Any], *, unused_templates: bool = False) -> Iterator[Script]:
    """Every script each job of the pipeline ``config`` (a file's mapping, its includes merged
    in) runs, in the order of the jobs. Templates (``.name``) and trigger jobs run none; a job
    on Windows runs PowerShell (its shell is None). ``unused_templates``: also the scripts of
    each template no job extends, as if it were a job (a file of templates that other files
    include runs its scripts there)."""
    view = gitlab_view(dict(config))
    if not isinstance(view, dict):
        return
    jobs = {
        k: v
        for k, v in view.items()
        if isinstance(k, str) and k not in GLOBAL_KEYS and isinstance(v, dict)
    }
    extended = resolve_extends(jobs).jobs
    used: set[str] = set()
    if unused_templates:
        pending = [name for name in jobs if not name.startswith(".")]
        while pending:
            for parent in parents_of(jobs.get(pending.pop(), {})):
                if parent not in used:
                    used.add(parent)
                    pending.append(parent)
    for name in jobs:
        if name.startswith(".") and (not unused_templates or name in used):
            continue
        job = effective_job(extended[name], view)
        if "trigger" in job:
            continue
        shell = None if _on_windows(name, job, jobs) else shell_of(job.get("image"))
        variables = job.get("variables")
        names = (
            tuple(k for k in variables if isinstance(k, str)) if isinstance(variables, dict) else ()
        )
        main = [*_lines(job.get("before_script")), *_lines(job.get("script"))]
        if main:
            yield Script(name, "script", tuple(main), shell, names)
        after = _lines(job.get("after_script"))
        if after:
            yield Script(name, "after_script", tuple(after), shell, names)
        hooks = job.get("hooks")
        if isinstance(hooks, dict):
            hook = _lines(hooks.get("pre_get_sources_script"))
            if hook:
                yield Script(name, "pre_get_sources_script", tuple(hook), shell, names)


def _on_windows(name: str, job: Mapping[Any, Any], jobs: Mapping[str, Any]) -> bool:
    """Whether the job runs on Windows (PowerShell): a runner tag says so, or the name of the
    job or of a template it extends does (``.windows test``) where that template's runner
    tags are set in a file that is not at hand."""
    tags = job.get("tags")
    if isinstance(tags, list) and any(isinstance(t, str) and "windows" in t.lower() for t in tags):
        return True
    seen, pending = set(), [name]
    while pending:
        current = pending.pop()
        if "windows" in current.lower():
            return True
        if current in seen or current not in jobs:
            continue
        seen.add(current)
        pending += parents_of(jobs[current])
    return False


def _lines(value: Any) -> list[str]:
    """The strings of a script keyword: one string, or a list, nested lists flattened."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        return []
    lines: list[str] = []
    stack = [iter(value)]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
        elif isinstance(item, list):
            stack.append(iter(item))
        elif isinstance(item, str):
            lines.append(item)
    return lines


def shell_of(image: Any) -> Shell | None:
    """The shell a job with ``image`` (a name, or ``{name: ...}``) runs its script in, where
    the image's name tells: BusyBox's sh for Alpine, BusyBox and Docker images, nothing for
    Windows images; bash otherwise (and without an image: the runner's own image or host)."""
    name = image.get("name") if isinstance(image, dict) else image
    if not isinstance(name, str):
        return "bash"
    lowered = name.lower()
    if any(word in lowered for word in _WINDOWS_IMAGES):
        return None
    reference = lowered.split("@", 1)[0]
    repository, tag = reference, ""
    if ":" in reference.rsplit("/", 1)[-1]:
        repository, tag = reference.rsplit(":", 1)
    path = repository.split("/")
    if (
        path[-1] in _BUSYBOX_IMAGES
        or "/".join(path[-2:]) in _BUSYBOX_IMAGES
        or (len(path) > 1 and path[-2] == "alpine")  # alpine/git, alpine/helm...
        or "alpine" in tag
    ):
        return "busybox"
    return "bash"
