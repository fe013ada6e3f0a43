"""Writing the module: the pipeline data as Python source, stages and jobs as module-level
variables defined before whatever refers to them, building blocks where one writes a job exactly,
and ``Pipeline(...)`` last."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, cast

from ..compiler import TOP_LEVEL_ORDER
from ..errors import GitlabCIDSLError
from ..gitlab.facts import RESERVED_JOB_NAMES
from ..model.values import Reference
from .convert import Converter, UntypedError
from .names import Names, identifier
from .render import Call, Expr, Layout, in_docstring, py_str, statement
from .result import ImportYamlError

if TYPE_CHECKING:
    from ..model.job import Job

__all__ = ["ModuleWriter"]

# The top-level keywords that become Pipeline(...) arguments (stages: too, handled on its own).
_GLOBALS = frozenset(TOP_LEVEL_ORDER) - {"stages"}


class ModuleWriter:
    """The module being written: names taken, stages and jobs defined so far."""

    def __init__(self, source: str, warn: Callable[[str], None]) -> None:
        self.source = source
        self.warn = warn
        self.convert = Converter(warn)
        self.names = Names()
        self.stage_vars: dict[str, str] = {}
        self.job_vars: dict[str, str] = {}  # jobs defined so far, in the module's order
        self.used: set[str] = {"Pipeline"}
        self.layout = Layout(self.job_vars.get, self.stage_vars.get, self.used)

    def code(self, body: dict[str, Any], spec: Any, output: str | None, *, included: bool) -> str:
        layout = self.layout
        # Pipeline(...) arguments by keyword, put in a fixed order at the end so that the
        # module does not depend on the order of the YAML's top-level keys.
        arguments: dict[str, Expr] = {}
        statements: dict[str, str] = {}  # spec, workflow, default: written in that order
        if spec is not None:
            statements["spec"] = self._spec(spec)
            arguments["spec"] = Expr("spec")
        stages = body.get("stages")
        stage_lines = self._stages(stages)
        extra: dict[str, Any] = {}
        jobs: list[tuple[str, dict[str, Any]]] = []
        for key, value in body.items():
            if key == "stages":
                if stage_lines:
                    arguments["stages"] = layout.value(stages, "stage")
                else:
                    extra[key] = value
            elif key in _GLOBALS:
                typed = self._global(key, value)
                if typed is None:
                    extra[key] = value
                elif key in ("workflow", "default"):
                    statements[key] = statement(key, layout.value(typed))
                    arguments[key] = Expr(key)
                else:
                    arguments[key] = layout.value(typed)
            elif _is_job(key, value):
                jobs.append((key, value))
            else:
                if not key.startswith("."):
                    self.warn(
                        f"top-level key {key!r} is neither a keyword nor a job; kept in extra"
                    )
                extra[key] = value
        job_statements = self._jobs(jobs)
        if jobs:
            names = [("", Expr(self.job_vars[name])) for name, _ in jobs]
            arguments["jobs"] = Expr(open="[", close="]", items=names)
        if extra:
            arguments["extra"] = layout.value(extra)
        if included:
            arguments["included"] = Expr("True")
        items = [(f"{key}=", arguments[key]) for key in _PIPELINE_ORDER if key in arguments]
        parts = [_docstring(self.source), _imports(self.used)]
        if output is not None:
            parts.append(f"output = {py_str(output)}")
        if stage_lines:
            parts.append("\n".join(stage_lines))
        parts.extend(
            statements[key] for key in ("spec", "workflow", "default") if key in statements
        )
        parts.extend(job_statements)
        parts.append(statement("pipeline", Call("Pipeline", items)))
        return "\n\n".join(parts) + "\n"

    def _spec(self, spec: Any) -> str:
        node = None
        if isinstance(spec, dict):
            try:
                node = self.convert.node("Spec", spec)
            except UntypedError:
                node = None
        if node is None:
            raise ImportYamlError(
                f"{self.source}: the spec: header is not one GitLab reads; check it against "
                "https://docs.gitlab.com/ci/yaml/#spec"
            )
        return statement("spec", self.layout.value(node))

    def _stages(self, stages: Any) -> list[str]:
        """``NAME = Stage("name")`` lines, or none when ``stages`` is not a list of names."""
        if not (
            isinstance(stages, list)
            and stages
            and all(isinstance(s, str) and s for s in stages)
            and len(set(stages)) == len(stages)
        ):
            return []
        self.used.add("Stage")
        lines = []
        for stage in stages:
            var = self.names.take(identifier(stage, "stage"), "stage")
            self.stage_vars[stage] = var
            lines.append(statement(var, Call("Stage", [("", Expr(py_str(stage)))])))
        return lines

    def _global(self, key: str, value: Any) -> Any:
        """The typed value of a top-level keyword, or None to keep it as YAML in extra."""
        if value is None:
            return None
        attribute, shape = self.convert.fields("Pipeline").by_key[key]
        try:
            typed = self.convert.value(value, shape)
        except UntypedError:
            return None
        if key in ("workflow", "default") and isinstance(typed, dict):
            return None
        from ..model.pipeline import Pipeline

        try:  # a value of the wrong type (default: 5) is kept as YAML, for GitLab to refuse
            Pipeline(**{attribute: typed})
        except GitlabCIDSLError:
            return None
        return typed

    def _jobs(self, jobs: list[tuple[str, dict[str, Any]]]) -> list[str]:
        from .blocks import hint, recognise

        nodes = {
            name: self.convert.job(name, data, warn_unknown=not name.startswith("."))
            for name, data in jobs
        }
        lines = []
        for name in _definition_order(jobs):
            job = nodes[name]
            block = recognise(cast("Job", job), self.layout)
            var = self.names.take(identifier(name, "job"), "job")
            line = statement(var, block or self.layout.node(job))
            comment = None if block else hint(cast("Job", job))
            lines.append(f"{comment}\n{line}" if comment else line)
            self.job_vars[name] = var
        return lines


# Pipeline(...) arguments in the order the compiler writes the keys.
_PIPELINE_ORDER = ("spec", *TOP_LEVEL_ORDER, "jobs", "extra", "included")


def _is_job(key: str, value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    if key.lower() in RESERVED_JOB_NAMES or len(key) > 255 or not key.strip():
        return False
    if key.startswith("."):
        # A hidden key is a template when it reads like one; anything else (an anchor holding
        # variables, say) is plain data.
        return bool(value) and value.keys() <= _job_keys()
    return True


def _definition_order(jobs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """Jobs in file order, except that a job is defined after the jobs it refers to (so it can
    name them as variables); a cycle keeps the name as a string."""
    data = dict(jobs)
    done: dict[str, None] = {}
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in done or name in visiting:
            return
        visiting.add(name)
        for ref in _refs(data[name]):
            if ref in data and ref != name:
                visit(ref)
        visiting.discard(name)
        done[name] = None

    for name, _ in jobs:
        visit(name)
    return list(done)


def _refs(job: dict[str, Any]) -> Iterator[str]:
    """Names of jobs that ``job`` refers to: extends, needs, dependencies, on_stop, references."""
    extends = job.get("extends")
    if isinstance(extends, str):
        yield extends
    elif isinstance(extends, list):
        yield from (e for e in extends if isinstance(e, str))
    for key in ("needs", "dependencies"):
        yield from _need_names(job.get(key))
    rules = job.get("rules")
    for rule in rules if isinstance(rules, list) else ():
        if isinstance(rule, dict):
            yield from _need_names(rule.get("needs"))
    env = job.get("environment")
    if isinstance(env, dict) and isinstance(env.get("on_stop"), str):
        yield env["on_stop"]
    yield from _reference_names(job)


def _need_names(needs: Any) -> Iterator[str]:
    if isinstance(needs, list):
        for need in needs:
            if isinstance(need, str):
                yield need
            elif isinstance(need, dict) and isinstance(need.get("job"), str):
                yield need["job"]


def _reference_names(value: Any) -> Iterator[str]:
    if isinstance(value, Reference):
        yield value.path[0]
    elif isinstance(value, list):
        for item in value:
            yield from _reference_names(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _reference_names(item)


def _docstring(source: str) -> str:
    return (
        f'"""Pipeline imported from {in_docstring(source)} by gitlabci-dsl import.\n\n'
        'Edit this module, then run "gitlabci-dsl compile" to regenerate the YAML.\n"""'
    )


def _imports(used: set[str]) -> str:
    names = sorted(
        used, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n.lower())
    )
    line = f"from gitlabci_dsl import {', '.join(names)}"
    if len(line) <= 88:
        return line
    inner = "".join(f"    {n},\n" for n in names)
    return f"from gitlabci_dsl import (\n{inner})"


@functools.cache
def _job_keys() -> frozenset[str]:
    """The keywords of a job, as GitLab spells them: what makes a hidden key a template."""
    import attrs

    from ..compiler import KEYWORD_OF_FIELD
    from ..model.job import Job

    return frozenset(
        KEYWORD_OF_FIELD.get(f.name, f.name)
        for f in attrs.fields(Job)
        if f.name not in ("name", "extra")
    )
