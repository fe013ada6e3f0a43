"""The checks GitLab runs beyond its schema, when it creates a pipeline.

Names, stages, ``needs``, ``dependencies``, ``extends`` and ``!reference`` are checked across
the file and the ``include: local`` files it pulls in. Other includes (remote, template,
project, component) cannot be read offline: when a file has them, checks that a name exists are
skipped, since the name may come from there (an ``include-unresolved`` finding says so).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .findings import RULES, Finding
from .loader import Document, Tagged, YamlSyntaxError, load

__all__ = ["GLOBAL_KEYS", "check", "stages_of"]

# Top-level keys that are not jobs.
GLOBAL_KEYS = frozenset(
    {
        "default",
        "include",
        "stages",
        "variables",
        "workflow",
        "image",
        "services",
        "cache",
        "before_script",
        "after_script",
        "types",
        "spec",
    }
)
DEFAULT_STAGES = [".pre", "build", "test", "deploy", ".post"]
MATRIX_LIMIT = 200
MAX_EXTENDS_DEPTH = 11


class _Context:
    def __init__(self, file: str, document: Document) -> None:
        self.file = file
        self.positions = document.positions
        self.findings: list[Finding] = []

    def add(
        self, rule: str, message: str, job: str | None, *path: str | int, line_offset: int = 0
    ) -> None:
        """Report at ``path`` (or its nearest ancestor with a position), ``line_offset`` lines
        below it: the line of a multi-line script item."""
        line = column = None
        for depth in range(len(path), 0, -1):
            found = self.positions.get(path[:depth])
            if found is not None:
                line, column = found
                break
        if line is not None and line_offset:
            line, column = line + line_offset, None
        self.findings.append(
            Finding(rule, RULES[rule].severity, message, self.file, job, line, column)
        )


def check(
    file: str, document: Document, root: Path | None, *, practice: bool = True
) -> list[Finding]:
    """Findings for the pipeline ``document`` of ``file``; local includes are read from
    ``root``; ``practice=False`` leaves out the security and practice rules."""
    ctx = _Context(file, document)
    data = document.data
    if not isinstance(data, dict):
        return []
    config, unresolved = _with_local_includes(ctx, data, root)
    jobs = {
        k: v
        for k, v in config.items()
        if isinstance(k, str) and k not in GLOBAL_KEYS and isinstance(v, dict)
    }
    merged, broken = _resolve_extends(ctx, jobs, unresolved)
    _check_references(ctx, config, unresolved)
    visible = {name: merged[name] for name in jobs if not name.startswith(".")}
    stages = stages_of(config)
    stage_of = {}
    for name, job in visible.items():
        stage = job.get("stage", "test")
        stage_of[name] = stage
        if isinstance(stage, str) and stage not in stages and name in data:
            ctx.add(
                "undefined-stage",
                f"stage {stage!r} is not in stages ({', '.join(stages)})",
                name,
                name,
                "stage",
            )
        incomplete = unresolved or name in broken
        if (
            not incomplete
            and name in data
            and not any(k in job for k in ("script", "trigger", "run"))
        ):
            ctx.add("job-without-script", "has no script, trigger or run", name, name)
        _check_matrix(ctx, name, job)
    _check_needs(
        ctx, jobs=visible, stage_of=stage_of, stages=stages, unresolved=unresolved, own=set(data)
    )
    if practice:
        from . import practice as rules

        rules.check(document, ctx.add, GLOBAL_KEYS)
    return ctx.findings


def _with_local_includes(
    ctx: _Context, data: dict[Any, Any], root: Path | None
) -> tuple[dict[Any, Any], bool]:
    """The configuration with the jobs of ``include: local`` files added; and whether some
    include could not be read (so names may be defined elsewhere)."""
    config: dict[Any, Any] = {}
    unresolved = False
    for number, entry in enumerate(_includes(data.get("include"))):
        local = entry.get("local") if isinstance(entry, dict) else None
        if local is None:
            unresolved = True
            continue
        if root is None:
            unresolved = True
            continue
        paths = sorted(root.glob(local.lstrip("/"))) if local.strip("/") else []
        if not paths:
            ctx.add(
                "include-local-missing",
                f"includes {local!r}, which does not exist under {root}",
                None,
                "include",
                number,
            )
            unresolved = True  # its names are unknown: do not report each of them too
            continue
        for path in paths:
            try:
                documents = load(Path(path).read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, YamlSyntaxError):
                unresolved = True
                continue
            body = documents[-1].data if documents else None
            if isinstance(body, dict):
                if body.get("include"):
                    unresolved = True  # nested includes: not followed
                for key, value in body.items():
                    if key not in GLOBAL_KEYS or key == "stages":
                        config.setdefault(key, value)
    if unresolved:
        ctx.add(
            "include-unresolved",
            "some includes cannot be read offline; names they define are not checked",
            None,
            "include",
        )
    config.update(data)  # the including file's own keys win
    return config, unresolved


def _includes(value: Any) -> Iterator[Any]:
    for item in value if isinstance(value, list) else [value] if value is not None else []:
        if isinstance(item, str):
            remote = item.startswith(("http://", "https://"))
            yield {"remote": item} if remote else {"local": item}
        else:
            yield item


def stages_of(config: dict[Any, Any]) -> list[str]:
    """The pipeline's stages, with ``.pre`` first and ``.post`` last as GitLab adds them."""
    given = config.get("stages")
    if not isinstance(given, list):
        return list(DEFAULT_STAGES)
    flat = [s for s in _flatten(given) if isinstance(s, str)]
    return [".pre", *[s for s in flat if s not in (".pre", ".post")], ".post"]


def _flatten(items: list[Any]) -> Iterator[Any]:
    """GitLab flattens nested lists (from anchors) in stages, scripts, needs..."""
    for item in items:
        if isinstance(item, list) and not isinstance(item, Tagged):
            yield from _flatten(item)
        else:
            yield item


def _resolve_extends(
    ctx: _Context, jobs: dict[str, dict[Any, Any]], unresolved: bool
) -> tuple[dict[str, dict[Any, Any]], set[str]]:
    """Each job's configuration after ``extends`` (a deep merge of mappings, GitLab's way), and
    the jobs whose ``extends`` could not be fully resolved."""
    done: dict[str, dict[Any, Any]] = {}
    broken: set[str] = set()

    def resolve(name: str, chain: tuple[str, ...]) -> dict[Any, Any]:
        if name in done:
            return done[name]
        job = jobs[name]
        parents = job.get("extends")
        parents = [parents] if isinstance(parents, str) else parents
        result: dict[Any, Any] = {}
        for parent in parents if isinstance(parents, list) else []:
            if not isinstance(parent, str):
                continue
            if parent in chain or parent == name:
                ctx.add(
                    "extends-cycle",
                    f"extends {parent!r}, which extends it back ({' -> '.join((*chain, name, parent))})",
                    name,
                    name,
                    "extends",
                )
                continue
            if parent not in jobs:
                broken.add(name)
                if not unresolved:
                    ctx.add(
                        "extends-undefined",
                        f"extends {parent!r}, which does not exist",
                        name,
                        name,
                        "extends",
                    )
                continue
            if len(chain) >= MAX_EXTENDS_DEPTH:
                continue
            result = _deep_merge(result, resolve(parent, (*chain, name)))
            if parent in broken:
                broken.add(name)
        result = _deep_merge(result, {k: v for k, v in job.items() if k != "extends"})
        done[name] = result
        return result

    return {name: resolve(name, ()) for name in jobs}, broken


def _deep_merge(base: dict[Any, Any], override: dict[Any, Any]) -> dict[Any, Any]:
    result = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _deep_merge(result[key], value)
        else:
            result[key] = value
    return result


def _check_references(ctx: _Context, config: dict[Any, Any], unresolved: bool) -> None:
    if unresolved:
        return

    def walk(value: Any, path: tuple[str | int, ...]) -> None:
        if isinstance(value, Tagged) and value.tag == "!reference":
            target: Any = config
            for part in value:
                if not isinstance(target, dict) or part not in target:
                    first = path[0] if path else None
                    job = first if isinstance(first, str) and first not in GLOBAL_KEYS else None
                    shown = ", ".join(str(p) for p in value)
                    ctx.add(
                        "reference-undefined", f"!reference [{shown}] does not exist", job, *path
                    )
                    return
                target = target[part]
            return
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, (*path, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, (*path, index))

    for key, value in config.items():
        walk(value, (key,))


def _check_matrix(ctx: _Context, name: str, job: dict[Any, Any]) -> None:
    parallel = job.get("parallel")
    matrix = parallel.get("matrix") if isinstance(parallel, dict) else None
    if not isinstance(matrix, list):
        return
    total = 0
    for entry in matrix:
        if not isinstance(entry, dict):
            continue
        count = 1
        for values in entry.values():
            count *= len(values) if isinstance(values, list) else 1
        total += count
    if total > MATRIX_LIMIT:
        ctx.add(
            "matrix-limit",
            f"parallel:matrix creates {total} jobs; GitLab allows at most {MATRIX_LIMIT}",
            name,
            name,
            "parallel",
        )


def _needs(job: dict[Any, Any], key: str = "needs") -> Iterator[tuple[int, str, bool]]:
    """(index, job name, optional) of a job's needs on jobs of this pipeline."""
    value = job.get(key)
    if not isinstance(value, list):
        return
    for index, need in enumerate(_flatten(value)):
        if isinstance(need, str):
            yield index, need, False
        elif isinstance(need, dict) and isinstance(need.get("job"), str):
            if "pipeline" in need or "project" in need:
                continue  # another pipeline's job
            yield index, need["job"], bool(need.get("optional"))


def _check_needs(
    ctx: _Context,
    *,
    jobs: dict[str, dict[Any, Any]],
    stage_of: dict[str, Any],
    stages: list[str],
    unresolved: bool,
    own: set[Any],
) -> None:
    order = {stage: i for i, stage in enumerate(stages)}
    for name, job in jobs.items():
        if name not in own:
            continue  # defined in an included file: reported when that file is linted
        here = order.get(stage_of[name])
        needed: set[str] = set()
        for index, need, optional in _needs(job):
            needed.add(need)
            if need not in jobs:
                if not optional and not unresolved:
                    ctx.add(
                        "needs-undefined",
                        f"needs {need!r}, which is not a job",
                        name,
                        name,
                        "needs",
                        index,
                    )
                continue
            there = order.get(stage_of[need])
            if here is not None and there is not None and there > here:
                ctx.add(
                    "needs-later-stage",
                    f"needs {need!r} of the later stage {stage_of[need]!r}",
                    name,
                    name,
                    "needs",
                    index,
                )
            if jobs[need].get("when") == "never" and not optional:
                ctx.add(
                    "needs-never",
                    f"needs {need!r}, which has when: never",
                    name,
                    name,
                    "needs",
                    index,
                )
        dependencies = job.get("dependencies")
        if isinstance(dependencies, list):
            for index, dependency in enumerate(dependencies):
                if not isinstance(dependency, str):
                    continue
                if dependency not in jobs:
                    if not unresolved:
                        ctx.add(
                            "dependencies-undefined",
                            f"depends on {dependency!r}, which is not a job",
                            name,
                            name,
                            "dependencies",
                            index,
                        )
                elif "needs" in job and dependency not in needed:
                    ctx.add(
                        "dependencies-not-in-needs",
                        f"depends on {dependency!r}, which is not in its needs",
                        name,
                        name,
                        "dependencies",
                        index,
                    )
                elif "needs" not in job:
                    there = order.get(stage_of[dependency])
                    if here is not None and there is not None and there >= here:
                        ctx.add(
                            "dependencies-undefined",
                            f"depends on {dependency!r}, which is not in an earlier stage",
                            name,
                            name,
                            "dependencies",
                            index,
                        )
    _check_cycles(ctx, jobs)


def _check_cycles(ctx: _Context, jobs: dict[str, dict[Any, Any]]) -> None:
    graph = {name: [n for _, n, _ in _needs(job) if n in jobs] for name, job in jobs.items()}
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
                    cycle = [*path[path.index(child) :], child]
                    ctx.add(
                        "needs-cycle",
                        f"needs form a cycle: {' -> '.join(cycle)}",
                        node,
                        node,
                        "needs",
                    )
                elif child not in state:
                    state[child] = 1
                    stack.append((child, iter(graph[child])))
                    path.append(child)
                    break
            else:
                state[node] = 2
                stack.pop()
                path.pop()
