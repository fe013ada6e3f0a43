"""The stage and ``needs`` graph of a pipeline, as Mermaid or Graphviz DOT text.

Each stage is a box of its jobs, stages in order are joined by an arrow, and a job's ``needs``
are arrows from the jobs it needs (a job with ``needs`` starts as soon as they finish; the
others wait for the previous stage). The child pipeline a trigger job starts is a box of its
own, its stages inside, with an arrow from the trigger job.
"""

from __future__ import annotations

from .pipeline import Plan, PlannedJob, stage_groups

__all__ = ["dot", "mermaid"]


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mermaid(plan: Plan) -> str:
    """A Mermaid ``flowchart`` (GitLab and GitHub render it in Markdown)."""
    return "\n".join(["flowchart LR", *_mermaid(plan, "", "  ")]) + "\n"


def _mermaid(plan: Plan, prefix: str, indent: str) -> list[str]:
    index = {job.name: i for i, job in enumerate(plan.jobs)}
    lines = []
    stages = stage_groups(plan)
    for number, (stage, members) in enumerate(stages):
        lines.append(f"{indent}subgraph {prefix}s{number} [{_mermaid_label(stage)}]")
        for i in members:
            lines.append(f"{indent}  {prefix}j{i}[{_mermaid_label(_job_label(plan.jobs[i]))}]")
        lines.append(f"{indent}end")
    for number in range(1, len(stages)):
        lines.append(f"{indent}{prefix}s{number - 1} --> {prefix}s{number}")
    for i, job in enumerate(plan.jobs):
        for need in job.needs:
            if need in index:
                lines.append(f"{indent}{prefix}j{index[need]} --> {prefix}j{i}")
    for number, child in enumerate(plan.children):
        inner = f"{prefix}c{number}"
        label = _mermaid_label(f"child pipeline of {child.job}")
        lines.append(f"{indent}subgraph {inner} [{label}]")
        lines += _mermaid(child.plan, f"{inner}_", indent + "  ")
        lines.append(f"{indent}end")
        lines.append(f"{indent}{prefix}j{index[child.job]} --> {inner}")
    return lines


def _job_label(job: PlannedJob) -> str:
    """The job's name, with its ``when`` unless it runs on success."""
    return job.name if job.when == "on_success" else f"{job.name} ({job.when})"


def _mermaid_label(text: str) -> str:
    return '"' + text.replace('"', "#quot;") + '"'


def dot(plan: Plan) -> str:
    """A Graphviz ``digraph``: one cluster per stage, ``needs`` as solid edges, stage order as
    dashed edges between clusters, each child pipeline a cluster of its stages."""
    head = ["digraph pipeline {", "  rankdir=LR;", "  compound=true;", "  node [shape=box];"]
    return "\n".join([*head, *_dot(plan, "", "  "), "}"]) + "\n"


def _dot(plan: Plan, prefix: str, indent: str) -> list[str]:
    index = {job.name: i for i, job in enumerate(plan.jobs)}
    lines = []
    stages = stage_groups(plan)
    for number, (stage, members) in enumerate(stages):
        lines.append(f"{indent}subgraph cluster_{prefix}{number} {{")
        lines.append(f"{indent}  label={_quoted(stage)};")
        for i in members:
            lines.append(f"{indent}  {prefix}j{i} [label={_quoted(_job_label(plan.jobs[i]))}];")
        lines.append(f"{indent}}}")
    for number in range(1, len(stages)):
        first, second = stages[number - 1][1][0], stages[number][1][0]
        lines.append(
            f"{indent}{prefix}j{first} -> {prefix}j{second} [ltail=cluster_{prefix}{number - 1}, "
            f"lhead=cluster_{prefix}{number}, style=dashed];"
        )
    for i, job in enumerate(plan.jobs):
        for need in job.needs:
            if need in index:
                lines.append(f"{indent}{prefix}j{index[need]} -> {prefix}j{i};")
    for number, child in enumerate(plan.children):
        inner = f"{prefix}c{number}_"
        lines.append(f"{indent}subgraph cluster_{inner} {{")
        lines.append(f"{indent}  label={_quoted(f'child pipeline of {child.job}')};")
        lines += _dot(child.plan, inner, indent + "  ")
        lines.append(f"{indent}}}")
        if child.plan.jobs:
            lines.append(
                f"{indent}{prefix}j{index[child.job]} -> {inner}j0 [lhead=cluster_{inner}];"
            )
    return lines
