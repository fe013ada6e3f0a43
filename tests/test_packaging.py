"""Packaging: the sdist and the wheel build, and hold what an installation needs."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT
from gitlabci_dsl import __version__


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and wheel `python -m build` makes from this checkout."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    return out


def test_wheel_holds_the_package_its_entry_points_and_the_version(dist: Path) -> None:
    """Every subpackage, py.typed, the console script, the pytest plugin, LICENSE, and the
    version from gitlabci_dsl.__version__."""
    (wheel,) = dist.glob("*.whl")
    assert wheel.name == f"gitlabci_dsl-{__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = f"gitlabci_dsl-{__version__}.dist-info"
        metadata = archive.read(f"{info}/METADATA").decode()
        entry_points = archive.read(f"{info}/entry_points.txt").decode()
    source = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "gitlabci_dsl").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert source <= names
    assert "gitlabci_dsl/py.typed" in names
    assert f"{info}/licenses/LICENSE" in names
    assert re.search(rf"^Version: {re.escape(__version__)}$", metadata, re.MULTILINE)
    assert "gitlabci-dsl = gitlabci_dsl.__main__:main" in entry_points
    assert "[pytest11]" in entry_points
    assert "gitlabci_dsl = gitlabci_dsl.pytest_plugin" in entry_points


def test_sdist_holds_the_sources_readme_license_and_changelog(dist: Path) -> None:
    """The sdist builds the same package and carries the documents a release needs."""
    (sdist,) = dist.glob("*.tar.gz")
    assert sdist.name == f"gitlabci_dsl-{__version__}.tar.gz"
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for expected in ("pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md"):
        assert expected in names
    assert "gitlabci_dsl/importer/convert.py" in names


def test_changelog_has_an_entry_for_the_version() -> None:
    """CHANGELOG.md names the current version (released or under Unreleased)."""
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{__version__}]" in text
    assert "## [Unreleased]" in text
