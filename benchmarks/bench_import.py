"""Benchmark: `gitlabci-dsl import` of a generated file of N container-build jobs.

    python benchmarks/bench_import.py [--jobs 1000] [--repeat 5]

The file is what ``bench_compile.build_pipeline(N)`` compiles to (image, dind service,
variables, login, build/push script, rules, needs), plus a hidden template that every job
extends, anchors and a merge key. Prints its size and the best wall time of ``import_yaml`` in
process (which includes running the module it writes to check the round trip) and of the
whole command, start-up included.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_compile import build_pipeline

from gitlabci_dsl import to_yaml
from gitlabci_dsl.importer import import_yaml

_EXTRA = """\
.defaults: &defaults
  retry: 1
  interruptible: true
.template:
  <<: *defaults
  tags: [docker]
"""


def source(jobs: int) -> str:
    text = to_yaml(build_pipeline(jobs))
    return text.replace("\nstages:", f"\n{_EXTRA}stages:", 1)


def best(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    text = source(args.jobs)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.yml"
        path.write_text(text, encoding="utf-8")
        code = import_yaml(text, source="big.yml").code
        in_process = best(lambda: import_yaml(text, source="big.yml"), args.repeat)
        command = [str(Path(sys.executable).with_name("gitlabci-dsl")), "import", str(path)]
        whole = best(lambda: subprocess.run(command, check=True, capture_output=True), args.repeat)
    lines = text.count("\n")
    print(f"input: {args.jobs} jobs, {lines} YAML lines; module: {code.count(chr(10))} lines")
    print(f"import_yaml (in process, round trip checked): {in_process:.3f} s")
    print(f"gitlabci-dsl import (whole command):          {whole:.3f} s")


if __name__ == "__main__":
    main()
