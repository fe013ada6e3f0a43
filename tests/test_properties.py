"""Property tests: arbitrary pipelines compile to YAML that every parser reads back unchanged.

Strings come from ``st.text()`` mixed with the values YAML parsers disagree on: YAML 1.1 (PyYAML),
YAML 1.2 core schema (js-yaml, gitlab-ci-local) and Ruby's Psych (what GitLab runs). The expected
readings are derived from those specs, never from what the emitter happens to print:

* YAML 1.2.2 core schema tag resolution: https://yaml.org/spec/1.2.2/#1032-tag-resolution
* YAML 1.2.2 line breaks (U+0085, U+2028, U+2029 are not breaks any more):
  https://yaml.org/spec/1.2.2/#54-line-break-characters
* Psych's ``ScalarScanner#tokenize`` (ruby/psych, lib/psych/scalar_scanner.rb), ported below.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import gitlabci_dsl
from gitlabci_dsl import (
    GitlabCIDSLError,
    Input,
    Job,
    Need,
    Parallel,
    Pipeline,
    Reference,
    Rule,
    Spec,
    Stage,
    ValidationError,
    Variable,
    load_yaml,
    to_dict,
    to_documents,
    to_yaml,
)
from gitlabci_dsl.compiler import JOB_KEY_ORDER
from gitlabci_dsl.emitter import _Loader, dump

PROPERTY = settings(
    max_examples=200,
    deadline=None,
    database=None,  # no .hypothesis/ folder in a work tree shared with another developer
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Drawing a whole pipeline costs ~20 ms: 100 of them per test keeps the file near 30 s on 2 cores.
PIPELINES = settings(PROPERTY, max_examples=100)
FEWER = settings(PROPERTY, max_examples=60)

# The job names GitLab refuses (case-insensitive), as the package documents them.
RESERVED = frozenset(
    {
        "image",
        "services",
        "stages",
        "types",
        "before_script",
        "after_script",
        "variables",
        "cache",
        "include",
        "default",
        "workflow",
        "spec",
        "true",
        "false",
        "nil",
    }
)

# Values some YAML parser reads as something other than a string, plus YAML syntax characters.
NASTY: tuple[str, ...] = (
    "",
    " ",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "Y",
    "N",
    "true",
    "False",
    "TRUE",
    "null",
    "Null",
    "NULL",
    "~",
    "1e3",
    "1E3",
    "1.",
    ".5",
    "+1",
    "-1",
    "017",
    "0x1F",
    "0o17",
    "0b101",
    "1,000",
    "1_000",
    ":sym",
    ":",
    "2026-01-02",
    "2026-1-2",
    "2026-01-02 10:00:00",
    "2026-01-02T10:00:00Z",
    ".inf",
    "-.Inf",
    ".NaN",
    "12:30",
    "190:20:30",
    "=",
    "<<",
    "-",
    "- x",
    "?",
    "? x",
    ": ",
    "a: b",
    " #",
    "a #b",
    "#",
    "*x",
    "&x",
    "!x",
    "!!str x",
    "|x",
    ">x",
    "%x",
    "@x",
    "`x",
    "'q'",
    '"d"',
    "[a]",
    "{a: 1}",
    "a, b",
    "\t",
    "a\tb",
    " lead",
    "trail ",
    "\n",
    "a\n",
    "a\nb",
    "a\n\nb\n\n",
    " a\nb",
    "a \nb",
    "x\r\ny",
    "\r",
    "a\x85b",
    "a\nb\x85c",
    "a\u2028b",
    "a\u2029b",
    "\x00",
    "\x1b[0m",
    "\ufeffbom",
    "é",
    "日本語",
    "🚀",
    "$CI_COMMIT_REF_NAME",
    "echo $[[ inputs.x ]]",
)


def _random_case(words: list[str]) -> st.SearchStrategy[str]:
    def cased(word: str) -> st.SearchStrategy[str]:
        letters = [st.sampled_from(sorted({c.lower(), c.upper()})) for c in word]
        return st.tuples(*letters).map("".join)

    return st.sampled_from(words).flatmap(cased)


def _digits(low: int, high: int, extra: str = "") -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789" + extra, min_size=low, max_size=high)


def _concat(*parts: st.SearchStrategy[str] | str) -> st.SearchStrategy[str]:
    """Strings made of one draw of each part, in order (a plain str is a constant part)."""
    return st.tuples(*(st.just(p) if isinstance(p, str) else p for p in parts)).map("".join)


_SIGN = st.sampled_from(["", "+", "-"])

# Families of scalars that YAML 1.1, YAML 1.2 or Psych resolve to non-strings (built from small
# alphabets rather than st.from_regex, which is ten times slower to draw).
LOOKALIKES: st.SearchStrategy[str] = st.one_of(
    _random_case(["yes", "no", "true", "false", "on", "off", "null", "y", "n", "~"]),
    _random_case([".inf", "+.inf", "-.inf", ".nan"]),
    # sexagesimal 190:20:30, 09:15, -1:30.5
    _concat(
        _SIGN,
        _digits(1, 3, "_"),
        st.lists(
            _concat(":", st.sampled_from(["", *"012345"]), _digits(1, 1)),
            min_size=1,
            max_size=2,
        ).map("".join),
        st.sampled_from(["", ".", ".5"]),
    ),
    # timestamps 2026-01-02 10:00:00, -2026-1-2T1:00:00.5 +01:00
    _concat(
        st.sampled_from(["", "-"]),
        _digits(4, 4),
        "-",
        _digits(1, 2),
        "-",
        _digits(1, 2),
        st.sampled_from(["T", "t", " ", "  "]),
        _digits(1, 2),
        ":",
        _digits(2, 2),
        ":",
        _digits(2, 2),
        st.sampled_from(["", ".", ".25"]),
        st.sampled_from(["", "Z", " Z", "+01:00", "-5", " +0130"]),
    ),
    # dates
    _concat(_digits(4, 4), "-", _digits(1, 2), "-", _digits(1, 2)),
    # numbers: 1e3, 1,000, 1_000., .5E-2
    _concat(
        _SIGN,
        _digits(0, 4, "_,"),
        st.sampled_from(["", "."]),
        _digits(0, 3, "_"),
        st.sampled_from(["", "e3", "E-2", "e+10"]),
    ),
    # other bases: 0x1F, 0o17, 0b1,0
    _concat(
        _SIGN,
        "0",
        st.sampled_from("xXoObB"),
        st.text(alphabet="0123456789abcdefABCDEF_,", min_size=1, max_size=4),
    ),
    # Ruby symbols
    _concat(":", st.text(alphabet="ab:'\"", max_size=4)),
)

TEXT: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(NASTY),
    LOOKALIKES,
    st.text(max_size=30),
    st.lists(st.sampled_from(NASTY) | st.text(max_size=3), max_size=4).map("".join),
)
NONEMPTY_TEXT = TEXT.filter(bool)
SAFE_NAME = _concat(
    st.sampled_from("abcxyz"), st.text(alphabet="abcdefxyz0123456789_-", max_size=15)
)


def valid_job_name(name: str) -> bool:
    return bool(name.strip()) and len(name) <= 255 and name.lower() not in RESERVED


JOB_NAME = st.one_of(
    SAFE_NAME, TEXT.filter(valid_job_name), st.text(min_size=1).filter(valid_job_name)
)

FLOATS = st.floats(allow_nan=False)
LEAF: st.SearchStrategy[Any] = st.one_of(st.none(), st.booleans(), st.integers(), FLOATS, TEXT)
TREE: st.SearchStrategy[Any] = st.recursive(
    LEAF,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=25,
)
SMALL_TREE: st.SearchStrategy[Any] = st.recursive(
    LEAF,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
    max_leaves=6,
)
SCALAR_VAR = st.one_of(TEXT, st.integers(), FLOATS, st.booleans())


REFERENCE = st.builds(
    Reference, st.just(".tmpl"), st.sampled_from(["script", "before_script"]) | NONEMPTY_TEXT
)
# rules:if must be an expression GitLab can parse (compile refuses any other): a comparison of
# a variable with any string a "..." literal can hold, or a fixed expression.
EXPRESSION: st.SearchStrategy[str] = st.builds(
    lambda name, value: f'${name} == "{value}"',
    st.from_regex(r"[A-Z_][A-Z0-9_]{0,10}", fullmatch=True),
    st.text(st.characters(exclude_characters='"\n\r', codec="utf-8"), max_size=10),
) | st.sampled_from(["$CI_COMMIT_TAG", "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $A =~ /a.b/i"])
LINE_FIELDS = ("before_script", "after_script")
# Optional job keywords and what to draw for them (LINE_FIELDS: script lines, maybe references).
JOB_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "before_script": st.nothing(),
    "after_script": st.nothing(),
    "image": TEXT,
    "services": st.lists(TEXT, max_size=3),
    "variables": st.dictionaries(
        TEXT, SCALAR_VAR | st.builds(Variable, value=TEXT, expand=st.booleans()), max_size=4
    ),
    "tags": st.lists(TEXT, max_size=3),
    "rules": st.lists(
        st.builds(
            Rule,
            if_=st.none() | EXPRESSION,
            when=st.none() | st.sampled_from(["on_success", "manual", "never", "always"]),
            variables=st.none() | st.dictionaries(TEXT, SCALAR_VAR, max_size=2),
            allow_failure=st.none() | st.booleans(),
        ),
        max_size=3,
    ),
    "parallel": st.builds(
        Parallel,
        matrix=st.lists(
            st.dictionaries(
                TEXT,
                TEXT | st.lists(TEXT | st.integers(), min_size=1, max_size=3),
                min_size=1,
                max_size=2,
            ),
            min_size=1,
            max_size=2,
        ),
    ),
    # Keys of extra= are not GitLab keywords: `trigger` beside `script` is a job GitLab (and
    # the compiler) refuses, not a determinism question.
    "extra": st.dictionaries(TEXT.filter(lambda k: k not in JOB_KEY_ORDER), SMALL_TREE, max_size=3),
}
TOP_VARIABLE = st.one_of(
    SCALAR_VAR,
    st.fixed_dictionaries({"value": TEXT, "description": TEXT}),
    st.fixed_dictionaries({"value": TEXT, "expand": st.booleans()}),
)
INPUT = st.fixed_dictionaries({"default": TEXT}, optional={"description": TEXT, "regex": TEXT})


@dataclass
class PipelinePlan:
    """Plain data a pipeline is built from, so that it can be built twice."""

    stages: list[str] | None
    jobs: list[dict[str, Any]] = field(default_factory=list)
    variables: dict[str, Any] | None = None
    inputs: dict[str, Any] | None = None


def build(plan: PipelinePlan) -> Pipeline:
    """The pipeline described by ``plan`` (new objects on every call)."""
    stages = None if plan.stages is None else [Stage(s) for s in plan.stages]
    jobs: list[Job] = []
    for j in plan.jobs:
        kw = dict(j["kw"])
        if stages is not None:
            stage = stages[j["stage"]]
            kw["stage"] = stage if j["stage_obj"] else stage.name
        needs: list[Job | Need | str] = []
        for index, how, artifacts in j["needs"]:
            target = jobs[index]
            needs.append(
                target
                if how == 0
                else target.name
                if how == 1
                else Need(target, artifacts=artifacts)
            )
        if needs:
            kw["needs"] = needs
        jobs.append(Job(j["name"], **kw))
    variables = None
    if plan.variables is not None:
        variables = {
            k: Variable(**v) if isinstance(v, dict) else v for k, v in plan.variables.items()
        }
    pipeline_spec = None
    if plan.inputs is not None:
        pipeline_spec = Spec(inputs={k: Input(**v) for k, v in plan.inputs.items()})
    return Pipeline(stages=stages, jobs=jobs, variables=variables, spec=pipeline_spec)


def plan_with(*lines: str, variables: dict[str, Any] | None = None) -> PipelinePlan:
    """A one-job plan with ``lines`` as its script: the explicit examples of known failures."""
    job = {"name": "job", "stage": 0, "stage_obj": False, "needs": [], "kw": {"script": lines}}
    return PipelinePlan(
        stages=None, jobs=[job], variables=variables, inputs={"x": {"default": "a"}}
    )


@st.composite
def pipeline_plans(draw: st.DrawFn, *, refs: bool = True, inputs: bool = False) -> PipelinePlan:
    """A valid pipeline: unique job names, needs only on earlier non-hidden jobs in stages <= own."""
    stages: list[str] | None = None
    if draw(st.booleans()):
        stages = draw(
            st.lists(
                NONEMPTY_TEXT.filter(lambda s: s not in (".pre", ".post")),
                min_size=1,
                max_size=4,
                unique=True,
            )
        )
    names = draw(st.lists(JOB_NAME, min_size=1, max_size=4, unique=True))
    if refs:
        names = [".tmpl", *[n for n in names if n != ".tmpl"]]
    line = st.one_of(TEXT, REFERENCE) if refs else TEXT
    line_lists = st.lists(line, max_size=3)
    jobs: list[dict[str, Any]] = []
    for name in names:
        stage = draw(st.integers(0, len(stages) - 1)) if stages else 0
        kw: dict[str, Any] = {"script": draw(st.lists(line, min_size=1, max_size=4))}
        for key in sorted(draw(st.sets(st.sampled_from(sorted(JOB_FIELDS)), max_size=5))):
            kw[key] = draw(line_lists if key in LINE_FIELDS else JOB_FIELDS[key])
        needs = []
        if not name.startswith("."):
            earlier = [
                k
                for k, other in enumerate(jobs)
                if not other["name"].startswith(".") and other["stage"] <= stage
            ]
            if earlier:
                chosen = draw(st.lists(st.sampled_from(earlier), max_size=3, unique=True))
                needs = [(k, draw(st.integers(0, 2)), draw(st.booleans())) for k in chosen]
        jobs.append(
            {
                "name": name,
                "stage": stage,
                "stage_obj": draw(st.booleans()),
                "needs": needs,
                "kw": kw,
            }
        )
    variables = draw(st.none() | st.dictionaries(TEXT, TOP_VARIABLE, max_size=4))
    input_spec = draw(st.dictionaries(TEXT, INPUT, min_size=1, max_size=3)) if inputs else None
    return PipelinePlan(stages=stages, jobs=jobs, variables=variables, inputs=input_spec)


# --- comparing data -------------------------------------------------------------------------


def assert_same(actual: Any, expected: Any, path: str = "$") -> None:
    """Equal values of the same types, mappings with keys in the same order (``1 == True`` is
    not enough: a bool read back as an int is a different YAML value)."""
    assert type(actual) is type(expected), f"{path}: read {actual!r}, expected {expected!r}"
    if isinstance(expected, dict):
        assert list(actual) == list(expected), f"{path}: keys {list(actual)} != {list(expected)}"
        for key, value in expected.items():
            assert_same(actual[key], value, f"{path}[{key!r}]")
    elif isinstance(expected, list):
        assert len(actual) == len(expected), f"{path}: {actual!r} != {expected!r}"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_same(a, e, f"{path}[{i}]")
    else:
        assert actual == expected, f"{path}: read {actual!r}, expected {expected!r}"


def has_reference(value: Any) -> bool:
    if isinstance(value, Reference):
        return True
    if isinstance(value, dict):
        return any(has_reference(v) for v in value.values())
    if isinstance(value, list):
        return any(has_reference(v) for v in value)
    return False


def string_scalars(node: yaml.Node, value: Any) -> Iterator[tuple[yaml.ScalarNode, str]]:
    """Each scalar node of the document ``node`` whose value in the data ``value`` is a ``str``
    (mapping keys included), walking both side by side."""
    if isinstance(value, Reference):
        assert isinstance(node, yaml.SequenceNode)
        assert node.tag == "!reference"
        for item_node, item in zip(node.value, value.path, strict=True):
            yield from string_scalars(item_node, item)
    elif isinstance(value, dict):
        assert isinstance(node, yaml.MappingNode)
        for (key_node, value_node), (key, item) in zip(node.value, value.items(), strict=True):
            yield from string_scalars(key_node, key)
            yield from string_scalars(value_node, item)
    elif isinstance(value, list):
        assert isinstance(node, yaml.SequenceNode)
        for item_node, item in zip(node.value, value, strict=True):
            yield from string_scalars(item_node, item)
    elif isinstance(value, str):
        assert isinstance(node, yaml.ScalarNode)
        assert node.value == value
        yield node, value


def plain_strings(text: str, documents: list[Any]) -> Iterator[str]:
    """The strings of ``documents`` that ``text`` writes as plain (unquoted, non-block) scalars."""
    nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    assert len(nodes) == len(documents)
    for node, document in zip(nodes, documents, strict=True):
        for scalar, value in string_scalars(node, document):
            if scalar.style is None:
                yield value


# --- what other parsers make of a plain scalar ------------------------------------------------

# YAML 1.2.2, 10.3.2 "Tag Resolution" of the core schema; anything else is a string.
YAML12_CORE_NON_STRING = re.compile(
    r"""
      (?: null | Null | NULL | ~ | )                                    # null, also the empty scalar
    | (?: true | True | TRUE | false | False | FALSE )                   # bool
    | [-+]? [0-9]+ | 0o [0-7]+ | 0x [0-9a-fA-F]+                        # int: base 10, 8, 16
    | [-+]? (?: \. [0-9]+ | [0-9]+ (?: \. [0-9]* )? ) (?: [eE] [-+]? [0-9]+ )?  # float
    | [-+]? \. (?: inf | Inf | INF ) | \. (?: nan | NaN | NAN )         # float: infinity, not a number
    """,
    re.VERBOSE,
)


def yaml12_reads_as_non_string(value: str) -> bool:
    """A YAML 1.2 core-schema parser resolves the plain scalar ``value`` to a non-string (or, for a
    leading ``:``, Ruby would read a Symbol)."""
    return YAML12_CORE_NON_STRING.fullmatch(value) is not None or value.startswith(":")


# A port of Psych::ScalarScanner#tokenize (psych 5, as in Ruby 3.x), which GitLab's
# YAML.safe_load runs on every plain scalar. Ruby's \d and \s are ASCII-only, hence re.ASCII.
_PSYCH_WORDY = re.compile(r"[^0-9.:\-]?(?:[^\W\d_]|[_ \t\n\v\f\r!@#$%^&*(){}<>|/\\~;=])+")
_PSYCH_NON_STRING = [
    # TIME: a Time; safe_load refuses the Time class before looking at the fields
    r"-?[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|\s+)[0-9]{1,2}:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?"
    r"(?:\s*(?:Z|[-+][0-9]{1,2}:?(?:[0-9][0-9])?))?",
    # Date: a Date, or for an impossible date the string, but only after safe_load has refused
    # the Date class (its class loader is asked first), so GitLab never reads it as a string
    r"[0-9]{4}-(?:1[012]|0[0-9]|[0-9])-(?:[12][0-9]|3[01]|0[0-9]|[0-9])",
    r"\+?\.(?i:inf)",
    r"-\.(?i:inf)",
    r"\.(?i:nan)",
    r":.+",  # Symbol
    r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9]){1,2}",  # sexagesimal int
    r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9]){1,2}\.[0-9_]*",  # sexagesimal float
    r"[-+]?(?:[0-9][0-9_,]*)?\.[0-9]*(?:[eE][-+][0-9]+)?",  # FLOAT (a lone "." is kept a string)
    # INTEGER_LEGACY (the default: strict_integer is off)
    r"[-+]?0b[0-1_,]+|[-+]?0[0-7_,]+|[-+]?(?:0|[1-9](?:[0-9]|,[0-9]|_[0-9])*)|[-+]?0x[0-9a-fA-F_,]+",
]
_PSYCH_NON_STRING_RE = [re.compile(p, re.ASCII) for p in _PSYCH_NON_STRING]


def psych_reads_as_non_string(value: str) -> bool:
    """Psych (GitLab's parser) turns the plain scalar ``value`` into something other than this
    string: nil, true/false, a number, a Symbol, a Date or Time (or refuses it)."""
    if value == "":
        return True
    if _PSYCH_WORDY.match(value) or "\n" in value:
        if len(value) > 5 or re.match(r"[^ytonf~]", value, re.IGNORECASE):
            return False
        return value == "~" or any(
            re.fullmatch(words, value, re.IGNORECASE)
            for words in ("null", "yes|true|on", "no|false|off")
        )
    if re.fullmatch(r"[-+]?\.", value):
        return False
    return any(p.fullmatch(value) for p in _PSYCH_NON_STRING_RE)


PSYCH_NON_STRINGS = ["yes", "No", "oFF", "~", "NULL", "", "12", "017", "0x1F", "0b1,0", "1,000",
                     "1_000", "1.5", ".e+10", "12:30", "09:15", ":sym", ".Inf", "-.INF", ".NaN",
                     "2026-01-02", "2026-02-30", "2026-01-02 10:00:00", "-2026-01-02T10:00:00Z"]  # fmt: skip
PSYCH_STRINGS = ["year", "yes!", "true1", "nullx", "y", "n", ".", "+.", ":", "-", "1 2", "a: b",
                 "1e3", "0o17", "1.2.3", "12:60", "v1.0"]  # fmt: skip


@pytest.mark.parametrize("value", PSYCH_NON_STRINGS)
def test_psych_port_reads_non_strings(value: str) -> None:
    """The Psych port turns what Psych's scanner resolves (nil, bools, numbers...) into non-strings."""
    assert psych_reads_as_non_string(value)


@pytest.mark.parametrize("value", PSYCH_STRINGS)
def test_psych_port_keeps_strings(value: str) -> None:
    """The Psych port keeps what Psych's scanner leaves alone as strings."""
    assert not psych_reads_as_non_string(value)


# --- round trips ------------------------------------------------------------------------------


@PIPELINES
@given(pipeline_plans())
def test_round_trip_through_load_yaml(plan: PipelinePlan) -> None:
    """load_yaml(to_yaml(p)) gives back to_dict(p): same values, same types, same key order."""
    pipeline = build(plan)
    assert_same(load_yaml(to_yaml(pipeline)), to_dict(pipeline))


@PIPELINES
@given(pipeline_plans(refs=False))
def test_round_trip_through_pyyaml_safe_load(plan: PipelinePlan) -> None:
    """Without !reference tags, plain yaml.safe_load (YAML 1.1) reads the file as to_dict(p)."""
    pipeline = build(plan)
    expected = to_dict(pipeline)
    assert not has_reference(expected)
    assert_same(yaml.safe_load(to_yaml(pipeline)), expected)


@PIPELINES
@given(pipeline_plans(refs=False, inputs=True))
def test_spec_header_documents_round_trip(plan: PipelinePlan) -> None:
    """With a spec: header every document reads back, and load_yaml returns the body."""
    pipeline = build(plan)
    text = to_yaml(pipeline)
    documents = to_documents(pipeline)
    assert len(documents) == 2
    read = list(yaml.safe_load_all(text))
    assert_same(read, documents)
    assert_same(load_yaml(text), to_dict(pipeline))


@PROPERTY
@given(
    job_extra=st.dictionaries(TEXT, TREE, max_size=4),
    variables=st.dictionaries(TEXT, SCALAR_VAR, max_size=6),
    deep=st.recursive(
        LEAF,
        lambda c: (
            st.lists(c, min_size=1, max_size=2) | st.dictionaries(TEXT, c, min_size=1, max_size=2)
        ),
        max_leaves=60,
    ),
)
def test_nested_values_round_trip(
    job_extra: dict[str, Any], variables: dict[str, Any], deep: Any
) -> None:
    """Variables and arbitrarily deep extra={...} dicts/lists of str/int/float/bool/None leaves
    round-trip through both loaders."""
    job = Job(
        "job",
        script=["true"],
        variables=variables,
        extra={**job_extra, "x_deep": deep, "x_deeper": [[[{"k": [deep]}]]]},
    )
    pipeline = Pipeline(jobs=[job], variables=variables)
    text = to_yaml(pipeline)
    expected = to_dict(pipeline)
    assert_same(expected["job"]["x_deep"], deep)
    assert_same(load_yaml(text), expected)
    assert_same(yaml.safe_load(text), expected)


# --- determinism ------------------------------------------------------------------------------


@PIPELINES
@given(pipeline_plans())
def test_output_is_deterministic(plan: PipelinePlan) -> None:
    """to_yaml twice, or on the same pipeline built twice, gives the same bytes; to_dict too."""
    first = build(plan)
    text = to_yaml(first)
    assert to_yaml(first).encode() == text.encode()
    assert to_yaml(build(plan)).encode() == text.encode()
    assert_same(to_dict(first), to_dict(build(plan)))


_HASH_SEED_SCRIPT = """
import sys
from gitlabci_dsl import Job, Pipeline, Stage, Variable, to_yaml
stages = [Stage(s) for s in ("b", "a", "c")]
jobs = [
    Job(f"job-{i}", stage=stages[i % 3], script=[f"echo {i}"],
        variables={f"V{k}": Variable(value=str(k), expand=bool(k % 2)) for k in range(8)},
        tags=[f"t{k}" for k in range(5)], extra={"x": {f"k{k}": [k, str(k)] for k in range(6)}})
    for i in range(12)
]
sys.stdout.write(to_yaml(Pipeline(stages=stages, jobs=jobs, source="demo")))
"""


def test_output_does_not_depend_on_hash_seed() -> None:
    """Two interpreters with different PYTHONHASHSEED write the same bytes for one pipeline."""
    root = Path(gitlabci_dsl.__file__).resolve().parent.parent
    outputs = [
        subprocess.run(
            [sys.executable, "-c", _HASH_SEED_SCRIPT],
            capture_output=True,
            check=True,
            cwd=root,
            env={
                "PYTHONHASHSEED": seed,
                "PYTHONPATH": str(root),
                "PYTHONDONTWRITEBYTECODE": "1",
                "PATH": "/usr/bin:/bin",
            },
        ).stdout
        for seed in ("1", "2")
    ]
    assert outputs[0] == outputs[1]
    assert outputs[0]


# --- no anchors or aliases --------------------------------------------------------------------


def assert_no_anchors(text: str) -> None:
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        assert not isinstance(event, yaml.AliasEvent), event
        assert getattr(event, "anchor", None) is None, event


@PROPERTY
@given(
    shared_list=st.lists(TEXT, min_size=1, max_size=3),
    shared_dict=st.dictionaries(TEXT, TEXT, min_size=1, max_size=3),
    shared_tree=TREE,
    count=st.integers(2, 4),
)
def test_no_anchors_or_aliases_for_shared_objects(
    shared_list: list[str], shared_dict: dict[str, str], shared_tree: Any, count: int
) -> None:
    """The same list, dict or Reference object used in several jobs is written out each time,
    never as an &anchor / *alias pair."""
    shared_ref = Reference(".tmpl", "script")
    template = Job(".tmpl", script=shared_list)
    jobs = [
        Job(
            f"job{i}",
            script=[shared_ref, *shared_list],
            before_script=shared_list,
            variables=shared_dict,
            tags=shared_list,
            extra={"x_list": shared_list, "x_dict": shared_dict, "x_tree": [shared_tree] * 2},
        )
        for i in range(count)
    ]
    pipeline = Pipeline(jobs=[template, *jobs], variables=shared_dict)
    text = to_yaml(pipeline)
    assert_no_anchors(text)
    data = to_dict(pipeline)
    assert_no_anchors(dump([data, data]))
    assert_same(load_yaml(text), data)


# --- no line wrapping -------------------------------------------------------------------------

LINE_BREAKS = "\n\r\x85\u2028\u2029"
_PIECE = st.sampled_from(
    [
        "word",
        " ",
        "  ",
        "a b",
        ": ",
        " #",
        "-",
        "'",
        '"',
        "\\",
        "\t",
        "é",
        "日本",
        "🚀",
        ",",
        "x" * 7,
    ]
) | st.text(alphabet=st.characters(codec="utf-8", exclude_characters=LINE_BREAKS), max_size=5)
LONG_LINE = (
    st.lists(_PIECE, min_size=40, max_size=150)
    .map("".join)
    .map(lambda s: s if len(s) >= 200 else s + " padding words" * 15)
)


@FEWER
@given(st.lists(LONG_LINE, min_size=1, max_size=4))
def test_long_strings_are_not_wrapped(longs: list[str]) -> None:
    """Strings of 200+ characters without line breaks stay on one physical line: the file has as
    many lines as with short strings in their place, and each scalar starts and ends on one line."""

    def pipeline(values: list[str]) -> Pipeline:
        return Pipeline(
            jobs=[
                Job(
                    f"job{i}",
                    script=[value, "make"],
                    variables={"LONG": value},
                    tags=[value],
                    extra={"x_nested": {"deeper": [{"deepest": value}]}},
                )
                for i, value in enumerate(values)
            ],
            source="demo",
        )

    long_pipeline = pipeline(longs)
    text = to_yaml(long_pipeline)
    short_text = to_yaml(pipeline(["x"] * len(longs)))
    assert text.count("\n") == short_text.count("\n")
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    assert node is not None
    checked = 0
    for scalar, value in string_scalars(node, to_dict(long_pipeline)):
        if value in longs:
            assert scalar.start_mark.line == scalar.end_mark.line, value
            checked += 1
    assert checked == 4 * len(longs)


# --- every parser reads plain scalars as strings ----------------------------------------------


@PIPELINES
@given(pipeline_plans(inputs=True))
def test_plain_scalars_are_strings_in_yaml_1_2(plan: PipelinePlan) -> None:
    """No string is left unquoted where the YAML 1.2 core schema reads null/bool/int/float (or
    Ruby a :symbol)."""
    pipeline = build(plan)
    text = to_yaml(pipeline)
    misread = [
        v for v in plain_strings(text, to_documents(pipeline)) if yaml12_reads_as_non_string(v)
    ]
    assert not misread, f"left plain, read as non-strings by YAML 1.2: {misread}"


@PIPELINES
@given(pipeline_plans(inputs=True))
@example(plan_with("09:15", "tRUE", "-2026-01-02 10:00:00", "0b1,0"))
def test_plain_scalars_are_strings_in_psych(plan: PipelinePlan) -> None:
    """No string is left unquoted where Ruby's Psych (GitLab's YAML parser) reads a non-string."""
    pipeline = build(plan)
    text = to_yaml(pipeline)
    misread = [
        v for v in plain_strings(text, to_documents(pipeline)) if psych_reads_as_non_string(v)
    ]
    assert not misread, f"left plain, read as non-strings by Psych: {misread}"


@PIPELINES
@given(pipeline_plans(inputs=True))
@example(plan_with("a\u2028b"))
def test_no_raw_unicode_line_breaks(plan: PipelinePlan) -> None:
    """U+0085, U+2028 and U+2029 never appear raw in the file (YAML 1.1 reads them as line
    breaks, YAML 1.2 as content, so only an escape means the same to both)."""
    text = to_yaml(build(plan))
    raw = [line for line in text.split("\n") if any(c in line for c in "\x85\u2028\u2029")]
    assert not raw, f"raw U+0085/U+2028/U+2029 in: {raw}"


# --- the pure-Python emitter writes the same YAML -----------------------------------------------


def _pure_python_emitter() -> types.ModuleType:
    """A private copy of gitlabci_dsl.emitter built while PyYAML's libyaml classes are hidden."""
    path = Path(gitlabci_dsl.__file__).with_name("emitter.py")
    module_spec = importlib.util.spec_from_file_location("gitlabci_dsl._pure_emitter", path)
    assert module_spec is not None
    assert module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    with pytest.MonkeyPatch.context() as patch:
        patch.delattr(yaml, "CSafeDumper")
        patch.delattr(yaml, "CSafeLoader")
        module_spec.loader.exec_module(module)
    return module


PURE = _pure_python_emitter()


@FEWER
@given(pipeline_plans(inputs=True))
@example(plan_with("a\x85b", variables={"": "empty key"}))
@example(plan_with("deploy 🚀"))
@example(plan_with("x", variables={"yes\r": "line break in a key"}))
def test_pure_python_emitter_writes_the_same_yaml(plan: PipelinePlan) -> None:
    """Without libyaml the emitter writes the same data, and the same bytes except for the
    documented differences: libyaml escapes characters beyond U+FFFF, and the two emitters
    choose differently between a simple and an explicit `? key` for an empty key or a key
    holding a line break."""
    pipeline = build(plan)
    pure_dump: Callable[[list[Any]], str] = PURE.dump
    pure, fast = pure_dump(to_documents(pipeline)), dump(to_documents(pipeline))
    assert list(yaml.load_all(pure, Loader=_Loader)) == list(yaml.load_all(fast, Loader=_Loader))
    explicit_key = re.search(r"(?m)^[ -]*\? ", pure + fast) is not None
    if "\\U" not in fast and not explicit_key:
        assert pure == fast


# --- job names ----------------------------------------------------------------------------------


@PROPERTY
@given(JOB_NAME)
def test_valid_job_names_are_accepted_and_kept(name: str) -> None:
    """Any non-blank, non-reserved name of at most 255 characters names a job, verbatim."""
    pipeline = Pipeline(jobs=[Job(name, script=["true"])])
    assert list(load_yaml(to_yaml(pipeline))) == [name]


@PROPERTY
@given(_random_case(sorted(RESERVED)) | st.text(min_size=256, max_size=300))
def test_reserved_or_long_job_names_are_rejected(name: str) -> None:
    """Reserved keywords (in any case) and names over 255 characters raise ValidationError."""
    with pytest.raises(ValidationError) as raised:
        Job(name, script=["true"])
    assert isinstance(raised.value, GitlabCIDSLError)


@PIPELINES
@given(pipeline_plans(inputs=True))
def test_import_gives_back_the_pipeline(plan: PipelinePlan) -> None:
    """import(to_yaml(p)) is a module whose pipeline compiles to the same documents as p (key
    order aside: a hidden key that is not a job moves to the end), and importing that output
    again writes the same module."""
    from gitlabci_dsl.importer import first_difference, import_yaml

    pipeline = build(plan)
    text = to_yaml(pipeline)
    code = import_yaml(text, source="p.yml").code
    namespace: dict[str, Any] = {}
    exec(compile(code, "p.py", "exec"), namespace)  # noqa: S102 - the module import wrote
    imported = namespace["pipeline"]
    assert first_difference(to_documents(pipeline), to_documents(imported)) is None
    assert import_yaml(to_yaml(imported), source="p.yml").code == code
