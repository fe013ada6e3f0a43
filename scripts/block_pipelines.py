"""The table of docs/blocks/README.md: in which pipelines each block's job runs by default.

Each block's job, with its default rules, is evaluated by ``explain``'s machinery for each kind
of pipeline, in a pipeline with ``Workflow.merge_request_pipelines()`` (branch, tag and merge
request pipelines without duplicates):

    python scripts/block_pipelines.py          # print the table
    python scripts/block_pipelines.py --check  # exit 1 if docs/blocks/README.md lacks it

tests/test_docs.py runs the check, so the page says what the blocks do.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PAGE = Path(__file__).resolve().parent.parent / "docs" / "blocks" / "README.md"

# (column, explain --on): the kinds of pipeline a project has.
COLUMNS = (
    ("default branch", "branch:main"),
    ("other branches", "branch:feature"),
    ("tags", "tag:v1.0.0"),
    ("merge requests", "mr"),
    ("schedules", "schedule"),
    ("API, trigger, web (on main)", "api"),
)


def blocks() -> list[tuple[str, object]]:
    """(how the table names it, a block with its default rules)."""
    import gitlabci_dsl as g

    image = "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA"
    return [
        ("`DockerBuild`", g.DockerBuild()),
        ("`KanikoBuild`", g.KanikoBuild()),
        ("`BuildahBuild`", g.BuildahBuild()),
        ("`TrivyScan`", g.TrivyScan(image=image)),
        ('`Mirror` (`on="tags"`, the default)', g.Mirror(source=image)),
        ('`Mirror` (`on="always"`)', g.Mirror(source=image, on="always")),
        ("`KubeDeploy`", g.KubeDeploy(image=image, deployment="app", container="app")),
        ("`PullSecret`", g.PullSecret()),
        ("`RegistryCleanup`", g.RegistryCleanup()),
        ("`RegistryPrune`", g.RegistryPrune()),
        ("`CleanupPolicy`", g.CleanupPolicy()),
        ("`RegistryDebug`", g.RegistryDebug()),
        ("`DynamicChild` (its generator and trigger jobs)", g.DynamicChild(module="ci/apps.py")),
    ]


def cell(block: object, on: str) -> str:
    """How the block's job takes part in the pipeline of ``on``."""
    from gitlabci_dsl import Pipeline, Workflow, to_yaml
    from gitlabci_dsl.evaluate.pipeline import plan, preset

    job = block.job()  # type: ignore[attr-defined]
    stages = [job.stage] if isinstance(job.stage, str) else None
    pipeline = Pipeline(workflow=Workflow.merge_request_pipelines(), stages=stages, jobs=[job])
    found = plan(to_yaml(pipeline), preset(on)).jobs
    if not found:
        return "—"
    (planned,) = found
    if planned.when == "manual":
        return "manual, optional" if planned.allow_failure else "manual, blocking"
    return "runs" if planned.when == "on_success" else planned.when


def table() -> str:
    lines = [
        "| block | " + " | ".join(name for name, _ in COLUMNS) + " |",
        "|---|" + "---|" * len(COLUMNS),
    ]
    for name, block in blocks():
        lines.append(f"| {name} | " + " | ".join(cell(block, on) for _, on in COLUMNS) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the page lacks the table")
    args = parser.parse_args()
    text = table()
    if args.check:
        if text not in PAGE.read_text(encoding="utf-8"):
            print(f"{PAGE} does not hold the current table:\n{text}", file=sys.stderr)
            return 1
        return 0
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
