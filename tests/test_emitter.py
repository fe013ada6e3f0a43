"""Example-based tests of the YAML emitter: header, scalar styles, quoting, tags, order, documents.

Expected values come from the YAML specs and the package's stated behaviour:

* YAML 1.2.2 block scalars (literal style, chomping and indentation indicators):
  https://yaml.org/spec/1.2.2/#81-block-scalar-styles
* YAML 1.1 types PyYAML resolves (bool/null/int/float/timestamp): https://yaml.org/type/
* YAML 1.2.2 core schema: https://yaml.org/spec/1.2.2/#1032-tag-resolution
* Ruby Psych's ScalarScanner (GitLab's parser), ruby/psych lib/psych/scalar_scanner.rb
* GitLab's ``!reference`` tag: https://docs.gitlab.com/ci/yaml/yaml_optimization/#reference-tags
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from gitlabci_dsl import (
    CompileError,
    GitlabCIDSLError,
    Input,
    Job,
    Pipeline,
    Reference,
    Rule,
    Spec,
    Stage,
    load_yaml,
    to_dict,
    to_documents,
    to_yaml,
)
from gitlabci_dsl.emitter import dump, header


def body(text: str) -> list[str]:
    """The lines of a generated file after its header line."""
    first, _, rest = text.partition("\n")
    assert first.startswith("#")
    return rest.split("\n")


def stripped(text: str) -> list[str]:
    return [line.strip() for line in body(text)]


def scalar_styles(text: str, value: str) -> list[str | None]:
    """The style of every scalar whose content is ``value`` (None: plain)."""
    return [
        event.style
        for event in yaml.parse(text, Loader=yaml.SafeLoader)
        if isinstance(event, yaml.ScalarEvent) and event.value == value
    ]


def plain_lines(text: str, value: str) -> list[str]:
    """The lines where ``value`` appears unquoted (for failure messages)."""
    return [
        line for line in text.split("\n") if re.search(rf"(^|[-:] ){re.escape(value)}(:|$)", line)
    ]


def one_job(*lines: Any, **kw: Any) -> Pipeline:
    return Pipeline(jobs=[Job("build", script=list(lines), **kw)], source="pipelines.demo")


def assert_round_trip(pipeline: Pipeline) -> None:
    text = to_yaml(pipeline)
    expected = to_dict(pipeline)
    assert load_yaml(text) == expected
    assert yaml.safe_load(text) == expected


# --- header -------------------------------------------------------------------------------------


def test_header_is_one_comment_line_naming_tool_source_and_command() -> None:
    """The first line is a comment naming gitlabci-dsl, Pipeline.source and `gitlabci-dsl compile`."""
    pipeline = one_job("make")
    text = to_yaml(pipeline)
    first = text.split("\n", 1)[0]
    assert first.startswith("# ")
    assert "gitlabci-dsl" in first
    assert "pipelines.demo" in first
    assert "gitlabci-dsl compile" in first
    assert text == header("pipelines.demo") + dump(to_documents(pipeline))
    assert header("pipelines.demo") == first + "\n"
    assert yaml.safe_load(text) == {"build": {"script": ["make"]}}


def test_header_names_the_module_given_and_never_the_caller() -> None:
    """The header names ``to_yaml(source=...)``, else ``Pipeline.source``, else no module: equal
    pipelines built in different modules are equal and give the same bytes."""
    pipeline = Pipeline(jobs=[Job("build", script=["make"])])
    assert pipeline.source is None
    built_elsewhere: dict[str, object] = {"__name__": "somewhere.else"}
    exec(  # noqa: S102 - a literal: a second module building the same pipeline
        "from gitlabci_dsl import Job, Pipeline\n"
        "p = Pipeline(jobs=[Job('build', script=['make'])])",
        built_elsewhere,
    )
    assert built_elsewhere["p"] == pipeline
    assert to_yaml(pipeline) == to_yaml(built_elsewhere["p"])  # type: ignore[arg-type]
    assert to_yaml(pipeline).split("\n", 1)[0] + "\n" == header(None)
    assert to_yaml(pipeline, source="pipelines.main").startswith(header("pipelines.main"))
    named = Pipeline(jobs=pipeline.jobs, source="pipelines.x")
    assert to_yaml(named).startswith(header("pipelines.x"))
    assert to_yaml(named, source="pipelines.y").startswith(header("pipelines.y"))


def test_header_without_source_still_says_how_to_regenerate() -> None:
    """header(None) is still one comment line mentioning gitlabci-dsl compile, with no module."""
    line = header(None)
    assert line.startswith("# ")
    assert line.endswith("\n")
    assert line.count("\n") == 1
    assert "gitlabci-dsl compile" in line
    assert " from " not in line


def test_dump_has_no_header() -> None:
    """dump() writes only YAML: no comment line, just the documents."""
    text = dump([{"build": {"script": ["make"]}}])
    assert not text.startswith("#")
    assert yaml.safe_load(text) == {"build": {"script": ["make"]}}


# --- block scalars --------------------------------------------------------------------------------


def test_multi_line_script_line_is_a_literal_block() -> None:
    """A script line with a newline is written as a literal | block, one source line per line."""
    pipeline = one_job("echo one\necho two", "make")
    text = to_yaml(pipeline)
    assert scalar_styles(text, "echo one\necho two") == ["|"]
    lines = body(text)
    start = [line.strip() for line in lines].index("- |-")
    indicator, first, second = lines[start : start + 3]
    indent = len(indicator) - len(indicator.lstrip())
    for content, expected in ((first, "echo one"), (second, "echo two")):
        assert content.strip() == expected
        assert len(content) - len(content.lstrip()) > indent
    assert_round_trip(pipeline)


@pytest.mark.parametrize(
    ("value", "indicator"),
    [
        ("a\nb", "|-"),  # no final line break: strip
        ("a\nb\n", "|"),  # exactly one: clip, the default
        ("a\nb\n\n", "|+"),  # more than one: keep
    ],
)
def test_literal_block_chomping_indicator(value: str, indicator: str) -> None:
    """The chomping indicator (strip -, clip, keep +) matches the string's final line breaks."""
    pipeline = one_job(value)
    text = to_yaml(pipeline)
    assert scalar_styles(text, value) == ["|"]
    assert f"- {indicator}" in stripped(text)
    assert_round_trip(pipeline)


def test_literal_block_with_leading_spaces_has_an_indentation_indicator() -> None:
    """A block whose first line starts with spaces carries an explicit indentation indicator."""
    value = "  indented\nline"
    pipeline = one_job(value)
    text = to_yaml(pipeline)
    assert scalar_styles(text, value) == ["|"]
    assert any(re.fullmatch(r"- \|[1-9]-", line) for line in stripped(text))
    assert_round_trip(pipeline)


@pytest.mark.parametrize(
    "value",
    ["trailing space \nnext", "x\r\ny", "tab\tthen\nbreak", "\n", " \nx", "x\n ", "\n\nx"],
)
def test_multi_line_strings_that_need_quoting_round_trip(value: str) -> None:
    """Multi-line strings a literal block cannot hold exactly fall back to a style that can."""
    pipeline = one_job(value, variables={"V": value}, extra={"x_key": {value: [value]}})
    assert_round_trip(pipeline)


def test_multi_line_string_in_a_reference_is_quoted() -> None:
    """Inside the flow sequence of !reference, where no block is allowed, a newline is quoted."""
    pipeline = one_job(Reference(".tmpl", "multi\nline"))
    text = to_yaml(pipeline)
    assert set(scalar_styles(text, "multi\nline")) <= {"'", '"'}
    assert load_yaml(text) == to_dict(pipeline)


# --- quoting --------------------------------------------------------------------------------------

# Read as non-strings by PyYAML (YAML 1.1), Psych (GitLab) or YAML 1.2 (js-yaml) if left plain.
TRICKY = [
    "yes",  # YAML 1.1 bool
    "no",
    "on",
    "off",
    "Yes",
    "null",  # null in every schema
    "~",
    "true",  # bool in every schema
    "1e3",  # YAML 1.2 float
    "0x1F",  # hex int
    "0o17",  # YAML 1.2 octal
    "017",  # YAML 1.1 octal
    "1,000",  # Psych int (commas allowed)
    "1_000",  # YAML 1.1 int
    ":sym",  # Ruby Symbol
    "y",  # YAML 1.1 bool (yaml.org/type/bool)
    "n",
    "2026-01-02",  # date
    "2026-01-02 10:00:00",  # timestamp
    ".inf",  # float
    "-.Inf",
    ".NaN",
    "12:30",  # YAML 1.1 sexagesimal int
    "3.14",
    "-1",
    "=",  # YAML 1.1 value key
    "<<",  # YAML 1.1 merge key
]

# Only Psych reads these as non-strings; derived from ruby/psych lib/psych/scalar_scanner.rb.
PSYCH_ONLY = [
    "09:15",  # /^[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}$/ -> Integer (sexagesimal)
    "00:30",
    "tRUE",  # /^(yes|true|on)$/i -> true
    "yEs",
    "oFF",  # /^(no|false|off)$/i -> false
    "nULL",  # /^null$/i -> nil
    ".iNf",  # /^\+?\.inf$/i -> Infinity
    "-.iNF",  # /^-\.inf$/i -> -Infinity
    ".nAn",  # /^\.nan$/i -> NaN
    "-2026-01-02 10:00:00",  # TIME allows a leading "-" -> Time
    "0b1,0",  # INTEGER_LEGACY allows commas in base 2 -> 2
    "0x1,F",  # and in base 16 -> 31
    ".e+10",  # FLOAT matches, then Float("e+10") raises: the whole file fails to load
]


def _everywhere(value: str) -> Pipeline:
    """``value`` as a job name (when allowed), stage, script line, tag, variable key and value."""
    name = value if value.lower() not in ("true", "false") and value.strip() else "job"
    return Pipeline(
        stages=[Stage(value)],
        variables={value: value},
        jobs=[
            Job(
                name,
                stage=value,
                image=value,
                variables={"V": value, value: "v"},
                script=[value],
                tags=[value],
                extra={"x_nested": {value: [value, {"k": value}]}},
            )
        ],
        source="pipelines.demo",
    )


@pytest.mark.parametrize("value", TRICKY)
def test_tricky_values_are_quoted_everywhere(value: str) -> None:
    """Every occurrence of a value some YAML parser would not read as a string is quoted."""
    pipeline = _everywhere(value)
    text = to_yaml(pipeline)
    styles = scalar_styles(text, value)
    assert len(styles) >= 9
    assert set(styles) <= {"'", '"'}, plain_lines(text, value)
    assert_round_trip(pipeline)


@pytest.mark.parametrize("value", PSYCH_ONLY)
def test_values_only_psych_misreads_are_quoted(value: str) -> None:
    """Values GitLab's Psych reads as Integer/true/nil/Float/Time are quoted (PyYAML alone would not)."""
    pipeline = _everywhere(value)
    text = to_yaml(pipeline)
    assert set(scalar_styles(text, value)) <= {"'", '"'}, plain_lines(text, value)
    assert_round_trip(pipeline)


@pytest.mark.parametrize(
    ("value", "line"),
    [
        ("yes", "V: 'yes'"),
        ("null", "V: 'null'"),
        ("1e3", "V: '1e3'"),
        ("0x1F", "V: '0x1F'"),
        (":sym", "V: ':sym'"),
        ("12:30", "V: '12:30'"),
        ("2026-01-02", "V: '2026-01-02'"),
        ("", "V: ''"),
        ("it's", "V: it's"),
        ("a: b", "V: 'a: b'"),
        (" #x", "V: ' #x'"),
    ],
)
def test_exact_quoted_lines(value: str, line: str) -> None:
    """Single quotes (no escapes needed) for plain-looking values; plain text stays plain."""
    text = to_yaml(one_job("true", variables={"V": value}))
    assert line in stripped(text)


@pytest.mark.parametrize(
    "value",
    ["make", "echo hello world", "python -m pytest -q", "v1.2.3", "1.2.3", "ab12", "yes-please"],
)
def test_ordinary_strings_stay_plain(value: str) -> None:
    """Strings every parser reads as strings are not quoted (the output stays readable)."""
    assert scalar_styles(to_yaml(one_job(value)), value) == [None]


@pytest.mark.parametrize(
    "value",
    ["*alias", "&anchor", "!tag", "|pipe", ">fold", "%percent", "@at", "`tick", "- dash", "? q"],
)
def test_values_starting_with_indicators_round_trip(value: str) -> None:
    """Strings starting with a YAML indicator character are quoted and read back unchanged."""
    pipeline = one_job(value, variables={"V": value})
    assert set(scalar_styles(to_yaml(pipeline), value)) <= {"'", '"'}
    assert_round_trip(pipeline)


# --- !reference -----------------------------------------------------------------------------------


def test_reference_is_emitted_as_the_real_tag() -> None:
    """Reference(".tmpl", "script") is written `!reference [.tmpl, script]` and read back."""
    template = Job(".tmpl", script=["make"])
    build = Job(
        "build",
        script=[Reference(".tmpl", "script"), "make install"],
        variables={"X": Reference(".vars", "variables", "X")},
    )
    pipeline = Pipeline(jobs=[template, build], source="pipelines.demo")
    text = to_yaml(pipeline)
    lines = stripped(text)
    assert "- !reference [.tmpl, script]" in lines
    assert "X: !reference [.vars, variables, X]" in lines
    starts = [
        e
        for e in yaml.parse(text, Loader=yaml.SafeLoader)
        if isinstance(e, yaml.SequenceStartEvent)
    ]
    assert [e.tag for e in starts if e.tag == "!reference"] == ["!reference", "!reference"]
    assert all(e.flow_style for e in starts if e.tag == "!reference")
    loaded = load_yaml(text)
    assert loaded["build"]["script"] == [Reference(".tmpl", "script"), "make install"]
    assert loaded == to_dict(pipeline)


# --- no wrapping, unicode -------------------------------------------------------------------------


def test_long_lines_are_not_wrapped() -> None:
    """A 500-character command (plain, and one needing double quotes) stays on one line."""
    plain = "echo " + " ".join(f"word{i:03}" for i in range(70))
    quoted = "printf '%s'\t" + "x y " * 125
    assert len(plain) >= 500
    assert len(quoted) >= 500
    pipeline = one_job(plain, quoted, variables={"LONG": plain})
    text = to_yaml(pipeline)
    short = to_yaml(one_job("a", "b", variables={"LONG": "c"}))
    assert text.count("\n") == short.count("\n")
    assert f"- {plain}" in stripped(text)
    assert f"LONG: {plain}" in stripped(text)
    assert_round_trip(pipeline)


def test_unicode_is_written_as_utf8_not_escaped() -> None:
    """Non-ASCII text appears as itself (UTF-8), never as \\u or \\x escapes."""
    values = ["echo héllo wörld", "日本語のテスト", "Ωμέγα ∑", "naïve café → ok"]
    pipeline = one_job(*values, variables={"GRÜSSE": "grüße"})
    text = to_yaml(pipeline)
    for value in [*values, "GRÜSSE", "grüße"]:
        assert value in text
    assert not re.search(r"\\[uUxN]", text)
    assert "é".encode() in text.encode("utf-8")
    assert_round_trip(pipeline)


def test_unicode_beyond_the_bmp_is_escaped_and_reads_back() -> None:
    """libyaml writes characters above U+FFFF (emoji) as \\U escapes in double quotes: valid
    YAML that every parser reads back as the same string. Characters of the BMP stay UTF-8."""
    values = ["echo deploy 🚀", "done ✅ 🎉", "𓀀 hieroglyph"]
    pipeline = one_job(*values, "café ✅")
    text = to_yaml(pipeline)
    assert '- "echo deploy \\U0001F680"' in text
    assert "- café ✅" in text
    assert_round_trip(pipeline)


# --- key order ------------------------------------------------------------------------------------


def test_jobs_keep_declaration_order() -> None:
    """Jobs are written in the order given to Pipeline(jobs=...), not sorted."""
    names = ["zeta", "alpha", ".hidden", "mid", "Beta"]
    pipeline = Pipeline(jobs=[Job(n, script=["true"]) for n in names], source="pipelines.demo")
    text = to_yaml(pipeline)
    assert list(load_yaml(text)) == names
    assert [line[:-1] for line in body(text) if line and not line[0].isspace()] == names


def test_job_keys_follow_the_customary_order() -> None:
    """Within a job: stage, image, services, variables, needs, rules, before/script/after_script."""
    build = Stage("build")
    prep = Job("prep", stage=build, script=["true"])
    job = Job(
        "compile",
        after_script=["echo done"],
        script=["make"],
        before_script=["echo start"],
        rules=[Rule(if_="$CI_COMMIT_TAG")],
        needs=[prep],
        variables={"Z": "1", "A": "2", "M": "3"},
        services=["postgres:16"],
        image="python:3.11",
        stage=build,
    )
    text = to_yaml(Pipeline(stages=[build], jobs=[prep, job], source="pipelines.demo"))
    expected = [
        "stage",
        "image",
        "services",
        "variables",
        "needs",
        "rules",
        "before_script",
        "script",
        "after_script",
    ]
    loaded = load_yaml(text)
    assert list(loaded["compile"]) == expected
    assert list(loaded["compile"]["variables"]) == ["Z", "A", "M"]
    lines = body(text)
    start = lines.index("compile:")
    keys = [
        line.strip().split(":")[0]
        for line in lines[start + 1 :]
        if re.match(r"  [a-z_]+:", line) and not line.startswith("   ")
    ]
    assert keys == expected


# --- documents, anchors ---------------------------------------------------------------------------


def test_spec_is_a_first_document_before_a_separator() -> None:
    """With Spec(...) the file is `spec:` ..., a `---` line, then the pipeline body."""
    pipeline = Pipeline(
        spec=Spec(inputs={"x": Input(default="a")}),
        jobs=[Job("j", script=["echo $[[ inputs.x ]]"])],
        source="pipelines.demo",
    )
    text = to_yaml(pipeline)
    lines = body(text)
    assert lines[0] == "spec:"
    assert lines.count("---") == 1
    separator = lines.index("---")
    assert lines.index("j:") > separator
    assert all(line.startswith(" ") for line in lines[1:separator])
    spec_doc, body_doc = yaml.safe_load_all(text)
    assert spec_doc == {"spec": {"inputs": {"x": {"default": "a"}}}}
    assert body_doc == {"j": {"script": ["echo $[[ inputs.x ]]"]}}
    assert load_yaml(text) == body_doc == to_dict(pipeline)


def test_without_spec_there_is_one_document() -> None:
    """Without spec there is no document marker at all."""
    text = to_yaml(one_job("make", "x\n\n"))
    assert "---" not in stripped(text)
    assert len(list(yaml.safe_load_all(text))) == 1


def test_keep_chomped_block_at_the_end_of_a_job_or_document() -> None:
    """A |+ block that ends a job or the spec document keeps its final line breaks."""
    value = "last line\n\n"
    pipeline = Pipeline(
        spec=Spec(inputs={"x": Input(default=value)}),
        jobs=[Job("a", script=["make", value]), Job("b", script=[value])],
        source="pipelines.demo",
    )
    text = to_yaml(pipeline)
    assert stripped(text).count("---") == 1
    spec_doc, body_doc = yaml.safe_load_all(text)
    assert spec_doc == {"spec": {"inputs": {"x": {"default": value}}}}
    assert body_doc == {"a": {"script": ["make", value]}, "b": {"script": [value]}}
    assert load_yaml(text) == body_doc


def test_shared_objects_are_not_anchored() -> None:
    """One list and one Reference reused by several jobs are repeated, never &anchored/*aliased."""
    shared = ["make", "make install"]
    ref = Reference(".tmpl", "script")
    pipeline = Pipeline(
        jobs=[
            Job(".tmpl", script=shared),
            Job("a", script=[ref, *shared], extra={"x": shared}),
            Job("b", script=[ref, *shared], extra={"x": shared}),
        ],
        source="pipelines.demo",
    )
    data = to_dict(pipeline)
    for text in (to_yaml(pipeline), dump([{"a": shared, "b": shared, "c": [shared, shared]}])):
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            assert not isinstance(event, yaml.AliasEvent)
            assert getattr(event, "anchor", None) is None
    assert load_yaml(to_yaml(pipeline)) == data


def test_invalid_pipeline_raises_compile_error() -> None:
    """to_yaml refuses a job without script with a CompileError (a GitlabCIDSLError)."""
    with pytest.raises(CompileError) as raised:
        to_yaml(Pipeline(jobs=[Job("build", image="alpine")]))
    assert isinstance(raised.value, GitlabCIDSLError)
    assert "build" in str(raised.value)


def test_to_yaml_leaves_the_garbage_collector_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A library call does not switch the caller's collector off, even for a while."""
    import gc

    def refuse() -> None:
        raise AssertionError("to_yaml touched the garbage collector")

    monkeypatch.setattr(gc, "disable", refuse)
    monkeypatch.setattr(gc, "freeze", refuse)
    pipeline = Pipeline(jobs=[Job(f"j{i}", script=["true"]) for i in range(500)])
    assert to_yaml(pipeline).count("script:") == 500
