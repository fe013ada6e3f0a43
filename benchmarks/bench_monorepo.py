"""Benchmark: a generated monorepo, compiled and explained as one tree of pipelines.

    python benchmarks/bench_monorepo.py                    # 200 packages x 25 jobs
    python benchmarks/bench_monorepo.py --packages 50 --repeat 3

The monorepo has ``--packages`` packages, package i depending on packages i - 1 and i // 2
(so a change in the first one reaches every package); each child pipeline has ``--jobs``
container jobs (five stages, each job needing one of the stage before). Every figure of one
table comes from one run, so the ratios hold on a noisy machine:

* compile  — ``to_yaml`` of the parent and of every child (what ``compile`` writes: one file
  per package plus the parent), GitLab's checks included;
* dump     — ``yaml.dump(..., Dumper=yaml.CSafeDumper)`` of the same data, the yardstick;
* explain  — the whole tree for one changed file of the first package (``plan`` reading the
  written files, following every trigger job into its child);
* memory   — peak traced memory of building the monorepo and compiling it, and of explain.

Times are the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from bench_compile import best  # the same best-of-N timer

from gitlabci_dsl import (
    Artifacts,
    Child,
    Job,
    Monorepo,
    Package,
    Pipeline,
    Rule,
    Trigger,
    ci,
    to_dict,
    to_yaml,
)
from gitlabci_dsl.evaluate.pipeline import Plan, plan, preset

STAGES = ["build", "test", "scan", "package", "deploy"]


def packages(count: int) -> list[Package]:
    found = []
    for i in range(count):
        depends = sorted({f"pkg{i - 1}", f"pkg{i // 2}"} - {f"pkg{i}"}) if i else []
        found.append(Package(f"pkg{i}", f"packages/pkg{i}", depends=depends))
    return found


def child_factory(jobs: int) -> Callable[[Package], Pipeline]:
    def child(package: Package) -> Pipeline:
        made: list[Job] = []
        for j in range(jobs):
            stage = STAGES[j * len(STAGES) // jobs]
            earlier = [job for job in made if STAGES.index(str(job.stage)) < STAGES.index(stage)]
            made.append(
                Job(
                    f"{package.name}-job{j}",
                    stage=stage,
                    image="docker:27.3",
                    variables={"PACKAGE_DIR": package.path, "STEP": str(j)},
                    needs=earlier[-1:] or None,
                    script=[
                        f'cd "{package.path}"',
                        f"make step-{j} IMAGE={ci.REGISTRY_IMAGE}/{package.name}:{ci.COMMIT_SHA}",
                    ],
                    artifacts=Artifacts(paths=[f"{package.path}/out/{j}"]) if j % 5 == 0 else None,
                    rules=[Rule(when="on_success")],
                )
            )
        return Pipeline(stages=STAGES, jobs=made)

    return child


def build(count: int, jobs: int) -> tuple[Pipeline, list[tuple[str, Pipeline]]]:
    """The parent and each child with the file compile writes it to."""
    monorepo = Monorepo(packages=packages(count), child=child_factory(jobs))
    parent = Pipeline(stages=["packages"], jobs=monorepo.jobs())
    children = []
    for job in parent.jobs:
        trigger = job.trigger
        assert isinstance(trigger, Trigger)
        assert isinstance(trigger.include, tuple)
        for child in trigger.include:
            assert isinstance(child, Child)
            children.append((child.file, child.pipeline))
    return parent, children


def build_and_compile(count: int, jobs: int) -> list[str]:
    parent, children = build(count, jobs)
    return [to_yaml(parent), *(to_yaml(pipeline) for _, pipeline in children)]


def peak(work: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    work()
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    parent, children = build(args.packages, args.jobs)
    pipelines = [parent, *(pipeline for _, pipeline in children)]
    data = [to_dict(p) for p in pipelines]
    total = sum(len(p.jobs) for p in pipelines)

    def compile_all() -> list[str]:
        return [to_yaml(p) for p in pipelines]

    def dump_all() -> list[str]:
        return [yaml.dump(d, Dumper=yaml.CSafeDumper, sort_keys=False) for d in data]

    texts = compile_all()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for (file, _), text in zip(children, texts[1:], strict=True):
            (root / file).parent.mkdir(parents=True, exist_ok=True)
            (root / file).write_text(text, encoding="utf-8")

        def explain() -> Plan:
            changed = ["packages/pkg0/src/main.go"]
            return plan(texts[0], preset("branch:feature"), changed=changed, root=root)

        tree = explain()
        started = len(tree.children)
        child_jobs = sum(len(child.plan.jobs) for child in tree.children)
        compile_time = best(compile_all, args.repeat)
        dump_time = best(dump_all, args.repeat)
        explain_time = best(explain, args.repeat)
        compile_peak = peak(lambda: build_and_compile(args.packages, args.jobs))
        explain_peak = peak(explain)

    files = len(pipelines)
    print(f"{args.packages} packages x {args.jobs} jobs: {total} jobs in {files} files")
    print(f"compile  {compile_time:7.3f} s   ({compile_time / dump_time:.2f}x the libyaml dump)")
    print(f"dump     {dump_time:7.3f} s")
    print(
        f"explain  {explain_time:7.3f} s   (one changed file: {started} child pipelines, "
        f"{child_jobs} jobs)"
    )
    print(
        f"memory   build + compile: {compile_peak / 1e6:.1f} MB peak; "
        f"explain: {explain_peak / 1e6:.1f} MB peak"
    )


if __name__ == "__main__":
    main()
