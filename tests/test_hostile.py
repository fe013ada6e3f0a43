"""Hostile input: file names, keys, values and structures written by someone else never run as
code, never hang or exhaust memory, never reach outside the project, and get one clean error."""

from __future__ import annotations

import ast
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
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
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
        after = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
        assert after == before
        assert list(outside.iterdir()) == []
