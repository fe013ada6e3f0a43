"""CI's scripts cannot pass a failing step: errexit on, no command lists that hide a failure."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT

SCRIPTS = [ROOT / ".ci" / "run", *sorted((ROOT / "tests" / "tools").glob("*.sh"))]


def _code(path: Path) -> list[tuple[int, str]]:
    """(number, line) of the lines that hold code, comments stripped."""
    lines = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        code = line.split(" #", 1)[0].strip()
        if code and not code.startswith("#"):
            lines.append((number, code))
    return lines


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_script_stops_on_the_first_failure(path: Path) -> None:
    """Every CI script starts with `set -euo pipefail`."""
    assert _code(path)[0][1] == "set -euo pipefail"


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_script_has_no_list_that_hides_a_failure(path: Path) -> None:
    """`a && b` or `a || b` outside a condition: under `set -e` a failing `a` would not stop it."""
    hiding = [
        f"{path.name}:{number}: {code}"
        for number, code in _code(path)
        if ("&&" in code or "||" in code) and not code.startswith(("if ", "elif ", "while "))
    ]
    assert hiding == []


def test_a_failing_readme_command_fails_ci(tmp_path: Path) -> None:
    """.ci/run's way of running a README command (`bash -c`) fails on a failure mid-list."""
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    helper = run[run.index("in_venv() {") : run.index("}\n", run.index("in_venv() {")) + 2]
    script = tmp_path / "ci.sh"
    script.write_text(
        "set -euo pipefail\n"
        f"{helper}"
        f'in_venv "{tmp_path}/venv" "true && false && true"\n'
        "echo reached\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [shutil.which("bash") or "/bin/bash", str(script)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "reached" not in done.stdout
