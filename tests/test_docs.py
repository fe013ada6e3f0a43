"""The documentation tells the truth: its examples run and its tables match the model."""

from __future__ import annotations

import re
import types

import attrs

import gitlabci_dsl as g
from conftest import ROOT
from gitlabci_dsl.emitter import to_yaml

README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)


def test_readme_example_compiles_to_the_yaml_shown() -> None:
    """The README's pipeline, run as pipelines/main.py, gives exactly the YAML it shows."""
    source = blocks(README, "python")[0]
    module = types.ModuleType("pipelines.main")
    exec(compile(source, "pipelines/main.py", "exec"), module.__dict__)  # noqa: S102
    assert to_yaml(module.pipeline) == blocks(README, "yaml")[0]


def test_readme_blocks_example_compiles() -> None:
    """The README's building-block example runs and compiles."""
    from gitlabci_dsl import to_dict

    namespace: dict[str, object] = {}
    exec(compile(blocks(README, "python")[1], "README.md", "exec"), namespace)  # noqa: S102
    data = to_dict(namespace["pipeline"])  # type: ignore[arg-type]
    assert list(data) == ["stages", "build", "container-scan", "deploy"]


def test_readme_quickstart_is_what_ci_runs() -> None:
    """The README's test command is the one .ci/run runs."""
    commands = [
        line for line in blocks(README, "sh")[0].splitlines() if line and not line.startswith("#")
    ]
    assert len(commands) == 2
    assert commands[0] == "python3 -m pip install . && python3 -m gitlabci_dsl compile"
    assert commands[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


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


def test_blocks_page_shows_the_real_examples_and_output() -> None:
    """docs/blocks.md quotes each example module and exactly the YAML it compiles to."""
    from gitlabci_dsl.project import compile_module, load_config

    text = (ROOT / "docs" / "blocks.md").read_text(encoding="utf-8")
    sources, outputs = blocks(text, "python"), blocks(text, "yaml")
    names = re.findall(r"`docs/examples/(\w+)\.py`:", text)
    assert len(names) == len(sources) == len(outputs) >= 4
    config = load_config(ROOT)
    for name, source, output in zip(names, sources, outputs, strict=True):
        path = ROOT / "docs" / "examples" / f"{name}.py"
        assert source == path.read_text(encoding="utf-8")
        assert output == compile_module(path, config).text
