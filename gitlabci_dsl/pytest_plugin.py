"""gitlabci-dsl's pytest plugin (entry point ``pytest11``, active once gitlabci-dsl is installed).

Snapshot your own pipelines' exact compiled bytes, and check that they are clean::

    from gitlabci_dsl.pytest_plugin import assert_clean


    def test_main_pipeline(gitlabci_compile, gitlabci_snapshot):
        assert gitlabci_compile("pipelines/main.py") == gitlabci_snapshot


    def test_main_pipeline_is_clean():
        assert_clean("pipelines/main.py")

* ``gitlabci_compile(path)`` returns the text ``gitlabci-dsl compile`` writes for the module at
  ``path`` (relative to the project root, the folder of ``pyproject.toml``), built and checked
  as compile does: with the project's other modules (two writing one file fail), GitLab's schema
  and the checks GitLab runs when it creates a pipeline. A refusal fails the test with compile's
  message.
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
    from .project import Target

__all__ = ["assert_clean", "gitlabci_compile", "gitlabci_snapshot"]


def _root(start: Path) -> Path:
    from .project import find_root

    return find_root(start)


def compile_path(path: str | Path, root: Path) -> str:
    """The checked text ``gitlabci-dsl compile`` writes for the module at ``path``."""
    return _target(path, root).text


def _target(path: str | Path, root: Path) -> Target:
    """The :class:`~gitlabci_dsl.project.Target` compile writes for the module at ``path``.

    Built as compile builds it: with the project's other pipeline modules, so that two modules
    writing the same file fail here as they fail there (only ``path``'s text is checked with
    GitLab's rules; the others' outputs are compared, not checked).
    """
    from . import project

    config = project.load_config(root)
    module = (Path(path) if Path(path).is_absolute() else root / path).resolve()
    folder = config.root / config.pipelines
    modules = project.discover(config) if folder.is_dir() else []
    if module not in modules:
        modules.append(module)
    made = project.build(config, modules, checked=[module])
    return next(t for t in made.targets if t.module == module)


@pytest.fixture
def gitlabci_compile(request: pytest.FixtureRequest) -> Callable[[str | Path], str]:
    """``gitlabci_compile("pipelines/main.py")``: the exact text compile writes for it."""
    from .errors import GitlabCIDSLError

    root = _root(Path(str(request.config.rootpath)))

    def compiled(path: str | Path) -> str:
        try:
            return compile_path(path, root)
        except GitlabCIDSLError as exc:  # compile's message, not gitlabci-dsl's traceback
            pytest.fail(str(exc), pytrace=False)

    return compiled


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
    """Fail unless the pipeline compiles and ``gitlabci-dsl lint`` finds no error or warning
    (ShellCheck's included, each at the module's line that wrote it).

    ``target`` is a pipeline module's path (relative to ``root``, by default the project root
    above the working directory) or a ``Pipeline``. The project's
    ``[tool.gitlabci-dsl.lint] ignore`` applies.
    """
    from .emitter import to_yaml
    from .lint import lint_texts
    from .lint.shell import ShellCheck
    from .project import at_python_lines, load_config

    base = _root(Path(root) if root is not None else Path.cwd())
    config = load_config(base)
    compiled = None
    if isinstance(target, (str, Path)):
        from .errors import GitlabCIDSLError
        from .project import display_path

        try:
            compiled = _target(target, base)
        except GitlabCIDSLError as exc:  # compile's message, not gitlabci-dsl's traceback
            pytest.fail(str(exc), pytrace=False)
        # Findings are at lines of the YAML: name that file, and the module it comes from.
        text, file = compiled.text, display_path(compiled.output, base)
        name = f"{target} ({file})"
    else:
        text, file = to_yaml(target), "pipeline.yml"
        name = "pipeline"
    scripts = ShellCheck() if "shellcheck" not in config.lint_ignore else None
    found = lint_texts({file: text}, root=base, ignore=config.lint_ignore, scripts=scripts)
    findings = [f for f in found.findings if f.severity in ("error", "warning")]
    if compiled is not None:  # at the module's lines, as `gitlabci-dsl lint MODULE` shows them
        findings = at_python_lines(compiled, findings, base)
    if findings:
        listed = "\n".join(f.human() for f in findings)
        pytest.fail(f"{name} is not clean:\n{listed}", pytrace=False)
