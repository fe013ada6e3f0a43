"""``parallel:``, expanded as GitLab expands it (``Gitlab::Ci::Config::Normalizer``).

``parallel: N`` makes N jobs named ``name 1/N`` … ``name N/N``; ``parallel: matrix`` makes one
job per combination of each entry's values, named ``name: [v1, v2]`` (the values in the
entry's key order), with the combination's values as job variables. A ``needs`` or
``dependencies`` entry naming a parallel job means all of its jobs, or, with its own
``parallel: matrix``, the jobs of those combinations.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from .facts import MATRIX_LIMIT

__all__ = ["Instance", "expand_need", "instances", "matrix_size"]


class Instance(NamedTuple):
    """One job GitLab creates from a job definition."""

    name: str
    variables: dict[str, str]  # the matrix combination's values (empty for parallel: N)


def instances(name: str, job: Mapping[Any, Any]) -> list[Instance]:
    """The jobs GitLab creates from the job ``name``: itself, or one per parallel instance."""
    value = job.get("parallel")
    if isinstance(value, dict) and "matrix" in value:
        return _matrix(name, value["matrix"])
    total = value.get("number") if isinstance(value, dict) else value
    if type(total) is int and 0 < total <= MATRIX_LIMIT:  # more: refused by GitLab's schema
        return [Instance(f"{name} {i}/{total}", {}) for i in range(1, total + 1)]
    return [Instance(name, {})]


def matrix_size(matrix: Any) -> int:
    """How many jobs a ``parallel: matrix`` value creates (GitLab allows
    :data:`~gitlabci_dsl.gitlab.facts.MATRIX_LIMIT`)."""
    total = 0
    for entry in _entries(matrix):
        count = 1
        for values in entry.values():
            count *= len(values) if isinstance(values, list) else 1
        total += count
    return total


def _entries(matrix: Any) -> list[dict[Any, Any]]:
    items = matrix if isinstance(matrix, list) else []
    return [entry for entry in items if isinstance(entry, dict) and entry]


def _matrix(name: str, matrix: Any) -> list[Instance]:
    if matrix_size(matrix) > MATRIX_LIMIT:
        return [Instance(name, {})]  # GitLab refuses it (lint: matrix-limit); not expanded
    result = []
    for entry in _entries(matrix):
        combinations: list[dict[str, str]] = [{}]
        for key, values in entry.items():
            options = values if isinstance(values, list) else [values]
            combinations = [
                {**done, str(key): _text(option)}
                for done in combinations
                for option in options
                if option is not None
            ]
        for variables in combinations:
            shown = ", ".join(variables.values())
            result.append(Instance(f"{name}: [{shown}]", variables))
    return result or [Instance(name, {})]


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def expand_need(
    need: str, jobs: Mapping[str, Mapping[Any, Any]], selection: Any = None
) -> list[str]:
    """The names of the jobs a need on ``need`` means: every instance of a parallel job, or
    those of the need's own ``parallel: matrix`` (``selection``); ``need`` itself otherwise."""
    job = jobs.get(need)
    if job is None or "parallel" not in job:
        return [need]
    if isinstance(selection, dict) and "matrix" in selection:
        return [i.name for i in _matrix(need, selection["matrix"])]
    return [i.name for i in instances(need, job)]
