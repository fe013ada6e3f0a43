"""Hostile inputs against every command: time, peak memory and how each one ends.

    python benchmarks/bench_hostile.py [--only NAME] [--memory-mb 3000] [--cpu-seconds 60]

The cases are those of ``tests/hostile_cases.py`` (the test suite requires each to end as
expected); here each runs in a process of its own, so that the peak resident memory reported
is that case's alone. A line per case: wall time, peak memory, exit code, and ``as expected``
or what went wrong (``TRACEBACK``, ``KILLED`` by a limit, ``DAMAGE``, another exit code). Run
against another checkout with ``PYTHONPATH=/that/checkout`` (from outside this one) to compare:
that is how the before/after figures of the hostile-input issue were taken.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from hostile_cases import cases, run  # the tests folder is not a package


def one(number: int, memory_mb: int, cpu_seconds: int) -> str:
    case = cases()[number]
    outcome = run(case, memory_mb=memory_mb, cpu_seconds=cpu_seconds)
    if outcome.code < 0:
        verdict = f"KILLED by signal {-outcome.code}"
    elif "Traceback" in outcome.output:
        verdict = "TRACEBACK " + outcome.output.strip().splitlines()[-1][:60]
    elif outcome.damage is not None:
        verdict = f"DAMAGE: {outcome.damage}"
    elif outcome.code != case.code or case.says not in outcome.output:
        verdict = "unexpected: " + (outcome.output.strip().splitlines() or [""])[0][:60]
    else:
        verdict = "as expected"
    return (
        f"{case.name:40} {outcome.seconds:7.2f} s {outcome.peak_mb:8.0f} MB  "
        f"exit {outcome.code:3}  {verdict}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="run the cases whose name contains this")
    parser.add_argument("--memory-mb", type=int, default=3000)
    parser.add_argument("--cpu-seconds", type=int, default=60)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one case, in a child
    args = parser.parse_args()
    if args.one is not None:
        print(one(args.one, args.memory_mb, args.cpu_seconds), flush=True)
        return 0
    for number, case in enumerate(cases()):
        if args.only and args.only not in case.name:
            continue
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                str(number),
                "--memory-mb",
                str(args.memory_mb),
                "--cpu-seconds",
                str(args.cpu_seconds),
            ],
            check=False,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
