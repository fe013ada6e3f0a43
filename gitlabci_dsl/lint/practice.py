"""Security and practice: what GitLab accepts but a careful reviewer would not.

Script lines are matched one by one (``script``, ``before_script``, ``after_script`` of every
job, template and ``default``); images and services by their references; the rest by keyword.
Each rule is deliberately narrow: a finding should be worth fixing, not a guess.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..gitlab.facts import DEPRECATED_GLOBALS
from ..gitlab.needs import needs_of
from ..gitlab.reader import Document, Tagged

__all__ = ["check"]

SCRIPTS = ("before_script", "script", "after_script")
_SENSITIVE_VARIABLE = r"\$\{?[A-Za-z_]*(?:PASSWORD|PASSWD|TOKEN|SECRET|API_KEY|PRIVATE_KEY|CREDENTIALS?)[A-Za-z0-9_]*\}?"

# Each: (rule, pattern, message). Compiled on first use, by RE2: script lines are untrusted
# text, and these patterns (backtracking under Python's re) took seconds on a long line.
_LINE_RULES: list[tuple[str, str, str]] = [
    (
        "secret-on-command-line",
        r"\b(?:docker|podman|buildah|skopeo|nerdctl|helm|crane)\b[^|;&]*\blogin\b[^|;&]*\s(?:-p|--password)(?:=|\s+)[^-\s]",
        "a registry password on the login command line shows in the process list and logs; "
        "pipe it to --password-stdin",
    ),
    (
        "secret-on-command-line",
        r"\bcurl\b[^|;&]*\s(?:-u|--user)(?:=|\s+)[\"']?[^\s\"':]*:" + _SENSITIVE_VARIABLE,
        "curl -u user:$SECRET puts the secret in the process list; pass it with "
        "--config - or a --header @- read from stdin",
    ),
    (
        "secret-on-command-line",
        r"--(?:docker-password|password|passwd|token|secret|api-key)(?:=|\s+)[\"']?"
        + _SENSITIVE_VARIABLE,
        "a secret passed as a command-line option shows in the process list; read it from "
        "stdin or a file",
    ),
    (
        "secret-echoed",
        r"^\s*(?:echo|printf)\b[^|>\n]*" + _SENSITIVE_VARIABLE + r"[^|>\n]*$",
        "printing a secret writes it to the job log (masking misses altered values); pipe it "
        "to the command that needs it instead",
    ),
    (
        "curl-pipe-shell",
        r"\b(?:curl|wget)\b[^|]*\|\s*(?:sudo\s+)?(?:ba|z|da)?sh\b",
        "running a downloaded script unchecked executes whatever the server sends; download, "
        "verify a checksum, then run",
    ),
]
_compiled: list[tuple[str, Any, str]] = []


def _line_rules() -> list[tuple[str, Any, str]]:
    if not _compiled:
        from ..gitlab.regex import linear

        _compiled.extend((rule, linear(p), message) for rule, p, message in _LINE_RULES)
    return _compiled


def check(document: Document, add: Any, global_keys: frozenset[str]) -> None:
    """Report through ``add(rule, message, job, *path)``."""
    data = document.data
    if not isinstance(data, dict):
        return
    for key in DEPRECATED_GLOBALS:
        if key in data:
            add(
                "deprecated-keyword",
                f"top-level {key!r} is deprecated; move it under 'default:'",
                None,
                key,
            )
    # Trigger jobs that succeed once their downstream pipeline is created, without waiting.
    waitless = {
        name
        for name, job in data.items()
        if isinstance(job, dict)
        and "trigger" in job
        and not (
            isinstance(job["trigger"], dict)
            and job["trigger"].get("strategy") in ("depend", "mirror")
        )
    }
    for name, job in data.items():
        if not isinstance(job, dict) or (name in global_keys and name != "default"):
            continue
        label = None if name == "default" else name
        _check_scripts(job, name, label, add)
        _check_images(job, name, label, add)
        _check_dind(job, name, label, add)
        if name == "default":
            continue
        for keyword in ("only", "except", "type"):
            if keyword in job:
                add(
                    "deprecated-keyword" if keyword == "type" else "only-except",
                    f"{keyword!r} is deprecated; use 'rules:'"
                    if keyword != "type"
                    else "'type' is deprecated; use 'stage'",
                    label,
                    name,
                    keyword,
                )
        for need in needs_of(job):
            if need.job in waitless:
                add(
                    "needs-trigger-without-depend",
                    f"needs the trigger job {need.job!r}, which does not wait for its "
                    "downstream pipeline (no strategy: depend), so neither does this job",
                    label,
                    name,
                    "needs",
                    need.position,
                )
        if job.get("allow_failure") is True and _is_scan(job):
            add(
                "scan-allow-failure",
                "a security scan with allow_failure: true never stops the jobs after it",
                label,
                name,
                "allow_failure",
            )


def _script_lines(job: dict[Any, Any]) -> Iterator[tuple[str, int, str, int, int]]:
    """(keyword, item index, line, its offset in the item, the item's line count) of the job's
    scripts."""
    for keyword in SCRIPTS:
        items = job.get(keyword)
        items = [items] if isinstance(items, str) else items
        if not isinstance(items, list) or isinstance(items, Tagged):
            continue
        for index, item in enumerate(items):
            if isinstance(item, str):
                lines = item.splitlines()
                for offset, line in enumerate(lines):
                    yield keyword, index, line, offset, len(lines)


def _check_scripts(job: dict[Any, Any], name: str, label: str | None, add: Any) -> None:
    from .injection import unsafe

    for keyword, index, line, offset, lines in _script_lines(job):
        # A multi-line item is a block scalar: its text starts below the `|`.
        below = offset + 1 if lines > 1 else 0
        for rule, pattern, message in _line_rules():
            if pattern.search(line):
                add(rule, message, label, name, keyword, index, line_offset=below)
        for variable, how in dict.fromkeys(unsafe(line) if "$" in line else ()):
            add(
                "script-injection",
                _injection(variable, how),
                label,
                name,
                keyword,
                index,
                line_offset=below,
            )


def _injection(variable: str, how: str) -> str:
    if how == "unquoted":
        return (
            f"${variable} holds text whoever pushes or opens the merge request chooses, and "
            f'it is expanded unquoted (split into words, globbed): quote it, "${variable}"'
        )
    return (
        f"${variable} holds text whoever pushes or opens the merge request chooses, and {how} "
        f'runs it as code: pass it as an argument ("$@") or read it from the environment '
        "inside the command, never build code from it"
    )


def _is_scan(job: dict[Any, Any]) -> bool:
    reports = (
        job.get("artifacts", {}).get("reports") if isinstance(job.get("artifacts"), dict) else None
    )
    if isinstance(reports, dict) and {"container_scanning", "dependency_scanning", "sast"} & set(
        reports
    ):
        return True
    from ..gitlab.regex import linear

    scanner = linear(r"\b(?:trivy|grype)\s+(?:image|fs|repo)\b")
    return any(scanner.search(line) for _, _, line, _, _ in _script_lines(job))


def _images(job: dict[Any, Any]) -> Iterator[tuple[str, tuple[Any, ...]]]:
    image = job.get("image")
    if isinstance(image, dict):
        image = image.get("name")
    if isinstance(image, str):
        yield image, ("image",)
    services = job.get("services")
    for index, service in enumerate(services if isinstance(services, list) else []):
        reference = service.get("name") if isinstance(service, dict) else service
        if isinstance(reference, str):
            yield reference, ("services", index)


def _check_images(job: dict[Any, Any], name: str, label: str | None, add: Any) -> None:
    for reference, path in _images(job):
        if "$" in reference or "@sha256:" in reference:
            continue  # chosen at run time, or pinned by digest
        last = reference.rsplit("/", 1)[-1]
        tag = last.split(":", 1)[1] if ":" in last else None
        if tag is None or tag == "latest":
            why = "no tag (so 'latest')" if tag is None else "the tag 'latest'"
            add(
                "unpinned-image",
                f"{reference!r} has {why}: a new upstream release changes the job unnoticed; "
                "pin a version or a digest",
                label,
                name,
                *path,
            )


def _check_dind(job: dict[Any, Any], name: str, label: str | None, add: Any) -> None:
    if not any("dind" in reference for reference, _ in _images(job)):
        return
    variables = job.get("variables") if isinstance(job.get("variables"), dict) else {}
    assert isinstance(variables, dict)
    certdir = variables.get("DOCKER_TLS_CERTDIR")
    host = str(variables.get("DOCKER_HOST", ""))
    if certdir == "" or host.endswith(":2375"):
        add(
            "dind-without-tls",
            "Docker-in-Docker without TLS lets any container on the network drive the daemon; "
            "set DOCKER_TLS_CERTDIR: /certs and DOCKER_HOST: tcp://docker:2376",
            label,
            name,
            "variables",
        )
