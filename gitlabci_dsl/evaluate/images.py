"""The images a job pushes, read from the tag lines the container blocks write.

``DockerBuild``, ``KanikoBuild`` and ``Mirror`` decide their tags when the job runs, with shell
lines of one fixed form (``TagStrategy.shell()``): a first ``TAGS="..."`` and
``if [ -n "$X" ] [&& [ "$X" = "$Y" ]]; then TAGS="$TAGS tag"; fi`` lines. Those lines are
evaluated here for the pipeline's variables; the repository is the job's ``IMAGE`` (builds)
or ``TARGET`` (mirrors) variable. Jobs written another way push nothing as far as this knows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["pushed_images"]

_FIRST = re.compile(r'^TAGS="([^"]*)"$')
_MORE = re.compile(
    r'^if \[ -n "\$(\w+)" \](?: && \[ "\$(\w+)" = "\$(\w+)" \])?; then TAGS="\$TAGS ([^"]*)"; fi$'
)
_VARIABLE = re.compile(r"\$\{?(\w+)\}?")


def pushed_images(job: Mapping[str, Any], variables: Mapping[str, str]) -> tuple[str, ...]:
    """``repository:tag`` for each tag the job's tag lines give (variables left unknown, and
    those named like secrets, stay as ``$NAME``)."""
    own = job.get("variables") if isinstance(job.get("variables"), dict) else {}
    assert isinstance(own, dict)
    context = {**variables, **{str(k): str(v) for k, v in own.items() if isinstance(v, str)}}
    repository = own.get("IMAGE") or own.get("TARGET")
    if not isinstance(repository, str):
        return ()
    tags: list[str] | None = None
    for item in job.get("script") or []:
        for raw in str(item).splitlines():
            line = raw.strip()
            first = _FIRST.match(line)
            if first:
                tags = first.group(1).split()
                continue
            more = _MORE.match(line)
            if more and tags is not None:
                present, left, right, tag = more.groups()
                holds = bool(context.get(present))
                if left is not None:
                    holds = holds and context.get(left) == context.get(right)
                if holds:
                    tags.append(tag)
    if tags is None:
        return ()
    image = _expand(repository, context)
    return tuple(f"{image}:{_expand(tag, context)}" for tag in tags)


def _expand(text: str, variables: Mapping[str, str]) -> str:
    """``text`` with the variables known here filled in; one named like a secret stays
    ``$NAME``: explain's output is often pasted into merge requests and logs."""
    from ..gitlab.secrets import looks_secret

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return match.group(0) if looks_secret(name) else variables.get(name, match.group(0))

    return _VARIABLE.sub(value, text)
