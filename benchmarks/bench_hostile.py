"""Hostile inputs against every command: time, peak memory and how each one ends.

    python benchmarks/bench_hostile.py [--only NAME] [--limit-mb 3000] [--timeout 60]

Each case writes a small project (a pyproject.toml and the hostile file) into a temporary
folder and runs one ``gitlabci-dsl`` command there in a fresh interpreter, under an address
space limit and a timeout. A line per case: wall time, peak resident memory (the child's
``ru_maxrss``), the exit code and how it ended: ``clean`` (a message, no traceback), ``ok``
(exit 0), ``TRACEBACK``, ``TIMEOUT`` or ``KILLED`` (the memory limit). The same script runs
against another checkout with ``PYTHONPATH=/that/checkout``, which is how the before/after
figures of the hostile-input issue were taken.
"""

from __future__ import annotations

import argparse
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


class Case(NamedTuple):
    name: str
    files: dict[str, str]  # relative path -> text (written before the command runs)
    command: list[str]  # arguments after gitlabci-dsl
    setup: Callable[[Path], None] | None = None  # anything files cannot say (links, FIFOs)


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


def _extends_diamond(levels: int = 30) -> str:
    lines = [".t0:\n  script: [x]\n  variables: {A: a}"]
    for i in range(1, levels):
        lines.append(f".t{i}:\n  extends: [.t{i - 1}, .t{i - 1}]")
    return "\n".join(lines) + f"\njob:\n  extends: .t{levels - 1}\n"


def _fifo(root: Path) -> None:
    os.mkfifo(root / ".gitlab-ci.yml")


def _directory(root: Path) -> None:
    (root / "ci.yml").mkdir()


def _outside_include(root: Path) -> None:
    (root.parent / f"{root.name}-secret.yml").write_text(
        "leaked-job:\n  script: [cat /etc/shadow]\n", encoding="utf-8"
    )


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
PIPELINE = (
    'from gitlabci_dsl import Job, Pipeline\npipeline = Pipeline(jobs=[Job("j", script=["x"])])\n'
)


def cases() -> list[Case]:
    aaa = "X=" + "a" * 40 + "b"
    return [
        Case("redos explain", {".gitlab-ci.yml": REDOS}, ["explain", "--var", aaa]),
        Case("redos graph", {".gitlab-ci.yml": REDOS}, ["graph", "--var", aaa]),
        Case("alias bomb lint", {".gitlab-ci.yml": _alias_bomb()}, ["lint"]),
        Case("alias bomb explain", {".gitlab-ci.yml": _alias_bomb()}, ["explain"]),
        Case("alias bomb import", {"ci.yml": _alias_bomb()}, ["import", "ci.yml"]),
        Case("reference fan-out lint", {".gitlab-ci.yml": _reference_fan_out()}, ["lint"]),
        Case("reference fan-out explain", {".gitlab-ci.yml": _reference_fan_out()}, ["explain"]),
        Case("extends diamond explain", {".gitlab-ci.yml": _extends_diamond()}, ["explain"]),
        Case("extends diamond import", {"ci.yml": _extends_diamond()}, ["import", "ci.yml"]),
        Case("100 KB 'docker docker...' line lint", {".gitlab-ci.yml": LONG_DOCKER}, ["lint"]),
        Case("100 KB 'curl curl...' line lint", {".gitlab-ci.yml": LONG_CURL}, ["lint"]),
        Case("100 KB unclosed $[[ inputs lint", {".gitlab-ci.yml": LONG_INPUT}, ["lint"]),
        Case("600-deep flow lint", {".gitlab-ci.yml": DEEP_FLOW}, ["lint"]),
        Case("600-deep flow import", {"ci.yml": DEEP_FLOW}, ["import", "ci.yml"]),
        Case("recursive alias lint", {".gitlab-ci.yml": RECURSIVE}, ["lint"]),
        Case("5,000-digit integer lint", {".gitlab-ci.yml": BIG_INT}, ["lint"]),
        Case("5,000-digit integer import", {"ci.yml": BIG_INT}, ["import", "ci.yml"]),
        Case(
            "stage: [a] explain", {".gitlab-ci.yml": "j:\n  stage: [a]\n  script: x\n"}, ["explain"]
        ),
        Case("needs: 5 lint", {".gitlab-ci.yml": "j:\n  needs: 5\n  script: x\n"}, ["lint"]),
        Case("include local: 5 lint", {".gitlab-ci.yml": "include: [{local: 5}]\n"}, ["lint"]),
        Case(
            "!reference [[a], b] explain",
            {".gitlab-ci.yml": "j:\n  script: !reference [[a], b]\n"},
            ["explain"],
        ),
        Case(
            "exists: /etc/passwd explain",
            {".gitlab-ci.yml": "j:\n  script: x\n  rules: [{exists: [/etc/passwd]}]\n"},
            ["explain"],
        ),
        Case(
            "include ../secret lint",
            {".gitlab-ci.yml": "include: ../hostile-secret.yml\nj: {script: x}\n"},
            ["explain"],
            _outside_include,
        ),
        Case("FIFO .gitlab-ci.yml lint", {}, ["lint"], _fifo),
        Case("FIFO named on the command line lint", {}, ["lint", ".gitlab-ci.yml"], _fifo),
        Case("FIFO .gitlab-ci.yml explain", {}, ["explain"], _fifo),
        Case("FIFO import", {}, ["import", ".gitlab-ci.yml"], _fifo),
        Case("/dev/zero import", {}, ["import", "/dev/zero"]),
        Case("directory ci.yml lint", {}, ["lint", "."], _directory),
        Case("/dev/zero lint", {}, ["lint", "/dev/zero"]),
        Case(
            "outputs ../evil.yml compile",
            {
                "pyproject.toml": PYPROJECT
                + '[tool.gitlabci-dsl]\noutputs = {main = "../evil.yml"}\n',
                "pipelines/main.py": PIPELINE,
            },
            ["compile"],
        ),
        Case(
            "output = .git/config compile",
            {"pipelines/main.py": PIPELINE + 'output = ".git/config"\n', ".git/config": "[core]\n"},
            ["compile"],
        ),
        Case(
            "output = /dev/null compile",
            {"pipelines/main.py": PIPELINE + 'output = "/dev/null"\n'},
            ["compile"],
        ),
        Case(
            "terminal escape in a job name explain",
            {".gitlab-ci.yml": '"\\e]0;pwned\\a\\e[2J":\n  script: [x]\n'},
            ["explain"],
        ),
        Case(
            "file name injection import",
            {'a""";__import__("os").system("touch PWNED");"""b.yml': "j:\n  script: [x]\n"},
            [
                "import",
                'a""";__import__("os").system("touch PWNED");"""b.yml',
                "-o",
                "pipelines/x.py",
            ],
        ),
    ]


def run(case: Case, limit_mb: int, timeout: float) -> str:
    with tempfile.TemporaryDirectory(prefix="hostile-") as scratch:
        root = Path(scratch) / "hostile"
        root.mkdir()
        (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
        for relative, text in case.files.items():
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_text(text, encoding="utf-8")
        if case.setup is not None:
            case.setup(root)
        limit = limit_mb * 1024 * 1024

        def limits() -> None:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "gitlabci_dsl", *case.command],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=limits,  # noqa: PLW1509 - only sets a resource limit
        )
        try:
            out, err = process.communicate(timeout=timeout)
            ended = "done"
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            ended = "TIMEOUT"
        elapsed = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        text = (out + err).decode("utf-8", "replace")
        pwned = (root / "PWNED").exists() or (root / "pipelines" / "PWNED").exists()
        if ended == "TIMEOUT":
            how = "TIMEOUT"
        elif pwned:
            how = "CODE RAN"
        elif "Traceback" in text:
            how = "TRACEBACK " + text.strip().splitlines()[-1][:60]
        elif process.returncode < 0 or "MemoryError" in text:
            how = "KILLED"
        elif process.returncode == 0:
            how = "ok"
        else:
            how = "clean: " + text.strip().splitlines()[0][:70] if text.strip() else "clean"
        return f"{case.name:40} {elapsed:7.2f} s {peak:8.0f} MB  exit {process.returncode:3}  {how}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="run the cases whose name contains this")
    parser.add_argument("--limit-mb", type=int, default=3000)
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one case, in a child
    args = parser.parse_args()
    listed = cases()
    if args.one is not None:
        # A process of its own per case: ru_maxrss of the children is this case's alone.
        print(run(listed[args.one], args.limit_mb, args.timeout), flush=True)
        return 0
    for number, case in enumerate(listed):
        if args.only and args.only not in case.name:
            continue
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                str(number),
                "--limit-mb",
                str(args.limit_mb),
                "--timeout",
                str(args.timeout),
            ],
            check=False,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
