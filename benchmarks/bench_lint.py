"""Benchmark: lint a folder of GitLab CI files in one process, without and with ShellCheck.

    python benchmarks/bench_lint.py ../shared/corpus [--repeat 5] [--rules]

Prints the files, their size, the findings and the time of the whole run, first without
ShellCheck and then with it, side by side in one run (this machine is noisy: compare the two
lines, not runs of different days): the first run (which includes loading and compiling
GitLab's schema) and the best of ``--repeat`` runs, and how many ShellCheck processes a run
starts. ``--rules`` adds the number of findings of each rule (ShellCheck's by code).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from gitlabci_dsl.lint import Finding, lint_texts
from gitlabci_dsl.lint.shell import ShellCheck


def lint_all(texts: dict[str, str], shellcheck: bool) -> tuple[list[Finding], int]:
    scripts = ShellCheck() if shellcheck else None
    findings = lint_texts(texts, scripts=scripts).findings
    return findings, scripts.processes if scripts is not None else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rules", action="store_true", help="count the findings of each rule")
    args = parser.parse_args()
    paths = sorted(p for p in args.folder.rglob("*") if p.suffix in (".yml", ".yaml"))
    texts = {p.name: p.read_text(encoding="utf-8") for p in paths}
    lines = sum(text.count("\n") for text in texts.values())
    for shellcheck in (False, True):
        start = time.perf_counter()
        findings, processes = lint_all(texts, shellcheck)
        first = time.perf_counter() - start
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            lint_all(texts, shellcheck)
            times.append(time.perf_counter() - start)
        label = f"with ShellCheck ({processes} processes)" if shellcheck else "without ShellCheck"
        print(
            f"{label}: {len(texts)} files, {lines} lines, {len(findings)} findings: first run "
            f"{first:.2f} s, best of {args.repeat} {min(times):.2f} s"
        )
        if args.rules and shellcheck:
            counts = Counter(f.code or f.rule for f in findings)
            for rule, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
                print(f"  {count:5}  {rule}")


if __name__ == "__main__":
    main()
