"""``extends:``, resolved as GitLab resolves it (``Gitlab::Ci::Config::Extendable``).

A job's configuration is the deep merge of its parents, in the order listed (later parents
over earlier), each resolved first, with the job's own keys over them all. A parent that does
not exist, a cycle, or a chain deeper than
:data:`~gitlabci_dsl.gitlab.facts.MAX_EXTENDS_DEPTH` makes GitLab refuse the pipeline; here such
a job is marked *incomplete* (its inherited keys are not known), and the problem is reported
once. Each job is resolved once and shared, so a diamond of ``extends`` costs no more than a
chain.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from .facts import MAX_EXTENDS_DEPTH
from .merge import deep_merge

__all__ = ["Extended", "ExtendsProblem", "parents_of", "resolve_extends"]


class ExtendsProblem(NamedTuple):
    """Why a job's ``extends`` cannot be resolved: ``kind`` is ``undefined`` (``parent`` does
    not exist), ``cycle`` (``chain`` leads back to ``parent``) or ``depth``."""

    job: str
    kind: str
    parent: str
    chain: tuple[str, ...]


class Extended(NamedTuple):
    """Every job after ``extends``; the jobs whose inherited keys are not all known."""

    jobs: dict[str, dict[Any, Any]]
    incomplete: frozenset[str]
    problems: tuple[ExtendsProblem, ...]


def parents_of(job: Mapping[Any, Any]) -> list[str]:
    """The names a job ``extends``, in order (a lone name or a list)."""
    value = job.get("extends")
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [item for item in items if isinstance(item, str)]


def resolve_extends(jobs: Mapping[str, Mapping[Any, Any]]) -> Extended:
    """Every job of ``jobs`` (templates included) with its ``extends`` merged in.

    A parent missing from ``jobs`` makes the job incomplete, as does an incomplete parent; the
    caller decides whether the parent may be defined elsewhere (an include not read offline).
    """
    problems: list[ExtendsProblem] = []
    incomplete: set[str] = set()
    levels = _levels(jobs, problems, incomplete)
    done: dict[str, dict[Any, Any]] = {}

    def resolve(name: str) -> dict[Any, Any]:
        # Recursion is bounded: only jobs at most MAX_EXTENDS_DEPTH levels deep, without
        # cycles, get here.
        known = done.get(name)
        if known is not None:
            return known
        job = jobs[name]
        merged: dict[Any, Any] = {}
        for parent in parents_of(job):
            if parent not in jobs:
                incomplete.add(name)
                problems.append(ExtendsProblem(name, "undefined", parent, (name,)))
            elif levels.get(parent) is None:  # in a cycle, or too deep: reported there
                incomplete.add(name)
            else:
                merged = deep_merge(merged, resolve(parent))
                if parent in incomplete:
                    incomplete.add(name)
        result = deep_merge(merged, {k: v for k, v in job.items() if k != "extends"})
        done[name] = result
        return result

    resolved: dict[str, dict[Any, Any]] = {}
    for name in jobs:
        if levels.get(name) is None:  # in a cycle or too deep: only its own keys are known
            resolved[name] = {k: v for k, v in jobs[name].items() if k != "extends"}
        else:
            resolved[name] = resolve(name)
    return Extended(resolved, frozenset(incomplete), tuple(problems))


def _levels(
    jobs: Mapping[str, Mapping[Any, Any]], problems: list[ExtendsProblem], incomplete: set[str]
) -> dict[str, int | None]:
    """Levels of inheritance above each job (0: extends nothing known); None for a job in a
    cycle, above one, or deeper than GitLab allows. Iterative: chains may be long."""
    levels: dict[str, int | None] = {}
    on_path: set[str] = set()
    for start in jobs:
        if start in levels:
            continue
        stack: list[tuple[str, list[str]]] = [
            (start, [p for p in parents_of(jobs[start]) if p in jobs])
        ]
        on_path.add(start)
        while stack:
            name, pending = stack[-1]
            if pending:
                parent = pending.pop()
                if parent in on_path:
                    chain = [n for n, _ in stack]
                    cycle = (*chain[chain.index(parent) :], parent)
                    problems.append(ExtendsProblem(name, "cycle", parent, cycle))
                    levels[parent] = None
                elif parent not in levels:
                    on_path.add(parent)
                    stack.append((parent, [p for p in parents_of(jobs[parent]) if p in jobs]))
                continue
            stack.pop()
            on_path.discard(name)
            if name in levels:  # closed a cycle through it
                incomplete.add(name)
                continue
            above = [levels[p] for p in parents_of(jobs[name]) if p in jobs]
            known = [level for level in above if level is not None]
            if len(known) < len(above):
                levels[name] = None
                incomplete.add(name)
                continue
            level = 1 + max(known) if known else 0
            if level > MAX_EXTENDS_DEPTH:
                problems.append(ExtendsProblem(name, "depth", parents_of(jobs[name])[0], (name,)))
                levels[name] = None
                incomplete.add(name)
                continue
            levels[name] = level
    return levels
