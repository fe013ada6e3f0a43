"""Hostile input: file names, keys, values and structures written by someone else never run as
code, never hang or exhaust memory, never reach outside the project, and get one clean error."""

from __future__ import annotations

import ast
import contextlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import gitlabci_dsl
from gitlabci_dsl.cli import app
from gitlabci_dsl.errors import GitlabCIDSLError
from gitlabci_dsl.importer import import_yaml
from hostile_cases import Case, cases, run

# Text as hostile as a file system or a YAML file allows: quotes, backslashes, newlines,
# control and non-ASCII characters (not NUL or lone surrogates, which neither can hold).
HOSTILE = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
    max_size=40,
)
PAYLOADS = st.sampled_from(
    [
        '""";__import__("os").system("touch PWNED");"""',
        "'''; import os; os.system('x'); '''",
        '\\"; exec("1")  #',
        "{__import__('os')}",
        "\\N{DIGIT ONE}\\x00\\\n",
        "\x1b]0;title\x07",
    ]
)
NAMES = st.one_of(HOSTILE, PAYLOADS, st.builds(lambda a, b: a + b, HOSTILE, PAYLOADS))

# What a generated module may call: gitlabci-dsl's own names, methods of them, and float()
# for the non-finite numbers YAML can hold.
ALLOWED_CALLS = {*gitlabci_dsl.__all__, "float"}


def _calls_only_ours(code: str) -> None:
    tree = ast.parse(code)
    defined = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            assert isinstance(node, ast.ImportFrom)
            assert node.module == "gitlabci_dsl"
        elif isinstance(node, ast.Call):
            func = node.func
            while isinstance(func, ast.Attribute):
                func = func.value
            if isinstance(func, ast.Call):
                continue  # Block(...).job(): the inner call is checked on its own
            assert isinstance(func, ast.Name)
            assert func.id in ALLOWED_CALLS, func.id
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            assert node.id in defined | ALLOWED_CALLS, node.id
        elif isinstance(node, (ast.Lambda, ast.FunctionDef, ast.ClassDef, ast.JoinedStr)):
            raise AssertionError(f"unexpected {type(node).__name__} in a generated module")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=NAMES,
    job=NAMES.filter(lambda s: s.strip() != "" and not s.startswith(".")),
    key=NAMES.filter(bool),
    value=NAMES,
    script=st.lists(NAMES, min_size=1, max_size=3),
)
def test_import_renders_every_name_and_value_as_a_literal(
    source: str, job: str, key: str, value: str, script: list[str]
) -> None:
    """Fuzzed file names, job names, keys and values: the module import writes parses, its
    docstring holds the file name exactly, and it calls nothing but gitlabci-dsl's own names
    (so the self-check that runs it, and every later compile, run no code from the data)."""
    data: dict[str, Any] = {job: {"script": script, "variables": {key: value}}}
    text = yaml.safe_dump(data, allow_unicode=True)
    try:
        code = import_yaml(text, source=source, allow_duplicates=True).code
    except GitlabCIDSLError:
        return  # refused with a message (a name GitLab rejects, say): nothing was run
    docstring = ast.get_docstring(ast.parse(code), clean=False)
    assert docstring is not None
    assert docstring.startswith(f"Pipeline imported from {source} by gitlabci-dsl import.")
    _calls_only_ours(code)


PIPELINE = (
    'from gitlabci_dsl import Job, Pipeline\npipeline = Pipeline(jobs=[Job("j", script=["x"])])\n'
)


@pytest.mark.parametrize(
    ("output", "why"),
    [
        ("../evil.yml", "leaves the project"),
        ("sub/../../evil.yml", "leaves the project"),
        ("/etc/evil.yml", "is outside the project"),
        ("/dev/null", "is outside the project"),
        (".git/config", "inside .git/"),
        (".git/hooks/pre-commit.yml", "inside .git/"),
        ("pyproject.toml", "is not a YAML file"),
        ("pipelines/main.py", "is not a YAML file"),
        ("link/ci.yml", "leaves the project"),
        ("folder.yml", "is not a regular file"),
    ],
)
def test_compile_writes_only_yaml_files_inside_the_project(
    project: Path, output: str, why: str
) -> None:
    """A module's `output` or pyproject's `outputs` naming a path outside the project, in
    .git/, over a source file or over a non-file: one error, exit 1, nothing written."""
    outside = project.parent / f"{project.name}-outside"
    outside.mkdir()
    (project / "link").symlink_to(outside)
    (project / "folder.yml").mkdir()
    (project / ".git").mkdir()
    (project / ".git" / "config").write_text("[core]\n", encoding="utf-8")
    before = _files(project)
    for way in ("module", "pyproject"):
        if way == "module":
            module = PIPELINE + f"output = {output!r}\n"
            pyproject = '[project]\nname = "demo"\n'
        else:
            module = PIPELINE
            pyproject = f'[tool.gitlabci-dsl]\noutputs = {{main = "{output}"}}\n'
        (project / "pipelines" / "main.py").write_text(module, encoding="utf-8")
        (project / "pyproject.toml").write_text(pyproject, encoding="utf-8")
        before.update(
            {
                p: p.read_bytes()
                for p in (project / "pipelines" / "main.py", project / "pyproject.toml")
            }
        )
        result = CliRunner().invoke(app, ["compile"])
        assert result.exit_code == 1, (way, result.output)
        assert why in result.output
        assert result.output.count("\n") == 1
        after = _files(project)
        assert after == before
        assert list(outside.iterdir()) == []


# Keys GitLab gives a meaning to, so that fuzzed structures reach every resolver and rule.
KEYWORDS = [
    "stages", "variables", "default", "workflow", "include", "spec", "inputs",
    "stage", "script", "before_script", "needs", "job", "optional", "rules", "if", "when",
    "changes", "paths", "exists", "extends", "local", "remote", "template", "parallel",
    "matrix", "only", "except", "refs", "image", "services", "name", "dependencies",
    "trigger", "environment", "artifacts", "reports", "allow_failure", "inherit", "value",
    "j", ".t", "default",
]  # fmt: skip


def _structures() -> st.SearchStrategy[Any]:
    from gitlabci_dsl.gitlab.reader import Tagged

    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-5, 5),
        st.sampled_from(["x", "$X", "$X =~ /a+/", "**/*", "a.yml", "../x.yml", "/etc/passwd"]),
        st.text(max_size=8),
    )
    keys = st.one_of(st.sampled_from(KEYWORDS), st.text(max_size=6))
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(keys, inner, max_size=5),
            st.builds(lambda items: Tagged("!reference", items), st.lists(inner, max_size=3)),
        ),
        max_leaves=30,
    )


def _pipelines() -> st.SearchStrategy[dict[str, Any]]:
    """Top-level mappings whose values are mostly job-like mappings of GitLab keywords."""
    values = _structures()
    jobs = st.dictionaries(st.sampled_from(KEYWORDS), values, max_size=6)
    return st.dictionaries(st.sampled_from(KEYWORDS), st.one_of(jobs, values), max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_pipelines())
def test_every_reader_of_gitlab_data_takes_any_structure(data: dict[str, Any]) -> None:
    """lint's checks, explain's plan and graph's take any shape of data: wrong types, lists
    where mappings go, references to anything. They answer or raise gitlabci-dsl's error,
    never a TypeError or a traceback."""
    from gitlabci_dsl.evaluate.graph import dot, mermaid
    from gitlabci_dsl.evaluate.pipeline import plan_data, preset
    from gitlabci_dsl.gitlab.reader import Document
    from gitlabci_dsl.lint import lint_documents

    lint_documents([Document(data, {}, [])], ".gitlab-ci.yml")
    for on, every_job in (("branch:main", False), ("mr", False), ("tag:v1", True)):
        try:
            result = plan_data(data, preset(on), every_job=every_job, changed=["a.yml"])
        except GitlabCIDSLError:
            continue
        mermaid(result)
        dot(result)


def _wrong_values() -> list[Any]:
    from gitlabci_dsl.gitlab.reader import Tagged

    return [
        5, -1, True, None, "x", "", [], [5], [[["x"]]], [None], {}, {"x": 5}, {5: "x"},
        [{"job": 5}], [{"if": 5, "when": []}], Tagged("!reference", [[".a"], 5]),
        Tagged("!reference", [".t", "script"]), 1.5,
    ]  # fmt: skip


JOB_KEYS = [k for k in KEYWORDS if k not in ("j", ".t")]


@pytest.mark.parametrize("key", JOB_KEYS)
def test_every_keyword_with_every_wrong_type(key: str) -> None:
    """Each GitLab keyword, in a job and at the top level, holding each wrong type: lint and
    explain answer (or raise gitlabci-dsl's error), never a TypeError or a traceback."""
    from gitlabci_dsl.evaluate.graph import mermaid
    from gitlabci_dsl.evaluate.pipeline import plan_data, preset
    from gitlabci_dsl.gitlab.reader import Document
    from gitlabci_dsl.lint import lint_documents

    for value in _wrong_values():
        for data in (
            {"j": {"script": ["x"], key: value}, ".t": {"script": ["y"]}},
            {key: value, "j": {"script": ["x"]}},
            {"j": {"script": ["x"], "rules": [{key: value}]}},
            {"j": {"script": ["x"], "only": {key: value}, "except": [value]}},
            {"workflow": {"rules": [{key: value}]}, "j": {"script": ["x"], "only": value}},
            {"include": [{key: value}], "j": {"needs": [{key: value}], "script": ["x"]}},
        ):
            lint_documents([Document(data, {}, [])], ".gitlab-ci.yml")
            for on in ("branch:main", "mr", "schedule"):
                with contextlib.suppress(GitlabCIDSLError):
                    mermaid(plan_data(data, preset(on), changed=["a.yml"]))


@pytest.mark.parametrize("case", cases(), ids=lambda case: case.name)
def test_every_command_survives_hostile_input(case: Case) -> None:
    """Each hostile file, run by the command in a fresh process limited to 1.5 GB of address
    space and 60 s of CPU (resource limits, not timings): the exit code and message expected,
    no traceback, no code run, nothing changed but what was asked for."""
    outcome = run(case)
    assert outcome.code == case.code, outcome.output[-2000:]
    assert "Traceback" not in outcome.output
    assert case.says in outcome.output
    assert outcome.damage is None


def test_lint_never_prints_a_value_that_may_be_a_secret() -> None:
    """A rejected value under `variables:` or a key named like a secret is described, not
    shown: lint's output goes to job logs and Code Quality reports."""
    from gitlabci_dsl.lint import lint_text

    text = (
        "variables:\n  DB_PASSWORD: [hunter2]\n"
        "job:\n  script: [x]\n  variables:\n    PLAIN: {value: [s3cr3t]}\n"
        "  secrets:\n    API_TOKEN: [vault-value]\n"
    )
    report = "\n".join(f.human() for f in lint_text(text, ".gitlab-ci.yml"))
    assert "a list of 1" in report
    for secret in ("hunter2", "s3cr3t", "vault-value"):
        assert secret not in report


def test_explain_keeps_secret_variables_out_of_the_images_it_shows(project: Path) -> None:
    """An image reference built from a variable named like a secret is shown with the
    variable's name, not the value given with --var."""
    from gitlabci_dsl.evaluate.images import pushed_images

    job = {
        "variables": {"IMAGE": "registry.example.com/$DEPLOY_TOKEN/app"},
        "script": ['TAGS="$CI_COMMIT_SHA"'],
    }
    shown = pushed_images(job, {"DEPLOY_TOKEN": "glpat-123", "CI_COMMIT_SHA": "abc"})
    assert shown == ("registry.example.com/$DEPLOY_TOKEN/app:abc",)


def test_terminal_controls_are_shown_not_obeyed() -> None:
    """ESC sequences, other C0/C1 controls, line separators and bidi overrides are written as
    escapes; newlines and tabs stay."""
    from gitlabci_dsl.term import safe

    assert safe("a\x1b]0;x\x07b\x9bc\u202ed\u2028e\tf\ng") == (
        "a\\x1b]0;x\\x07b\\x9bc\\u202ed\\u2028e\tf\ng"
    )


def test_compile_removes_what_an_interrupted_compile_left(project: Path) -> None:
    """A compile killed between writing and renaming leaves `.NAME.XXXXXXXX.tmp`; the next
    compile removes it, whether it writes the file or finds it up to date (and nothing
    else)."""
    (project / "pipelines" / "main.py").write_text(PIPELINE, encoding="utf-8")
    for _ in range(2):  # the first compile writes .gitlab-ci.yml, the second finds it current
        leftover = project / "..gitlab-ci.yml.k3j_9xq2.tmp"
        leftover.write_text("half", encoding="utf-8")
        unrelated = project / "..gitlab-ci.yml.notours.tmp"
        unrelated.write_text("keep", encoding="utf-8")
        assert CliRunner().invoke(app, ["compile"]).exit_code == 0
        assert not leftover.exists()
        assert unrelated.exists()


def test_a_failed_write_is_one_error_and_writes_nothing(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk while compile writes: one error naming the file, exit 1, no file and no
    temporary file left."""
    import errno
    import os

    (project / "pipelines" / "main.py").write_text(PIPELINE, encoding="utf-8")
    real = os.fdopen

    def full(fd: int, *args: Any, **kwargs: Any) -> Any:
        handle = real(fd, *args, **kwargs)
        handle.close()
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fdopen", full)
    result = CliRunner().invoke(app, ["compile"])
    monkeypatch.undo()
    assert result.exit_code == 1
    assert ".gitlab-ci.yml: cannot write: No space left on device; nothing was written" in (
        result.output
    )
    assert sorted(p.name for p in project.iterdir()) == ["pipelines", "pyproject.toml"]
    assert "Traceback" not in result.output


def _plain_structures() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-5, 5),
        st.sampled_from(["x", "$X", "a.yml", "main", "on_success", "never"]),
        st.text(max_size=6),
    )
    keys = st.one_of(st.sampled_from(KEYWORDS), st.text(max_size=6))
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=4)
        ),
        max_leaves=20,
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.dictionaries(
        st.sampled_from(KEYWORDS),
        st.one_of(
            st.dictionaries(st.sampled_from(KEYWORDS), _plain_structures(), max_size=5),
            _plain_structures(),
        ),
        max_size=5,
    )
)
def test_import_takes_any_structure(data: dict[str, Any]) -> None:
    """import of any structure (wrong types, unknown keys, odd nesting) writes a module that
    calls only gitlabci-dsl's names, or refuses with a message about the file; never a
    traceback, and never a module that fails its own check (`default: 5` is kept in extra,
    for GitLab's schema to refuse, as it did not before)."""
    text = yaml.safe_dump(data, allow_unicode=True)
    try:
        code = import_yaml(text, source="fuzz.yml", allow_duplicates=True).code
    except GitlabCIDSLError as exc:
        refusal = str(exc)
    else:
        _calls_only_ours(code)
        return
    assert "a bug in gitlabci-dsl import" not in refusal


def _files(root: Path) -> dict[Path, bytes]:
    """The files under ``root``, Python's bytecode cache of the modules left out."""
    return {
        p: p.read_bytes() for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    }


def test_reading_a_small_file_allocates_what_it_holds(tmp_path: Path) -> None:
    """Reading a pipeline file asks for its size, not for GitLab's 150 MB limit (read(n)
    allocates n bytes); a regular file that says it is empty (/proc files) is still read."""
    import sys
    import tracemalloc

    from gitlabci_dsl.gitlab.paths import read_file

    small = tmp_path / "ci.yml"
    small.write_text("job:\n  script: [x]\n" * 50, encoding="utf-8")
    tracemalloc.start()
    text = read_file(small)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert text == small.read_text(encoding="utf-8")
    assert peak < 1_000_000
    if sys.platform.startswith("linux"):
        assert "Name:" in read_file(Path("/proc/self/status"))
