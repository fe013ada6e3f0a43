"""Benchmark: compile N realistic container-build jobs, beside a plain libyaml dump.

    python benchmarks/bench_compile.py            # N = 100, 1,000, 5,000
    python benchmarks/bench_compile.py --jobs 1000 --repeat 7

Every figure of one table comes from one run, so ratios hold on a noisy machine:
* construct — building the model objects (Job, Rule, Pipeline...);
* validate  — the cross-object checks;
* to_dict   — validate + the plain data (what ``to_dict`` returns);
* compile   — ``to_yaml(pipeline)``: validate, compile and emit the text (streamed job by job);
* dump      — ``yaml.dump(equivalent_dict, Dumper=yaml.CSafeDumper)``, the yardstick.
Times are the best of ``--repeat`` runs. Each job count is measured in a fresh interpreter (a
heap left over from a bigger run slows the next one down), and peak memory with tracemalloc in a
fresh process for each side: model + to_yaml against building the same plain dict + dump.
The last table compares ``gitlabci-dsl compile --check`` on this repository with
``python -c "import attrs, yaml, typer"`` (median CPU times, and the median ratio of back-to-back pairs).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from gitlabci_dsl import Job, Pipeline, Rule, Stage, ci, to_dict, to_yaml
from gitlabci_dsl.validation import validate

ROOT = Path(__file__).resolve().parent.parent
DOCKER = "docker:27.3"
LOGIN = 'echo "$CI_REGISTRY_PASSWORD" | docker login -u "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"'
RULE_MAIN = "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"
RULE_TAG = "$CI_COMMIT_TAG"


def build_pipeline(n: int) -> Pipeline:
    """N container-build jobs: image, dind, variables, login, build/push, two rules, needs."""
    build = Stage("build")
    jobs: list[Job] = []
    for i in range(n):
        image = f"{ci.REGISTRY_IMAGE}/svc{i}:{ci.COMMIT_SHA}"
        jobs.append(
            Job(
                f"build-svc{i}",
                stage=build,
                image=DOCKER,
                services=[f"{DOCKER}-dind"],
                variables={
                    "DOCKER_HOST": "tcp://docker:2376",
                    "DOCKER_TLS_CERTDIR": "/certs",
                    "IMAGE": image,
                },
                needs=[jobs[-1]] if i % 2 else None,
                rules=[Rule(if_=RULE_MAIN), Rule(if_=RULE_TAG, when="manual")],
                before_script=[LOGIN],
                script=[f"docker build -t {image} services/svc{i}", f"docker push {image}"],
            )
        )
    return Pipeline(stages=[build], jobs=jobs)


def build_plain_dict(n: int) -> dict[str, Any]:
    """The same pipeline written as the plain dict a hand-rolled generator would build."""
    out: dict[str, Any] = {"stages": ["build"]}
    previous = None
    for i in range(n):
        image = f"$CI_REGISTRY_IMAGE/svc{i}:$CI_COMMIT_SHA"
        job: dict[str, Any] = {
            "stage": "build",
            "image": DOCKER,
            "services": [f"{DOCKER}-dind"],
            "variables": {
                "DOCKER_HOST": "tcp://docker:2376",
                "DOCKER_TLS_CERTDIR": "/certs",
                "IMAGE": image,
            },
        }
        if i % 2:
            job["needs"] = [previous]
        job["rules"] = [{"if": RULE_MAIN}, {"if": RULE_TAG, "when": "manual"}]
        job["before_script"] = [LOGIN]
        job["script"] = [f"docker build -t {image} services/svc{i}", f"docker push {image}"]
        previous = f"build-svc{i}"
        out[previous] = job
    return out


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_memory(side: str, n: int) -> int:
    """Peak traced bytes of one side, measured in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, __file__, "--memory-side", side, "--jobs", str(n)],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout.strip())


def _memory_side(side: str, n: int) -> None:
    tracemalloc.start()
    if side == "dsl":
        to_yaml(build_pipeline(n))
    else:
        yaml.dump(build_plain_dict(n), Dumper=yaml.CSafeDumper, sort_keys=False)
    print(tracemalloc.get_traced_memory()[1])


def measure_in_subprocess(n: int, repeat: int) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--measure", str(n), "--repeat", str(repeat)],
        capture_output=True,
        text=True,
        check=True,
    )
    row: dict[str, float] = json.loads(result.stdout)
    row["mem_dsl"] = peak_memory("dsl", n)
    row["mem_plain"] = peak_memory("plain", n)
    return row


def measure(n: int, repeat: int) -> dict[str, float]:
    pipeline = build_pipeline(n)
    plain = build_plain_dict(n)
    assert to_dict(pipeline) == plain, "the plain dict must be the same pipeline"
    data = to_dict(pipeline)
    return {
        "jobs": n,
        "construct": best(lambda: build_pipeline(n), repeat),
        "validate": best(lambda: validate(pipeline), repeat),
        "to_dict": best(lambda: to_dict(pipeline), repeat),
        "compile": best(lambda: to_yaml(pipeline), repeat),
        "dump": best(lambda: yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False), repeat),
        "plain_dict": best(lambda: build_plain_dict(n), repeat),
    }


def _cpu(cmd: list[str], env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # check=True: a command that fails early (a stale file, a broken install) would look fast.
    subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def startup(runs: int) -> tuple[float, float, float]:
    """Median CPU time of ``compile --check`` and of the import baseline, and the median of the
    ratios of back-to-back pairs: this machine's speed drifts within a run, and a pair run
    seconds apart shares the same speed where two medians over the whole run do not."""
    # Bytecode caching as on any installed package (pip compiles at install time).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    # The console script installed beside this interpreter, never one found on PATH: a version
    # manager's shim there (pyenv's is a bash script) would be timed as part of our start-up.
    script = Path(sys.executable).parent / "gitlabci-dsl"
    ours = [str(script)] if script.is_file() else [sys.executable, "-m", "gitlabci_dsl"]
    ours += ["compile", "--check"]
    base = [sys.executable, "-c", "import attrs, yaml, typer"]
    _cpu(ours, env)  # warm-up: writes __pycache__ if missing
    a, b = [], []
    for _ in range(runs):
        a.append(_cpu(ours, env))
        b.append(_cpu(base, env))
    ratio = statistics.median(x / y for x, y in zip(a, b, strict=True))
    return statistics.median(a), statistics.median(b), ratio


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--jobs", type=int, action="append", help="job counts (default 100, 1000, 5000)"
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure; the best is kept")
    parser.add_argument("--startup-runs", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--memory-side", choices=["dsl", "plain"], help=argparse.SUPPRESS)
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_side:
        _memory_side(args.memory_side, args.jobs[0])
        return
    if args.measure:
        print(json.dumps(measure(args.measure, args.repeat)))
        return
    sizes = args.jobs or [100, 1000, 5000]
    rows = [measure_in_subprocess(n, args.repeat) for n in sizes]
    ours, base, ratio = startup(args.startup_runs)
    if args.json:
        print(
            json.dumps(
                {
                    "rows": rows,
                    "startup": {"compile_check": ours, "import_baseline": base, "ratio": ratio},
                },
                indent=2,
            )
        )
        return
    print(f"libyaml C emitter: {yaml.__with_libyaml__}; Python {sys.version.split()[0]}")
    print()
    header = f"{'jobs':>6} {'construct':>10} {'validate':>9} {'to_dict':>8} {'compile':>8} {'dump':>8} {'compile/dump':>13} {'peak MB':>8} {'plain MB':>9} {'mem ratio':>10}"
    print(header)
    for r in rows:
        print(
            f"{r['jobs']:>6} {r['construct']:>9.3f}s {r['validate']:>8.3f}s {r['to_dict']:>7.3f}s "
            f"{r['compile']:>7.3f}s {r['dump']:>7.3f}s {r['compile'] / r['dump']:>12.2f}x "
            f"{r['mem_dsl'] / 1e6:>8.1f} {r['mem_plain'] / 1e6:>9.1f} {r['mem_dsl'] / r['mem_plain']:>9.2f}x"
        )
    by_n = {r["jobs"]: r for r in rows}
    if 1000 in by_n and 5000 in by_n:
        scale = by_n[5000]["compile"] / by_n[1000]["compile"]
        scale_all = (by_n[5000]["construct"] + by_n[5000]["compile"]) / (
            by_n[1000]["construct"] + by_n[1000]["compile"]
        )
        print(f"\nt(5000)/t(1000): compile {scale:.2f}, construct+compile {scale_all:.2f}")
    print(
        f"\nstart-up (median CPU of {args.startup_runs} runs): gitlabci-dsl compile --check "
        f"{ours * 1000:.0f} ms vs import attrs, yaml, typer {base * 1000:.0f} ms; "
        f"median ratio of pairs {ratio:.2f}x"
    )


if __name__ == "__main__":
    main()
