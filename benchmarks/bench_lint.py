"""Benchmark: lint a folder of GitLab CI files in one process.

    python benchmarks/bench_lint.py ../shared/corpus [--repeat 5]

Prints the files, their size, the findings and the time of the whole run: the first run (which
includes loading and compiling GitLab's schema) and the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from gitlabci_dsl.lint import lint_text


def lint_all(files: list[tuple[str, str]]) -> int:
    return sum(len(lint_text(text, name)) for name, text in files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    paths = sorted(p for p in args.folder.rglob("*") if p.suffix in (".yml", ".yaml"))
    files = [(p.name, p.read_text(encoding="utf-8")) for p in paths]
    lines = sum(text.count("\n") for _, text in files)
    start = time.perf_counter()
    findings = lint_all(files)
    first = time.perf_counter() - start
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        lint_all(files)
        times.append(time.perf_counter() - start)
    print(
        f"{len(files)} files, {lines} lines, {findings} findings: first run {first:.2f} s, "
        f"best of {args.repeat} {min(times):.2f} s"
    )


if __name__ == "__main__":
    main()
