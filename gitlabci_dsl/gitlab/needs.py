"""A job's ``needs``, read once for every consumer: the checks, ``explain`` and ``graph``.

``needs:`` lists names or ``{job: ..., optional: ..., parallel: ...}`` mappings (nested lists,
as ``!reference`` makes them, are flattened the way GitLab flattens them); a need on another
pipeline's or project's job (``pipeline:``/``project:``) is not a job of this pipeline.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from .parallel import expand_need
from .stages import flatten

__all__ = ["Need", "cycles", "needed_names", "needs_of"]


class Need(NamedTuple):
    position: int  # in the flattened list
    job: str
    optional: bool
    parallel: Any  # the need's own ``parallel: matrix`` selection, if any


def needs_of(job: Mapping[Any, Any], key: str = "needs") -> Iterator[Need]:
    """The needs of ``job`` (or of a rule, with ``key``) on jobs of this pipeline."""
    value = job.get(key)
    if not isinstance(value, list):
        return
    for index, need in enumerate(flatten(value)):
        if isinstance(need, str):
            yield Need(index, need, False, None)
        elif isinstance(need, dict) and isinstance(need.get("job"), str):
            if "pipeline" in need or "project" in need:
                continue  # another pipeline's job
            yield Need(index, need["job"], bool(need.get("optional")), need.get("parallel"))


def needed_names(job: Mapping[Any, Any], jobs: Mapping[str, Mapping[Any, Any]]) -> tuple[str, ...]:
    """The names of the jobs ``job`` needs, as GitLab names them: a need on a parallel job
    means each of its instances (or those its ``parallel: matrix`` selects)."""
    names: list[str] = []
    for need in needs_of(job):
        names += expand_need(need.job, jobs, need.parallel)
    return tuple(names)


def cycles(graph: Mapping[str, Sequence[str]]) -> Iterator[tuple[str, list[str]]]:
    """Each edge of ``graph`` (a node: the nodes it needs, all of them keys) that closes a
    cycle, as (the node it leaves, the cycle from its first node back to it), depth first and
    without recursion, so that a long chain of needs cannot exhaust the stack."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start, children_of_start in graph.items():
        if start in state:
            continue
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(children_of_start))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            for child in children:
                if state.get(child) == 1:
                    yield node, [*path[path.index(child) :], child]
                elif child not in state:
                    state[child] = 1
                    stack.append((child, iter(graph[child])))
                    path.append(child)
                    break
            else:
                state[node] = 2
                stack.pop()
                path.pop()
