"""Benchmark: `gitlabci-dsl explain` on a generated file of N jobs with rules and needs.

    python benchmarks/bench_explain.py [--jobs 1000] [--repeat 5]

Prints the best wall time of ``plan()`` in process and of the whole command (start-up
included), for a default-branch and a tag pipeline.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gitlabci_dsl.evaluate.pipeline import plan, preset


def pipeline(jobs: int) -> str:
    lines = ["stages: [build, test, deploy]", "workflow:", "  rules:"]
    lines += ["    - if: $CI_COMMIT_BRANCH", "    - if: $CI_COMMIT_TAG"]
    for i in range(jobs):
        lines += [
            f"job-{i}:",
            f"  stage: {('build', 'test', 'deploy')[i % 3]}",
            "  script: [make]",
            "  rules:",
            '    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE != "schedule"',
            "    - if: $CI_COMMIT_TAG =~ /^v\\d+/",
            "      when: manual",
        ]
        if i % 3:
            lines.append(f"  needs: [job-{i - i % 3}]")
    return "\n".join(lines) + "\n"


def best(action: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    text = pipeline(args.jobs)
    script = Path(sys.executable).parent / "gitlabci-dsl"
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "gitlabci_dsl"]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ".gitlab-ci.yml"
        path.write_text(text, encoding="utf-8")
        for on in ("branch:main", "tag:v1.2.3"):
            created = len(plan(text, preset(on)).jobs)
            in_process = best(lambda on=on: plan(text, preset(on)), args.repeat)
            cli = [*command, "explain", str(path), "--on", on, "--format", "json"]
            run = best(
                lambda cli=cli: subprocess.run(cli, cwd=folder, capture_output=True, check=True),
                args.repeat,
            )
            print(
                f"{args.jobs} jobs, --on {on}: {created} created; plan() {in_process:.3f} s, "
                f"gitlabci-dsl explain {run:.3f} s"
            )


if __name__ == "__main__":
    main()
