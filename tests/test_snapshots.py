"""Snapshots of the exact bytes `gitlabci-dsl compile` writes for every pipeline we ship.

Run `python -m pytest tests/test_snapshots.py --snapshot-update` after an intended change and
review the diff of tests/__snapshots__/.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from conftest import ROOT
from gitlab_schema import schema_errors
from gitlabci_dsl.project import compile_module, discover, load_config

CONFIG = load_config(ROOT)
PIPELINES = discover(CONFIG)
# The keyword tour includes files that do not exist: it is compiled, never checked as a whole.
TOUR = discover(CONFIG, [ROOT / "docs" / "examples"])
MODULES = PIPELINES + TOUR


@pytest.mark.parametrize("module", MODULES, ids=[m.relative_to(ROOT).as_posix() for m in MODULES])
def test_compiled_bytes_match_snapshot(
    module: Path,
    gitlabci_compile: Callable[[Path], str],
    gitlabci_snapshot: SnapshotAssertion,
) -> None:
    """The generated text is exactly the reviewed snapshot (pipelines through our own pytest
    plugin, with compile's checks)."""
    text = gitlabci_compile(module) if module in PIPELINES else compile_module(module, CONFIG).text
    assert text == gitlabci_snapshot


@pytest.mark.parametrize("module", MODULES, ids=[m.relative_to(ROOT).as_posix() for m in MODULES])
def test_compiled_output_is_accepted_by_gitlab_schema(module: Path) -> None:
    """GitLab's own CI schema accepts every pipeline we ship."""
    assert schema_errors(compile_module(module, CONFIG).text) == []


def test_every_pipeline_module_is_covered() -> None:
    """Each pipelines/*.py is snapshot-tested (a new pipeline cannot slip through)."""
    names = {m.name for m in MODULES}
    assert {
        p.name for p in (ROOT / "pipelines").glob("*.py") if not p.name.startswith("_")
    } <= names
    assert "every_keyword.py" in names
