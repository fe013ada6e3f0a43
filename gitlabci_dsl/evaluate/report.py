"""How ``explain`` shows a :class:`~gitlabci_dsl.evaluate.pipeline.Plan`: text for people, JSON
for scripts. Both list the jobs stage by stage, in the order GitLab shows them."""

from __future__ import annotations

import json
from typing import Any

from .pipeline import Plan, stage_groups

__all__ = ["as_data", "as_json", "as_text"]


def as_data(plan: Plan) -> dict[str, Any]:
    """The plan as plain data: ``{"pipeline": bool, "jobs": [{name, stage, when,
    allow_failure, needs}, ...]}``, ``"refused": [why, ...]`` when GitLab refuses it, and
    ``"children": [{"job": trigger job, "files": [...], ...the child's plan}, ...]`` for the
    child pipelines its trigger jobs start."""
    listed = [
        {
            "name": job.name,
            "stage": job.stage,
            "when": job.when,
            "allow_failure": job.allow_failure,
            "needs": list(job.needs),
        }
        for job in plan.jobs
    ]
    found: dict[str, Any] = {"pipeline": plan.pipeline, "jobs": listed}
    if plan.refused:
        found["refused"] = [refusal.message() for refusal in plan.refused]
    if plan.children:
        found["children"] = [
            {"job": child.job, "files": list(child.plan.files), **as_data(child.plan)}
            for child in plan.children
        ]
    return found


def as_json(plan: Plan) -> str:
    return json.dumps(as_data(plan), indent=2)


def as_text(plan: Plan, on: str) -> str:
    """``branch:main: pipeline created``, then each stage's jobs (when, may fail, needs, the
    images they push), then the notes on what could not be decided offline, then each child
    pipeline a trigger job starts, indented under ``child pipeline of JOB``."""
    return "\n".join(_lines(plan, on))


def _lines(plan: Plan, title: str) -> list[str]:
    if plan.refused:
        lines = [f"{title}: no pipeline: GitLab refuses it"]
        lines += [f"error: {refusal.message()}" for refusal in plan.refused]
        lines.append("jobs it would have had:")
    else:
        lines = [f"{title}: {'pipeline created' if plan.pipeline else 'no pipeline'}"]
    for stage, members in stage_groups(plan):
        lines.append(f"stage {stage}:")
        for job in (plan.jobs[i] for i in members):
            extra = " (may fail)" if job.allow_failure else ""
            needs = f", needs {', '.join(job.needs)}" if job.needs else ""
            lines.append(f"  {job.name}: {job.when}{extra}{needs}")
            lines += [f"    pushes {image}" for image in job.pushes]
    lines += [f"note: {note}" for note in plan.notes]
    for child in plan.children:
        files = f" ({', '.join(child.plan.files)})" if child.plan.files else ""
        lines += [
            "  " + line for line in _lines(child.plan, f"child pipeline of {child.job}{files}")
        ]
    return lines
