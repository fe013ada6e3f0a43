"""The stage and ``needs`` graph of a pipeline, as Mermaid or Graphviz DOT text.

Each stage is a box of its jobs, stages in order are joined by an arrow, and a job's ``needs``
are arrows from the jobs it needs (a job with ``needs`` starts as soon as they finish; the
others wait for the previous stage).
"""

from __future__ import annotations

from .pipeline import Plan, PlannedJob, stage_groups

__all__ = ["dot", "mermaid"]


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mermaid(plan: Plan) -> str:
    """A Mermaid ``flowchart`` (GitLab and GitHub render it in Markdown)."""
    index = {job.name: i for i, job in enumerate(plan.jobs)}
    lines = ["flowchart LR"]
    stages = stage_groups(plan)
    for number, (stage, members) in enumerate(stages):
        lines.append(f"  subgraph s{number} [{_mermaid_label(stage)}]")
        for i in members:
            lines.append(f"    j{i}[{_mermaid_label(_job_label(plan.jobs[i]))}]")
        lines.append("  end")
    for number in range(1, len(stages)):
        lines.append(f"  s{number - 1} --> s{number}")
    for i, job in enumerate(plan.jobs):
        for need in job.needs:
            if need in index:
                lines.append(f"  j{index[need]} --> j{i}")
    return "\n".join(lines) + "\n"


def _job_label(job: PlannedJob) -> str:
    """The job's name, with its ``when`` unless it runs on success."""
    return job.name if job.when == "on_success" else f"{job.name} ({job.when})"


def _mermaid_label(text: str) -> str:
    return '"' + text.replace('"', "#quot;") + '"'


def dot(plan: Plan) -> str:
    """A Graphviz ``digraph``: one cluster per stage, ``needs`` as solid edges, stage order as
    dashed edges between clusters."""
    index = {job.name: i for i, job in enumerate(plan.jobs)}
    lines = ["digraph pipeline {", "  rankdir=LR;", "  compound=true;", "  node [shape=box];"]
    stages = stage_groups(plan)
    for number, (stage, members) in enumerate(stages):
        lines.append(f"  subgraph cluster_{number} {{")
        lines.append(f"    label={_quoted(stage)};")
        for i in members:
            lines.append(f"    j{i} [label={_quoted(_job_label(plan.jobs[i]))}];")
        lines.append("  }")
    for number in range(1, len(stages)):
        first, second = stages[number - 1][1][0], stages[number][1][0]
        lines.append(
            f"  j{first} -> j{second} [ltail=cluster_{number - 1}, lhead=cluster_{number}, "
            "style=dashed];"
        )
    for i, job in enumerate(plan.jobs):
        for need in job.needs:
            if need in index:
                lines.append(f"  j{index[need]} -> j{i};")
    lines.append("}")
    return "\n".join(lines) + "\n"
