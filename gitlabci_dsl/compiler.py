"""Model → plain data: the one pure function between a ``Pipeline`` and its YAML.

``to_dict`` validates the pipeline as a whole (see :mod:`gitlabci_dsl.validation`) and returns
dicts, lists, strings, numbers, booleans, ``None`` and :class:`Reference` values, in GitLab's
customary key order. It never mutates its input and returns equal data on every call.

The pieces are public for tools that compile part of a pipeline without validating it as a
whole (the importer checks each node it types against them): :func:`compile_body`,
:func:`compile_spec`, :func:`compile_job`, :func:`compile_value` and the table of attributes that
are not named as their GitLab keyword, :data:`KEYWORD_OF_FIELD`.

Dispatch is by the node's ``node_kind`` through ``_COMPILERS`` rather than by importing every
node class: the model is loaded lazily and this module must not undo that.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final

import attrs

from .errors import CompileError
from .gitlab.facts import DEPRECATED_GLOBALS
from .model.base import MANDATORY, Node

if TYPE_CHECKING:
    from .model.job import Job
    from .model.pipeline import Pipeline
    from .model.spec import Spec

__all__ = [
    "JOB_KEY_ORDER",
    "KEYWORD_OF_FIELD",
    "TOP_LEVEL_ORDER",
    "compile_body",
    "compile_job",
    "compile_spec",
    "compile_value",
    "iter_documents",
    "to_dict",
    "to_documents",
]

# Within a job: what a reader looks for first, then everything else in one fixed order.
JOB_KEY_ORDER: tuple[str, ...] = (
    "stage",
    "image",
    "services",
    "variables",
    "needs",
    "rules",
    "before_script",
    "script",
    "after_script",
    "extends",
    "inherit",
    "hooks",
    "run",
    "trigger",
    "dependencies",
    "cache",
    "artifacts",
    "coverage",
    "environment",
    "release",
    "pages",
    "publish",
    "when",
    "start_in",
    "manual_confirmation",
    "allow_failure",
    "timeout",
    "retry",
    "interruptible",
    "parallel",
    "resource_group",
    "tags",
    "secrets",
    "id_tokens",
    "identity",
    "dast_configuration",
    "inputs",
    "only",
    "except",
)

# Deprecated globals (GitLab prefers them under ``default``) come last, before the jobs, in the
# order a job writes the same keys.
_DEPRECATED_GLOBALS = tuple(key for key in JOB_KEY_ORDER if key in DEPRECATED_GLOBALS)
TOP_LEVEL_ORDER: tuple[str, ...] = (
    "include",
    "stages",
    "variables",
    "workflow",
    "default",
    *_DEPRECATED_GLOBALS,
)

KEYWORD_OF_FIELD: Final[Mapping[str, str]] = {"except_": "except", "if_": "if"}
"""The attributes not named as their GitLab keyword, because the keyword is a Python keyword
(``Job(except_=...)`` writes ``except:``, ``Rule(if_=...)`` writes ``if:``); every other
attribute is its keyword."""

_PLAIN = (str, int, float, bool, type(None))


def to_documents(pipeline: Pipeline) -> list[dict[str, Any]]:
    """The YAML documents of ``pipeline``: ``[spec, body]`` with a ``spec`` header, else ``[body]``."""
    return [dict(document) for document in iter_documents(pipeline)]


def to_dict(pipeline: Pipeline) -> dict[str, Any]:
    """Validate ``pipeline`` and return the body of its ``.gitlab-ci.yml`` as plain data.

    Raises :class:`~gitlabci_dsl.errors.CompileError` naming every problem found across objects
    and every one GitLab's checks find in the data (:func:`gitlabci_dsl.validation.check_data`).
    """
    from .validation import check_data

    data = dict(iter_documents(pipeline)[-1])
    check_data(data, included=pipeline.included)
    return data


def iter_documents(pipeline: Pipeline) -> list[Iterator[tuple[str, Any]]]:
    """Validate ``pipeline``, then give each document as a lazy stream of ``(key, value)`` pairs.

    The body is compiled one top-level entry (one job) at a time as the stream is consumed, so
    the emitter can write each job before the next is built: memory stays flat and the working
    set small however many jobs there are.
    """
    from .validation import validate

    if getattr(pipeline, "node_kind", None) != "Pipeline":
        raise CompileError(f"expected a Pipeline, got {type(pipeline).__name__}")
    validate(pipeline)
    documents = [compile_body(pipeline)]
    if pipeline.spec is not None:
        documents.insert(0, _spec_document(pipeline.spec))
    return documents


def _spec_document(spec: Spec) -> Iterator[tuple[str, Any]]:
    # A generator, so to_dict (which only wants the body) never compiles the header.
    yield "spec", compile_spec(spec)


def compile_spec(spec: Spec) -> dict[str, Any]:
    """The ``spec:`` header of a pipeline as plain data (what the header document's ``spec:``
    holds), without validating it. See https://docs.gitlab.com/ci/yaml/#spec"""
    data: dict[str, Any] = compile_value(spec)
    return data


def compile_body(pipeline: Pipeline) -> Iterator[tuple[str, Any]]:
    """The body of ``pipeline`` as ``(key, plain data)`` pairs in the order the YAML writes
    them, compiled one top-level entry (one job) at a time as the stream is consumed, without
    validating the pipeline (:func:`to_dict` validates; ``dict(compile_body(p))`` does not)."""
    # ``extra`` overrides in place (the key keeps its position) and adds new keys at the end,
    # exactly like merging it into the finished dict.
    extra = dict(pipeline.extra) if pipeline.extra else {}
    for key, value in _sections(pipeline):
        if key in extra:
            yield key, compile_value(extra.pop(key))
        else:
            yield key, value()
    for key, raw in extra.items():
        yield _key(key), compile_value(raw)


def _sections(pipeline: Pipeline) -> Iterator[tuple[str, Callable[[], Any]]]:
    """Top-level keys in order, each with a thunk that compiles its value."""
    if pipeline.include is not None:
        include = pipeline.include
        yield "include", functools.partial(compile_value, include)
    if pipeline.stages is not None:
        yield "stages", lambda: list(pipeline.stage_names)
    if pipeline.variables is not None:
        variables = pipeline.variables
        yield "variables", lambda: _mapping(variables)
    for key in ("workflow", "default", *_DEPRECATED_GLOBALS):
        node = getattr(pipeline, key)
        if node is not None:
            yield key, functools.partial(compile_value, node)
    for job in pipeline.jobs:
        yield job.name, functools.partial(compile_job, job)


def compile_job(job: Job) -> dict[str, Any]:
    """One job as plain data: the mapping under its name in the YAML, keys in
    :data:`JOB_KEY_ORDER`, ``extra`` merged last."""
    # The hot path: written out by hand because it runs once per job.
    d: dict[str, Any] = {}
    v: Any = job.stage
    if v is not None:
        d["stage"] = v if type(v) is str else _name(v)
    v = job.image
    if v is not None:
        d["image"] = v if type(v) is str else compile_value(v)
    v = job.services
    if v is not None:
        d["services"] = [s if type(s) is str else compile_value(s) for s in v]
    v = job.variables
    if v is not None:
        d["variables"] = _mapping(v)
    v = job.needs
    if v is not None:
        d["needs"] = [_need(n) for n in v]
    v = job.rules
    if v is not None:
        d["rules"] = [compile_value(r) for r in v]
    v = job.before_script
    if v is not None:
        d["before_script"] = _lines(v)
    v = job.script
    if v is not None:
        d["script"] = _lines(v)
    v = job.after_script
    if v is not None:
        d["after_script"] = _lines(v)
    v = job.extends
    if v is not None:
        # As written: one name stays a name, a list stays a list.
        d["extends"] = [_name(e) for e in v] if type(v) is tuple else _name(v)
    for key in _JOB_REST:
        v = getattr(job, key)
        if v is not None:
            d[KEYWORD_OF_FIELD.get(key, key)] = compile_value(v)
    v = job.extra
    if v:
        _merge(d, v)
    return d


# Keys after ``extends``, as attribute names; they need no special handling.
_FIELD_OF_KEYWORD = {keyword: field for field, keyword in KEYWORD_OF_FIELD.items()}
_JOB_REST: tuple[str, ...] = tuple(
    _FIELD_OF_KEYWORD.get(k, k) for k in JOB_KEY_ORDER[JOB_KEY_ORDER.index("extends") + 1 :]
)


def _lines(v: Any) -> Any:
    # A lone command (or ``!reference``) stays lone, as the user wrote it.
    if type(v) is str:
        return v
    if type(v) is not tuple:
        return compile_value(v)
    return [s if type(s) is str else compile_value(s) for s in v]


def _name(v: Any) -> str:
    """A job or stage name: the string, or the ``name`` of a Job or Stage node."""
    if type(v) is str:
        return v
    if isinstance(v, Node):
        return str(getattr(v, "name"))  # noqa: B009 - a Job or a Stage, both named
    return str.__str__(v)  # a str subclass (an enum member, say): its text, never its .name


def _need(n: Any) -> Any:
    if isinstance(n, str):
        return _name(n)
    kind = getattr(n, "node_kind", None)
    if kind == "Job":
        return n.name
    if kind == "Need":
        d = _fields(n)
        d["job"] = _name(n.job)
        # GitLab's customary order: job first, then where it comes from, then options.
        return _merge_extra({k: d[k] for k in _NEED_ORDER if k in d}, n.extra)
    return compile_value(n)


_NEED_ORDER = ("job", "project", "ref", "pipeline", "artifacts", "optional", "parallel")


def _mapping(m: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v if type(v) in _PLAIN else compile_value(v)) for k, v in m.items()}


def compile_value(v: Any) -> Any:
    """Any model value (a node, a list or mapping of them, a plain value) → plain data, without
    validating it; raises :class:`~gitlabci_dsl.errors.CompileError` for a value YAML cannot
    hold."""
    t = type(v)
    if t in _PLAIN:
        return v
    if t is tuple or t is list:
        return [compile_value(x) for x in v]
    if t is dict or isinstance(v, Mapping):
        return {_key(k): compile_value(x) for k, x in v.items()}
    if isinstance(v, Node):
        compile_node: Callable[[Any], Any] = _COMPILERS.get(v.node_kind, _generic)
        return compile_node(v)
    # Subclasses of the plain types (enum members, say) are written as the plain value.
    if isinstance(v, bool):
        return bool(v)
    if isinstance(v, str):
        return str.__str__(v)
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return float(v)
    raise CompileError(
        f"cannot write a value of type {t.__name__} ({v!r:.60}) to YAML; use strings, numbers, "
        "booleans, None, lists, dicts or gitlabci_dsl nodes"
    )


def _key(k: Any) -> str:
    if type(k) is str:
        return k
    if isinstance(k, str):
        return str.__str__(k)
    raise CompileError(f"mapping keys must be strings, got {k!r}")


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _fields(node: Any) -> dict[str, Any]:
    """The set fields of ``node`` in declaration order, compiled, without ``extra``."""
    t = type(node)
    names = _FIELD_NAMES.get(t)
    if names is None:
        names = tuple(f.name for f in attrs.fields(t) if f.name != "extra")
        _FIELD_NAMES[t] = names
    out: dict[str, Any] = {}
    for name in names:
        v = getattr(node, name)
        if v is not None and v is not MANDATORY:
            out[KEYWORD_OF_FIELD.get(name, name)] = v if type(v) in _PLAIN else compile_value(v)
    return out


def _merge(d: dict[str, Any], extra: Mapping[str, Any]) -> None:
    # Shallow on purpose: ``extra`` replaces a whole key; nested nodes have their own ``extra``.
    for k, v in extra.items():
        d[_key(k)] = compile_value(v)


def _merge_extra(d: dict[str, Any], extra: Mapping[str, Any] | None) -> dict[str, Any]:
    if extra:
        _merge(d, extra)
    return d


def _generic(node: Any) -> dict[str, Any]:
    return _merge_extra(_fields(node), node.extra)


def _child(node: Any) -> dict[str, Any]:
    return {"local": node.file}


def _generated(node: Any) -> dict[str, Any]:
    return {"artifact": node.artifact, "job": node.job}


def _stage(node: Any) -> str:
    return str(node.name)


def _job_ref(node: Any) -> str:
    return str(node.name)


def _reference(node: Any) -> Any:
    return node


def _environment(node: Any) -> dict[str, Any]:
    d = _fields(node)
    if node.on_stop is not None:
        d["on_stop"] = _name(node.on_stop)
    return _merge_extra(d, node.extra)


def _kubernetes_environment(node: Any) -> dict[str, Any]:
    d = _fields(node)
    if node.managed_resources is not None:
        d["managed_resources"] = {"enabled": node.managed_resources}
    return _merge_extra(d, node.extra)


def _input(node: Any) -> dict[str, Any]:
    d = _fields(node)
    if node.default is None:  # an explicit null default, unlike a missing one
        d = {**d, "default": None}
        d = {k: d[k] for k in _INPUT_ORDER if k in d}
    return _merge_extra(d, node.extra)


_INPUT_ORDER = ("type", "description", "options", "regex", "default", "rules")


def _input_rule(node: Any) -> dict[str, Any]:
    d = _fields(node)
    d["default"] = compile_value(node.default)
    return _merge_extra(d, node.extra)


def _rule(node: Any) -> dict[str, Any]:
    d = _fields(node)
    if node.needs is not None:
        d["needs"] = [_need(n) for n in node.needs]
    return _merge_extra(d, node.extra)


def _release(node: Any) -> dict[str, Any]:
    d = _fields(node)
    if "assets" in d:  # GitLab nests the links: assets: {links: [...]}
        d["assets"] = {"links": d["assets"]}
    return _merge_extra(d, node.extra)


_COMPILERS: dict[str, Callable[[Any], Any]] = {
    "Release": _release,
    "Child": _child,
    "Generated": _generated,
    "Stage": _stage,
    "Job": _job_ref,
    "Reference": _reference,
    "Environment": _environment,
    "KubernetesEnvironment": _kubernetes_environment,
    "Input": _input,
    "InputRule": _input_rule,
    "Rule": _rule,
    "Need": _need,
}
