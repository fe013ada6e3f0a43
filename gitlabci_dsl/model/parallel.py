"""``parallel:matrix``: one job per combination of variable values."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ..gitlab import facts
from .base import EXTRA, LIST, Node, Shape, checked, fail, shaped

__all__ = ["MAX_MATRIX_JOBS", "Parallel"]

MAX_MATRIX_JOBS = facts.MATRIX_LIMIT


@shaped(Shape(items=Shape(values=LIST)))
def _matrix(inst: Any, attr: Any, value: Any) -> None:
    if not isinstance(value, (list, tuple)) or not value:
        fail(
            inst,
            "matrix",
            value,
            "must be a non-empty list of {VARIABLE: value or [values]}",
            "parallelmatrix",
        )
    rows = []
    total = 0
    for row in value:
        if not isinstance(row, Mapping) or not row:
            fail(
                inst,
                "matrix",
                row,
                "each entry must be a non-empty mapping of variables to values",
                "parallelmatrix",
            )
        clean: dict[str, Any] = {}
        combos = 1
        for key, item in row.items():
            if not isinstance(key, str):
                fail(inst, "matrix", key, "variable names must be strings", "parallelmatrix")
            if isinstance(item, (list, tuple)):
                if not item or not all(
                    isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in item
                ):
                    fail(
                        inst,
                        "matrix",
                        {key: item},
                        "a list of values must hold strings or numbers",
                        "parallelmatrix",
                    )
                combos *= len(item)
                clean[key] = tuple(item)
            elif isinstance(item, (str, int, float)) and not isinstance(item, bool):
                clean[key] = item
            else:
                fail(
                    inst,
                    "matrix",
                    {key: item},
                    "values must be strings, numbers or lists of them",
                    "parallelmatrix",
                )
        total += combos
        rows.append(clean)
    if total > MAX_MATRIX_JOBS:
        fail(
            inst,
            "matrix",
            f"<{total} combinations>",
            f"expands to {total} jobs; GitLab allows at most {MAX_MATRIX_JOBS}",
            "parallelmatrix",
        )
    object.__setattr__(inst, attr.name, tuple(rows))


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Parallel(Node):
    """``parallel: {matrix: [...]}``: one job per combination of variable values (≤ 200).

    ``Parallel(matrix=[{"PROVIDER": "aws", "STACK": ["app1", "app2"]}])``.
    See https://docs.gitlab.com/ci/yaml/#parallelmatrix
    """

    matrix: Sequence[Mapping[str, str | int | float | Sequence[str | int | float]]] = attrs.field(
        validator=_matrix
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)

    @property
    def size(self) -> int:
        """Number of jobs the matrix expands to."""
        return sum(
            math.prod(len(v) if isinstance(v, tuple) else 1 for v in row.values())
            for row in self.matrix
        )
