"""Checking the module written: it must run and compile back to exactly the data read, and
GitLab's checks say whether the file is a whole pipeline or a part that others include."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .convert import same
from .result import ImportYamlError

if TYPE_CHECKING:
    from ..gitlab.includes import Source

__all__ = ["first_difference", "part_of_a_pipeline", "verify"]


def part_of_a_pipeline(text: str, source: str, includes: Source | None = None) -> str | None:
    """The first problem that says the file needs others (a stage, job or template it does
    not define), or None for a whole pipeline; ``includes``: where the includes of other
    projects are read (the names they define count)."""
    from ..lint import WHOLE_PIPELINE_RULES, lint_text

    for finding in lint_text(text, source, schema=False, practice=False, source=includes):
        if finding.rule in WHOLE_PIPELINE_RULES:
            return finding.message
    return None


def verify(code: str, body: dict[str, Any], spec: Any, source: str) -> str | None:
    """Run the module and compile its pipeline: it must give back exactly the input. Returns
    what the compiler's checks refuse, if anything."""
    from .. import compiler
    from ..errors import CompileError
    from ..validation import check_data, validate

    namespace: dict[str, Any] = {"__name__": "gitlabci_dsl_import_check"}
    try:
        exec(compile(code, "<gitlabci-dsl import>", "exec"), namespace)  # noqa: S102 - ours
    except Exception as exc:  # a bug of ours: say so, with the file that shows it
        raise ImportYamlError(
            f"{source}: the module written for it does not run ({type(exc).__name__}: {exc}); "
            "this is a bug in gitlabci-dsl import, please report it with the file"
        ) from exc
    pipeline = namespace["pipeline"]
    got = dict(compiler.compile_body(pipeline))
    problem = first_difference(body, got)
    if problem is None and spec is not None:
        got_spec = compiler.compile_spec(pipeline.spec)
        problem = first_difference(spec, got_spec, ("spec",))
    if problem is not None:
        raise ImportYamlError(
            f"{source}: the module would not compile back to the same YAML ({problem}); "
            "this is a bug in gitlabci-dsl import, please report it with the file"
        )
    try:
        validate(pipeline)
        check_data(got, included=pipeline.included)
    except CompileError as exc:
        return str(exc).splitlines()[0]
    return None


def first_difference(want: Any, got: Any, path: tuple[Any, ...] = ()) -> str | None:
    """Where ``got`` first differs from ``want`` as YAML data, or None when they are equal."""
    where = ".".join(map(str, path)) or "top level"
    if same(want, got):
        return None
    if isinstance(want, dict) and isinstance(got, dict):
        for key in want:
            if key not in got:
                return f"{where}: {key!r} is missing"
        for key in got:
            if key not in want:
                return f"{where}: {key!r} was added"
        for key in want:
            found = first_difference(want[key], got[key], (*path, key))
            if found:
                return found
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        for i, (a, b) in enumerate(zip(want, got, strict=True)):
            found = first_difference(a, b, (*path, i))
            if found:
                return found
    return f"{where}: expected {want!r:.80}, got {got!r:.80}"
