"""The documentation tells the truth: its examples run and its tables match the model."""

from __future__ import annotations

import re
import subprocess
import sys
import types
from pathlib import Path

import attrs
import pytest

import gitlabci_dsl as g
from conftest import ROOT
from gitlabci_dsl import Pipeline
from gitlabci_dsl.emitter import to_yaml

README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)


def test_readme_example_compiles_to_the_yaml_shown() -> None:
    """The README's pipeline, run as pipelines/main.py, gives exactly the YAML it shows."""
    source = blocks(README, "python")[0]
    module = types.ModuleType("pipelines.main")
    exec(compile(source, "pipelines/main.py", "exec"), module.__dict__)  # noqa: S102
    assert to_yaml(module.pipeline, source="pipelines.main") == blocks(README, "yaml")[0]


def test_readme_blocks_example_compiles() -> None:
    """The README's building-block example runs and compiles."""
    from gitlabci_dsl import to_dict

    namespace: dict[str, object] = {}
    exec(compile(blocks(README, "python")[1], "README.md", "exec"), namespace)  # noqa: S102
    data = to_dict(namespace["pipeline"])  # type: ignore[arg-type]
    assert list(data) == ["stages", "build", "container-scan", "deploy"]


def test_readme_quickstart_is_what_ci_runs() -> None:
    """.ci/run reads the README's two commands from the README (no second copy to drift)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import readme_commands
    finally:
        sys.path.pop(0)
    commands = readme_commands.commands(README)
    assert commands == {
        "main": "python3 -m pip install . && python3 -m gitlabci_dsl compile",
        "tests": 'python3 -m pip install -e ".[test]" && python3 -m pytest -m "not e2e" '
        "&& python3 -m pytest -m e2e",
    }
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/readme_commands.py main" in run
    assert "scripts/readme_commands.py tests" in run
    for command in commands.values():
        assert command not in run


def test_keyword_table_lists_every_attribute() -> None:
    """docs/keywords.md has a row for every attribute of every exported node class."""
    text = (ROOT / "docs" / "keywords.md").read_text(encoding="utf-8")
    for name in g.__all__:
        cls = getattr(g, name)
        in_model = isinstance(cls, type) and cls.__module__.startswith("gitlabci_dsl.model.")
        if in_model and attrs.has(cls) and name != "Reference":
            for field in attrs.fields(cls):
                if field.name != "extra":
                    assert f"| `{field.name}` |" in text, f"{name}.{field.name}"


def test_readme_lists_the_cli_options() -> None:
    """Every compile option in --help is in the README."""
    from typer.testing import CliRunner

    from gitlabci_dsl.cli import app

    help_text = CliRunner().invoke(app, ["compile", "--help"]).stdout
    for option in re.findall(r"--[a-z]+", help_text):
        if option != "--help":
            assert option in README, option


BLOCK_PAGES = sorted((ROOT / "docs" / "blocks").glob("*.md"))


@pytest.mark.parametrize("page", [p.name for p in BLOCK_PAGES if p.name != "README.md"])
def test_block_page_quotes_its_example_and_the_committed_yaml(page: str) -> None:
    """Each block page quotes a pipelines/ module verbatim and exactly the YAML it compiles
    to, which is also the committed .gitlab/ci file."""
    from gitlabci_dsl.project import compile_module, load_config

    text = (ROOT / "docs" / "blocks" / page).read_text(encoding="utf-8")
    quoted = re.findall(r"`pipelines/(\w+)\.py`:\n\n```python\n(.*?)```", text, re.S)
    compiled = re.findall(r"Compiles to `(\.gitlab/ci/\w+\.yml)`:\n\n```yaml\n(.*?)```", text, re.S)
    assert len(quoted) == len(compiled) == 1
    (name, source), (output, yaml_text) = quoted[0], compiled[0]
    path = ROOT / "pipelines" / f"{name}.py"
    assert source == path.read_text(encoding="utf-8")
    target = compile_module(path, load_config(ROOT))
    assert target.output == ROOT / output
    assert yaml_text == target.text == (ROOT / output).read_text(encoding="utf-8")


def test_every_example_has_a_block_page_listed_in_the_index() -> None:
    """Each pipelines/ example (all but this repository's own main.py) has a page, and the
    index links every page."""
    pages = {p.name: p.read_text(encoding="utf-8") for p in BLOCK_PAGES}
    index = pages.pop("README.md")
    shown = {m for text in pages.values() for m in re.findall(r"`pipelines/(\w+)\.py`:", text)}
    examples = {p.stem for p in (ROOT / "pipelines").glob("*.py")} - {"main"}
    assert shown == examples
    assert set(re.findall(r"\]\((\w[\w-]*\.md)\)", index)) == set(pages)


def test_block_index_shows_the_current_line_counts() -> None:
    """The Python-vs-YAML line table of docs/blocks/README.md is what the script measures now."""
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from example_lines import table

    assert table() in (ROOT / "docs" / "blocks" / "README.md").read_text(encoding="utf-8")


def _script_check(script: str) -> subprocess.CompletedProcess[str]:
    """``python scripts/<script> --check``: whether the page it writes is current."""
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / script), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )


def test_block_index_shows_the_pipelines_each_block_runs_in() -> None:
    """docs/blocks/README.md holds the table scripts/block_pipelines.py evaluates now."""
    result = _script_check("block_pipelines.py")
    assert result.returncode == 0, result.stderr


def test_rules_page_lists_every_rule_with_its_severity() -> None:
    """docs/rules.md is what scripts/lint_rules.py writes now, a row and a section for each
    lint rule, with the rule's severity."""
    from gitlabci_dsl.lint import RULES

    result = _script_check("lint_rules.py")
    assert result.returncode == 0, result.stderr
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| \[`([\w-]+)`\]\(#[\w-]+\) \| (\w+) \|", text, re.M))
    assert rows == {rule.id: rule.severity for rule in RULES.values()}
    assert re.findall(r"^## ([\w-]+)$", text, re.M) == list(RULES)


def test_readme_lists_the_lint_options() -> None:
    """Every lint option in --help is in the README."""
    from typer.testing import CliRunner

    from gitlabci_dsl.cli import app

    help_text = CliRunner().invoke(app, ["lint", "--help"]).stdout
    for option in re.findall(r"--[a-z]+", help_text):
        if option != "--help":
            assert option in README, option


@pytest.mark.parametrize("command", ["explain", "graph"])
def test_readme_lists_the_explain_and_graph_options(command: str) -> None:
    """Every explain and graph option in --help is in the README."""
    from typer.testing import CliRunner

    from gitlabci_dsl.cli import app

    help_text = CliRunner().invoke(app, [command, "--help"]).stdout
    for option in re.findall(r"--[a-z]+", help_text):
        if option != "--help":
            assert option in README, option


def test_cli_reference_is_current() -> None:
    """docs/cli.md is exactly what scripts/cli_reference.py generates from the typer app."""
    done = _script_check("cli_reference.py")
    assert done.returncode == 0, done.stderr


_PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)
_PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
_BLOCKS = [
    (page, number, code)
    for page in _PAGES
    for number, code in enumerate(_PYTHON_BLOCK.findall(page.read_text(encoding="utf-8")))
]


@pytest.mark.parametrize(
    ("page", "number", "code"),
    _BLOCKS,
    ids=[f"{p.relative_to(ROOT).as_posix()}#{n}" for p, n, _ in _BLOCKS],
)
def test_every_python_block_in_the_docs_runs(
    page: Path, number: int, code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each Python code block of README.md and docs/ runs as written; a block that defines a
    pipeline compiles (so no example rots)."""
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "docs_example"}
    exec(compile(code, f"{page.name}#{number}", "exec"), namespace)  # noqa: S102
    pipeline = namespace.get("pipeline")
    if pipeline is not None:
        assert isinstance(pipeline, Pipeline)
        assert to_yaml(pipeline).startswith("# Generated by gitlabci-dsl")


def test_docs_site_has_every_page_in_its_navigation() -> None:
    """mkdocs.yml's nav lists every page under docs/ (mkdocs --strict then checks the links)."""
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    pages = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")}
    assert {page for page in pages if f": {page}" not in nav} == set()
