"""Snapshots of the exact bytes `gitlabci-dsl compile` writes for every pipeline we ship.

Run `python -m pytest tests/test_snapshots.py --snapshot-update` after an intended change and
review the diff of tests/__snapshots__/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from conftest import ROOT
from gitlab_schema import schema_errors
from gitlabci_dsl.project import compile_module, discover, load_config


class YamlSnapshot(SingleFileSnapshotExtension):
    """One .yml file per snapshot, holding the generated text byte for byte."""

    _write_mode = WriteMode.TEXT
    file_extension = "yml"


CONFIG = load_config(ROOT)
MODULES = discover(CONFIG) + discover(CONFIG, [ROOT / "docs" / "examples"])


@pytest.fixture
def yaml_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(YamlSnapshot)


@pytest.mark.parametrize("module", MODULES, ids=[m.relative_to(ROOT).as_posix() for m in MODULES])
def test_compiled_bytes_match_snapshot(module: Path, yaml_snapshot: SnapshotAssertion) -> None:
    """The generated text is exactly the reviewed snapshot."""
    assert compile_module(module, CONFIG).text == yaml_snapshot


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
