"""``gitlabci-dsl import``: a GitLab CI YAML file → a pipeline module that compiles back to it.

Pipeline: read the YAML as GitLab does (:mod:`gitlabci_dsl.gitlab.reader`: anchors, merge keys,
``!reference``), type it as model nodes (:mod:`.convert`, node by node checked against the
compiler), recognise building blocks (:mod:`.blocks`), write the module (:mod:`.render`), then
run the module and compile its pipeline: the import fails rather than hand back a module whose
YAML differs from the input.
"""

from __future__ import annotations

import functools
import keyword
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from ..compiler import TOP_LEVEL_ORDER
from ..errors import GitlabCIDSLError
from ..gitlab.facts import RESERVED_JOB_NAMES
from ..model.values import Reference
from .convert import Converter, UntypedError, same
from .render import Call, Expr, Layout, in_docstring, py_str, statement

if TYPE_CHECKING:
    from ..model.job import Job

__all__ = ["ImportYamlError", "Imported", "as_data", "first_difference", "import_yaml"]


class ImportYamlError(GitlabCIDSLError):
    """The YAML cannot be imported: invalid YAML, a duplicate key, not a pipeline mapping..."""


class Imported(NamedTuple):
    """The module's source and the warnings met on the way (unknown keys kept in ``extra``)."""

    code: str
    warnings: list[str]


# The top-level keywords that become Pipeline(...) arguments (stages: too, handled on its own).
_GLOBALS = frozenset(TOP_LEVEL_ORDER) - {"stages"}
# Module-level names the generated code defines itself, besides jobs and stages.
_TAKEN = frozenset({"pipeline", "output", "workflow", "default", "spec", "ci"})


def import_yaml(
    text: str, *, source: str, output: str | None = None, allow_duplicates: bool = False
) -> Imported:
    """The pipeline module for the GitLab CI YAML ``text`` read from ``source`` (for messages
    and the docstring). ``output``: the YAML path the module compiles to, when not the default.

    A key written twice in one mapping is an error unless ``allow_duplicates``: then the last
    one wins, as in GitLab, with a warning.
    """
    warnings: list[str] = []
    body, spec = _documents(text, source, allow_duplicates, warnings)
    included = _part_of_a_pipeline(text, source)
    code = _Module(source, warnings.append).code(body, spec, output, included=bool(included))
    problem = _verify(code, body, spec, source)
    if problem is not None and included is None:
        # A name only validation misses in this file alone: try it as a part of a pipeline.
        retry = _Module(source, lambda _: None).code(body, spec, output, included=True)
        if _verify(retry, body, spec, source) is None:
            code, included, problem = retry, problem, None
    if problem is not None:
        warnings.append(
            f"{source}: GitLab refuses this pipeline, and compile will until it is fixed: {problem}"
        )
    elif included is not None:
        warnings.append(
            f"{source} is not a whole pipeline ({included}); the module says "
            "Pipeline(included=True): a file that other pipeline files include"
        )
    return Imported(code, warnings)


def _documents(
    text: str, source: str, allow_duplicates: bool, warnings: list[str]
) -> tuple[dict[str, Any], Any]:
    """The pipeline mapping and the ``spec:`` header (or None), as compiler data."""
    from ..gitlab.reader import YamlSyntaxError, load

    try:
        documents = load(text)
    except YamlSyntaxError as exc:
        raise ImportYamlError(exc.located(source)) from None
    for document in documents:
        for dup in document.duplicates:
            where = f"{source}:{dup.line}:{dup.column}: key {dup.path[-1]!r} is written twice"
            if not allow_duplicates:
                raise ImportYamlError(
                    f"{where} in one mapping; GitLab silently keeps the last one. Remove the "
                    "one you do not mean (or pass --allow-duplicates to import GitLab's reading)"
                )
            warnings.append(f"{where}; the last one is kept, as GitLab does")
    spec: Any = None
    if len(documents) == 2 and _is_spec(documents[0].data):
        header = documents[0].data
        if len(header) > 1:
            others = ", ".join(str(k) for k in header if k != "spec")
            raise ImportYamlError(
                f"{source}:1:1: the header document may only hold spec:, not {others}"
            )
        if not isinstance(header["spec"], dict):
            raise ImportYamlError(
                f"{source}:1:1: spec: must be a mapping (inputs:, include:...); see "
                "https://docs.gitlab.com/ci/yaml/#spec"
            )
        spec = _plain(header["spec"], documents[0].positions, source, ("spec",))
    elif not documents:
        raise ImportYamlError(f"{source}:1:1: the file is empty; there is no pipeline to import")
    elif len(documents) > 1:
        raise ImportYamlError(
            f"{source}:1:1: {len(documents)} YAML documents; GitLab reads one pipeline, "
            "optionally after a `spec:` header document"
        )
    document = documents[-1]
    body = document.data
    if not isinstance(body, dict):
        line, column = document.positions.get((), (1, 1))
        kind = "an empty document" if body is None else f"a {_yaml_type(body)}"
        raise ImportYamlError(
            f"{source}:{line}:{column}: the pipeline must be a mapping of keywords and jobs, "
            f"not {kind}"
        )
    return _plain(body, document.positions, source, ()), spec


def _part_of_a_pipeline(text: str, source: str) -> str | None:
    """The first problem that says the file needs others (a stage, job or template it does
    not define), or None for a whole pipeline."""
    from ..lint import WHOLE_PIPELINE_RULES, lint_text

    for finding in lint_text(text, source, schema=False, practice=False):
        if finding.rule in WHOLE_PIPELINE_RULES:
            return finding.message
    return None


def _is_spec(data: Any) -> bool:
    return isinstance(data, dict) and "spec" in data


def _yaml_type(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), type(value).__name__
    )


def _plain(
    value: Any, positions: dict[Any, tuple[int, int]], source: str, path: tuple[Any, ...]
) -> Any:
    """Loader data → compiler data: ``!reference`` tags become :class:`Reference`; keys must be
    strings and tags known, as GitLab requires."""
    from ..gitlab.reader import Tagged

    if isinstance(value, Tagged):
        where = ":".join(map(str, positions.get(path, (1, 1))))
        if value.tag != "!reference":
            raise ImportYamlError(
                f"{source}:{where}: unknown tag {value.tag}; GitLab knows only !reference"
            )
        if not value or not all(isinstance(p, str) and p for p in value):
            raise ImportYamlError(
                f"{source}:{where}: !reference takes a list of names, such as "
                "!reference [.setup, script]"
            )
        return Reference(*value)
    if isinstance(value, list):
        return [_plain(v, positions, source, (*path, i)) for i, v in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                where = ":".join(map(str, positions.get(path, (1, 1))))
                raise ImportYamlError(
                    f"{source}:{where}: key {k!r} is a {_yaml_type(k)}; GitLab needs string "
                    f"keys here: quote it ('{k}')"
                )
            out[k] = _plain(v, positions, source, (*path, k))
        return out
    return value


def as_data(value: Any) -> Any:
    """Loader data of a file that imports, as the compiler writes it: ``!reference`` tags as
    :class:`Reference` (what the round trip compares)."""
    return _plain(value, {}, "<data>", ())


def _verify(code: str, body: dict[str, Any], spec: Any, source: str) -> str | None:
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


def _identifier(name: str, fallback: str) -> str:
    ident = re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()
    if not ident:
        ident = fallback
    if ident[0].isdigit():
        ident = f"{fallback}_{ident}"
    return ident


class _Module:
    """The module being written: names taken, stages and jobs defined so far."""

    def __init__(self, source: str, warn: Callable[[str], None]) -> None:
        self.source = source
        self.warn = warn
        self.convert = Converter(warn)
        self.names: set[str] = set(_TAKEN)
        self.stage_vars: dict[str, str] = {}
        self.job_vars: dict[str, str] = {}  # jobs defined so far, in the module's order
        self.used: set[str] = {"Pipeline"}
        self.layout = Layout(self.job_vars.get, self.stage_vars.get, self.used)

    def variable(self, wanted: str, suffix: str) -> str:
        """A free module-level name for ``wanted`` (``build``, else ``build_job``...)."""
        tables = _tables()
        name = wanted
        if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in tables.builtins:
            name += "_"
        n = 1
        while name in self.names or name in tables.api:
            name = f"{wanted}_{suffix}" if n == 1 else f"{wanted}_{suffix}_{n}"
            n += 1
        self.names.add(name)
        return name

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
            var = self.variable(_identifier(stage, "stage"), "stage")
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
            var = self.variable(_identifier(name, "job"), "job")
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
        return bool(value) and value.keys() <= _tables().job_keys
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


class _Tables(NamedTuple):
    job_keys: frozenset[str]
    builtins: frozenset[str]
    api: frozenset[str]


@functools.cache
def _tables() -> _Tables:
    import builtins

    import attrs

    import gitlabci_dsl

    from ..compiler import KEYWORD_OF_FIELD
    from ..model.job import Job

    return _Tables(
        job_keys=frozenset(
            KEYWORD_OF_FIELD.get(f.name, f.name)
            for f in attrs.fields(Job)
            if f.name not in ("name", "extra")
        ),
        builtins=frozenset(dir(builtins)),
        api=frozenset(gitlabci_dsl.__all__),
    )
