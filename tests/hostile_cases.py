"""The hostile inputs every command must survive, and how to run one under resource limits.

Shared by ``tests/test_hostile.py`` (each case must end as expected within its limits) and
``benchmarks/bench_hostile.py`` (time and peak memory of each, before and after a change).
Each case writes a small project into a temporary folder and runs one ``gitlabci-dsl``
command there, in a fresh interpreter, under an address-space and a CPU-time limit.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

PYPROJECT = '[project]\nname = "hostile"\n'
PIPELINE = (
    'from gitlabci_dsl import Job, Pipeline\npipeline = Pipeline(jobs=[Job("j", script=["x"])])\n'
)
INJECTED = 'a""";__import__("os").system("touch PWNED");"""b.yml'


class Case(NamedTuple):
    name: str
    files: dict[str, str]  # relative path -> text, written before the command runs
    command: list[str]  # the arguments after gitlabci-dsl
    code: int  # the exit code it must end with
    says: str  # a fragment its output must hold ("" for none)
    setup: Callable[[Path], None] | None = None  # what files cannot say (links, FIFOs)


class Outcome(NamedTuple):
    code: int  # negative: killed by that signal (the limits)
    output: str  # standard output and error
    seconds: float
    peak_mb: float  # the child's peak resident memory
    damage: str | None  # what it changed that it must not have, if anything


def _alias_bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + f"\njob:\n  script: *a{levels - 1}\n"


def _reference_fan_out(levels: int = 6, width: int = 40) -> str:
    lines = [".r0:\n  script: [x]"]
    for i in range(1, levels):
        refs = ", ".join([f"!reference [.r{i - 1}, script]"] * width)
        lines.append(f".r{i}:\n  script: [{refs}]")
    return "\n".join(lines) + f"\njob:\n  script: [!reference [.r{levels - 1}, script]]\n"


def _extends_diamond(levels: int = 11, width: int = 8) -> str:
    """Each template extends the one below ``width`` times, as deep as GitLab allows: 8**11
    merges when each parent is resolved again at each use."""
    lines = [".t0:\n  script: [x]\n  variables: {A: a}"]
    for i in range(1, levels):
        parents = ", ".join([f".t{i - 1}"] * width)
        lines.append(f".t{i}:\n  extends: [{parents}]")
    return "\n".join(lines) + f"\njob:\n  extends: .t{levels - 1}\n"


def _extends_chain(length: int = 3000) -> str:
    lines = [".t0:\n  script: [x]"]
    lines += [f".t{i}:\n  extends: .t{i - 1}" for i in range(1, length)]
    return "\n".join(lines) + f"\njob:\n  extends: .t{length - 1}\n"


def _fifo(root: Path) -> None:
    os.mkfifo(root / ".gitlab-ci.yml")


def _directory(root: Path) -> None:
    (root / "ci.yml").mkdir()


def _outside(root: Path) -> None:
    (root.parent / "secret.yml").write_text("leaked-job:\n  script: [x]\n", encoding="utf-8")


REDOS = "job:\n  script: [x]\n  rules:\n    - if: $X =~ /(a+)+$/\n"
LONG_DOCKER = "job:\n  script:\n    - " + "docker " * 14000 + "x\n"
LONG_CURL = "job:\n  script:\n    - " + "curl " * 20000 + "\n"
LONG_INPUT = (
    "spec:\n  inputs:\n    a: {default: x}\n---\njob:\n  script:\n    - '$[[ inputs.a |"
    + " " * 100000
    + "'\n"
)
DEEP_FLOW = "job:\n  script: " + "[" * 600 + "x" + "]" * 600 + "\n"
RECURSIVE = "a: &a\n  b: *a\njob:\n  script: [x]\n"
BIG_INT = "job:\n  script: [x]\n  timeout: 1" + "0" * 5000 + "\n"
ESCAPES = '"\\e]0;pwned\\a\\e[2J":\n  script: [x]\n'
TOO_BIG = "too big"
DEEP = "nested deeper than 100 levels"
SPECIAL = "not a file; nothing was read"
YAML = ".gitlab-ci.yml"
A = "X=" + "a" * 40 + "b"


def cases() -> list[Case]:
    """Every hostile input, with the exit code and the message it must end with."""
    bomb, fan, diamond = _alias_bomb(), _reference_fan_out(), _extends_diamond()
    chain = _extends_chain()
    return [
        # Regexes of rules:if, matched by RE2 in linear time.
        Case("redos explain", {YAML: REDOS}, ["explain", "--var", A], 0, "no pipeline"),
        Case("redos graph", {YAML: REDOS}, ["graph", "--var", A], 0, "flowchart"),
        # Expansion budgets: aliases, references, extends.
        Case("alias bomb lint", {YAML: bomb}, ["lint"], 1, TOO_BIG),
        Case("alias bomb explain", {YAML: bomb}, ["explain"], 1, TOO_BIG),
        Case("alias bomb graph", {YAML: bomb}, ["graph"], 1, TOO_BIG),
        Case("alias bomb import", {"ci.yml": bomb}, ["import", "ci.yml"], 1, TOO_BIG),
        Case("reference fan-out lint", {YAML: fan}, ["lint"], 1, TOO_BIG),
        Case("reference fan-out explain", {YAML: fan}, ["explain"], 1, TOO_BIG),
        Case("reference fan-out import", {"ci.yml": fan}, ["import", "ci.yml"], 0, "Reference("),
        Case("extends diamond lint", {YAML: diamond}, ["lint"], 0, ""),
        Case("extends diamond explain", {YAML: diamond}, ["explain"], 0, "job: on_success"),
        Case("extends diamond import", {"ci.yml": diamond}, ["import", "ci.yml"], 0, "extends"),
        Case("3,000-long extends chain lint", {YAML: chain}, ["lint"], 1, "extends-too-deep"),
        Case("3,000-long extends chain explain", {YAML: chain}, ["explain"], 0, "job:"),
        Case(
            "3,000-long extends chain import",
            {"ci.yml": chain},
            ["import", "ci.yml"],
            0,
            "GitLab refuses this pipeline, and compile will until it is fixed: job '.t12': its extends chain is more than 11 levels deep",
        ),
        # Lint rules over long script lines and values.
        Case("100 KB 'docker docker...' line lint", {YAML: LONG_DOCKER}, ["lint"], 0, ""),
        Case("100 KB 'curl curl...' line lint", {YAML: LONG_CURL}, ["lint"], 0, ""),
        Case("100 KB unclosed $[[ inputs lint", {YAML: LONG_INPUT}, ["lint"], 0, ""),
        # Structures the reader refuses, with a position.
        Case("600-deep flow lint", {YAML: DEEP_FLOW}, ["lint"], 1, DEEP),
        Case("600-deep flow explain", {YAML: DEEP_FLOW}, ["explain"], 1, DEEP),
        Case("600-deep flow import", {"ci.yml": DEEP_FLOW}, ["import", "ci.yml"], 1, DEEP),
        Case("recursive alias lint", {YAML: RECURSIVE}, ["lint"], 1, "a loop"),
        Case("recursive alias import", {"ci.yml": RECURSIVE}, ["import", "ci.yml"], 1, "a loop"),
        Case("5,000-digit integer lint", {YAML: BIG_INT}, ["lint"], 1, "quote it"),
        Case("5,000-digit integer import", {"ci.yml": BIG_INT}, ["import", "ci.yml"], 1, "quote"),
        # Values of the wrong type.
        Case("stage: [a] explain", {YAML: "j:\n  stage: [a]\n  script: x\n"}, ["explain"], 0, ""),
        # GitLab's schema takes a list of stages here (its anyOf has an array form).
        Case("stage: [a] lint", {YAML: "j:\n  stage: [a]\n  script: x\n"}, ["lint"], 0, ""),
        Case("needs: 5 lint", {YAML: "j:\n  needs: 5\n  script: x\n"}, ["lint"], 1, "schema"),
        Case("needs: 5 explain", {YAML: "j:\n  needs: 5\n  script: x\n"}, ["explain"], 0, ""),
        Case("include local: 5 lint", {YAML: "include: [{local: 5}]\n"}, ["lint"], 1, "schema"),
        Case(
            "include local: 5 explain",
            {YAML: "include: [{local: 5}]\nj: {script: x}\n"},
            ["explain"],
            0,
            "",
        ),
        Case(
            "!reference [[a], b] explain",
            {YAML: "j:\n  script: !reference [[a], b]\n"},
            ["explain"],
            0,
            "",
        ),
        Case(
            "!reference [[a], b] lint",
            {YAML: "j:\n  script: !reference [[a], b]\n"},
            ["lint"],
            1,
            "",
        ),
        # Paths that leave the project.
        Case(
            "exists: /etc/passwd explain",
            {YAML: "j:\n  script: x\n  rules: [{exists: [/etc/passwd]}]\n"},
            ["explain"],
            0,
            "no pipeline",
        ),
        Case(
            "include ../secret explain",
            {YAML: "include: ../secret.yml\nj: {script: x}\n"},
            ["explain"],
            0,
            "is not a file of the project",
            _outside,
        ),
        Case(
            "include ../secret lint",
            {YAML: "include: ../secret.yml\nj: {script: x}\n"},
            ["lint"],
            1,
            "include-local-missing",
            _outside,
        ),
        # Files that are not files.
        Case("FIFO .gitlab-ci.yml lint", {}, ["lint", YAML], 1, SPECIAL, _fifo),
        Case("FIFO .gitlab-ci.yml explain", {}, ["explain"], 1, SPECIAL, _fifo),
        Case("FIFO .gitlab-ci.yml import", {}, ["import", YAML], 1, SPECIAL, _fifo),
        Case("folder named ci.yml lint", {}, ["lint", "ci.yml"], 2, "no GitLab CI", _directory),
        Case("folder named ci.yml import", {}, ["import", "ci.yml"], 1, SPECIAL, _directory),
        Case("/dev/zero lint", {}, ["lint", "/dev/zero"], 1, SPECIAL),
        Case("/dev/zero import", {}, ["import", "/dev/zero"], 1, SPECIAL),
        # Outputs compile must refuse.
        Case(
            "outputs ../evil.yml compile",
            {
                "pyproject.toml": PYPROJECT
                + '[tool.gitlabci-dsl]\noutputs = {main = "../evil.yml"}\n',
                "pipelines/main.py": PIPELINE,
            },
            ["compile"],
            1,
            "leaves the project",
        ),
        Case(
            "output = .git/config compile",
            {"pipelines/main.py": PIPELINE + 'output = ".git/config"\n', ".git/config": "[core]\n"},
            ["compile"],
            1,
            "inside .git/",
        ),
        Case(
            "output = /dev/null compile",
            {"pipelines/main.py": PIPELINE + 'output = "/dev/null"\n'},
            ["compile"],
            1,
            "outside the project",
        ),
        # Text that would act on the terminal, or run as code.
        Case("terminal escapes explain", {YAML: ESCAPES}, ["explain"], 0, "\\x1b]0;pwned"),
        Case("terminal escapes lint", {YAML: ESCAPES + "  stage: nope\n"}, ["lint"], 1, "\\x1b[2J"),
        Case(
            "file name injection import",
            {INJECTED: "j:\n  script: [x]\n"},
            ["import", INJECTED, "-o", "pipelines/x.py"],
            0,
            "written",
        ),
    ]


def _snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` but Python's bytecode cache of the pipeline modules (written
    by the import machinery, as for any module imported; not a file a command writes)."""
    found = {}
    for path in root.rglob("*"):
        if "__pycache__" in path.parts:
            continue
        if path.is_file() and not path.is_symlink():
            found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


def run(case: Case, *, memory_mb: int = 1500, cpu_seconds: int = 60) -> Outcome:
    """Run ``case`` in a new project under the limits; what it printed, how it ended, and
    what it changed that it must not have (outside the project, or a file it was not asked
    to write)."""
    with tempfile.TemporaryDirectory(prefix="hostile-") as scratch:
        root = Path(scratch) / "project"
        root.mkdir()
        (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
        for relative, text in case.files.items():
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_text(text, encoding="utf-8")
        if case.setup is not None:
            case.setup(root)
        before, around = _snapshot(root), sorted(p.name for p in Path(scratch).iterdir())

        def limits() -> None:  # in the child, before it starts
            memory = memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))

        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "gitlabci_dsl", *case.command],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            preexec_fn=limits,  # noqa: PLW1509 - it only sets resource limits
        )
        # A backstop for a child blocked without using CPU (a FIFO): never reached by a
        # passing case, and no claim about speed.
        try:
            output, _ = process.communicate(timeout=cpu_seconds * 3)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        after = _snapshot(root)
        damage = None
        if (root / "PWNED").exists() or (root / "pipelines" / "PWNED").exists():
            damage = "ran code from the data"
        elif sorted(p.name for p in Path(scratch).iterdir()) != around:
            damage = "wrote outside the project"
        else:
            # The one file a case may write: the module of `import ... -o FILE`.
            asked = case.command.index("-o") + 1 if "-o" in case.command else None
            allowed = {case.command[asked]} if asked is not None else set()
            changed = {p for p in after if after[p] != before.get(p)} - allowed
            removed = set(before) - set(after)
            if changed or removed:
                damage = f"changed {sorted(changed | removed)}"
        return Outcome(process.returncode, output.decode("utf-8", "replace"), seconds, peak, damage)
