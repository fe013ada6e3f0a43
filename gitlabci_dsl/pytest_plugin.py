"""gitlabci-dsl's pytest plugin (entry point ``pytest11``, active once gitlabci-dsl is installed).

Snapshot your own pipelines' exact compiled bytes, and check that they are clean::

    from gitlabci_dsl.pytest_plugin import assert_clean


    def test_main_pipeline(gitlabci_compile, gitlabci_snapshot):
        assert gitlabci_compile("pipelines/main.py") == gitlabci_snapshot


    def test_main_pipeline_is_clean():
        assert_clean("pipelines/main.py")

* ``gitlabci_compile(path)`` returns the text ``gitlabci-dsl compile`` writes for the module at
  ``path`` (relative to the project root, the folder of ``pyproject.toml``), after the same
  checks: GitLab's schema and the checks GitLab runs when it creates a pipeline.
* ``gitlabci_snapshot`` is syrupy's ``snapshot`` writing one readable ``.yml`` file per test
  (``__snapshots__/<test module>/<test>.yml``); ``pytest --snapshot-update`` records it.
* ``assert_clean(path_or_pipeline)`` fails with every finding of ``gitlabci-dsl lint`` that is
  an error or a warning (GitLab would refuse it, or it is insecure or deprecated).

Nothing is imported until a fixture is used: the plugin costs nothing in test runs that do not.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .model.pipeline import Pipeline

__all__ = ["assert_clean", "gitlabci_compile", "gitlabci_snapshot"]


def _root(start: Path) -> Path:
    from .project import find_root

    return find_root(start)


def compile_path(path: str | Path, root: Path) -> str:
    """The checked text ``gitlabci-dsl compile`` writes for the module at ``path``."""
    from .project import check_output, compile_module, load_config

    config = load_config(root)
    module = Path(path) if Path(path).is_absolute() else root / path
    target = compile_module(module.resolve(), config)
    check_output([target], config.root, ignore=config.lint_ignore)
    return target.text


@pytest.fixture
def gitlabci_compile(request: pytest.FixtureRequest) -> Callable[[str | Path], str]:
    """``gitlabci_compile("pipelines/main.py")``: the exact text compile writes for it."""
    root = _root(Path(str(request.config.rootpath)))
    return lambda path: compile_path(path, root)


@pytest.fixture
def gitlabci_snapshot(request: pytest.FixtureRequest) -> Any:
    """syrupy's ``snapshot``, stored as one readable ``.yml`` file per test."""
    try:
        from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode
    except ImportError:  # pragma: no cover - depends on the user's environment
        pytest.fail("gitlabci_snapshot needs syrupy: pip install syrupy", pytrace=False)

    class YamlSnapshot(SingleFileSnapshotExtension):
        _write_mode = WriteMode.TEXT
        file_extension = "yml"

    return request.getfixturevalue("snapshot").use_extension(YamlSnapshot)


def assert_clean(target: str | Path | Pipeline, *, root: str | Path | None = None) -> None:
    """Fail unless the pipeline compiles and ``gitlabci-dsl lint`` finds no error or warning.

    ``target`` is a pipeline module's path (relative to ``root``, by default the project root
    above the working directory) or a ``Pipeline``. The project's
    ``[tool.gitlabci-dsl.lint] ignore`` applies.
    """
    from .emitter import to_yaml
    from .lint import lint_text
    from .project import load_config

    base = _root(Path(root) if root is not None else Path.cwd())
    config = load_config(base)
    if isinstance(target, (str, Path)):
        text, name = compile_path(target, base), str(target)
    else:
        text, name = to_yaml(target), "pipeline"
    findings = [
        f
        for f in lint_text(text, name, root=base, ignore=config.lint_ignore)
        if f.severity in ("error", "warning")
    ]
    if findings:
        listed = "\n".join(f.human() for f in findings)
        pytest.fail(f"{name} is not clean:\n{listed}", pytrace=False)
