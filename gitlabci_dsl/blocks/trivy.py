"""Trivy image scans that gate deployments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import attrs

from ..model.artifacts import Artifacts
from ..model.base import LIST, all_of, checked, fail, int_range, of, shaped
from ..model.cache import Cache
from ..model.image import Image
from ..model.job import Job, Need, Stage
from ..model.reports import Reports
from ..model.rules import Rule
from ..model.values import Reference
from ._fields import (
    BOOL,
    NAME,
    NEEDS,
    NULLABLE,
    REGISTRY,
    RULES,
    STAGE,
    JobBlock,
    Problem,
    build_pipelines,
    texts,
)
from ._shell import command, quote
from .registry import ImageRef, Registry, image_reference

__all__ = ["SEVERITIES", "TRIVY_IMAGE", "TrivyScan"]

TRIVY_IMAGE = "aquasec/trivy:0.57.1"
"""The pinned scanner image (never ``:latest``)."""

SEVERITIES: tuple[str, ...] = ("UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL")

ReportFormat = Literal["gitlab", "json", "sarif"]

_REPORT_FILES: dict[str, str] = {
    "gitlab": "gl-container-scanning-report.json",
    "json": "trivy-report.json",
    "sarif": "trivy-report.sarif",
}
_REPORT_FLAGS: dict[str, str] = {
    "gitlab": '--format template --template "@/contrib/gitlab.tpl"',
    "json": "--format json",
    "sarif": "--format sarif",
}


def _among(allowed: Sequence[str], rule: str) -> Problem:
    return lambda value: None if value in allowed else rule


_SEVERITY = texts(
    "Trivy severities",
    _among(SEVERITIES, f"is not a Trivy severity; use {', '.join(SEVERITIES)}"),
)
_REPORTS = texts(
    "report formats",
    _among(tuple(_REPORT_FILES), "is not a report format; use 'gitlab', 'json' or 'sarif'"),
)


@shaped(LIST)
def _severity(inst: Any, attr: Any, value: Any) -> None:
    _SEVERITY(inst, attr, value)
    if not value:
        fail(inst, "severity", value, "must name at least one severity, e.g. ['CRITICAL']", "")


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class TrivyScan(JobBlock):
    """Scan an image with Trivy and fail the job on findings: ``TrivyScan(image=build.image_ref)``.

    Registry credentials reach Trivy as ``TRIVY_USERNAME``/``TRIVY_PASSWORD`` variables. By
    default ``--exit-code 1 --severity CRITICAL,HIGH``: deployments that ``need`` this job do not
    run while such vulnerabilities exist. ``allow_failure`` stays off unless you ask for it.
    ``reports`` writes GitLab's ``container_scanning`` report (shown in merge requests) and/or
    JSON or SARIF files, uploaded even when the scan fails.
    """

    image: ImageRef | str = attrs.field(validator=image_reference(nodes=True))
    name: str = attrs.field(default="container-scan", validator=NAME)
    stage: Stage | str | None = attrs.field(default="scan", validator=STAGE, metadata=NULLABLE)
    registry: Registry = attrs.field(factory=Registry.gitlab, validator=REGISTRY)
    severity: Sequence[str] = attrs.field(default=("CRITICAL", "HIGH"), validator=_severity)
    exit_code: int = attrs.field(
        default=1,
        validator=all_of(of(int, what="a whole number", anchor=""), int_range(0, 255, "")),
    )
    ignore_unfixed: bool = attrs.field(default=False, validator=BOOL)
    reports: Sequence[ReportFormat] = attrs.field(default=("gitlab",), validator=_REPORTS)
    allow_failure: bool = attrs.field(default=False, validator=BOOL)
    scanner: str = attrs.field(default=TRIVY_IMAGE, validator=image_reference())
    rules: Sequence[Rule | Reference] | None = attrs.field(
        factory=build_pipelines, validator=RULES, metadata=NULLABLE
    )
    needs: Sequence[Job | Need | str] | None = attrs.field(default=None, validator=NEEDS)

    def _job(self) -> Job:
        """The scan job."""
        target = quote(str(self.image))
        variables = {"TRIVY_CACHE_DIR": ".trivycache/", "TRIVY_NO_PROGRESS": "true"}
        script = []
        if self.registry.kind == "gar":
            key_file = quote(self.registry.password or "")
            # Assigned, then exported: `export X="$(cat ...)"` would hide a failing cat.
            script.append(
                f'TRIVY_PASSWORD="$(cat {key_file})"\nexport TRIVY_USERNAME=_json_key TRIVY_PASSWORD'
            )
        elif self.registry.kind != "ecr" and self.registry.user and self.registry.password:
            variables["TRIVY_USERNAME"] = self.registry.user
            variables["TRIVY_PASSWORD"] = self.registry.password
        for report in self.reports:
            script.append(
                command(
                    [
                        "trivy image",
                        "--exit-code 0",
                        _REPORT_FLAGS[report],
                        f"--output {_REPORT_FILES[report]}",
                        target,
                    ]
                )
            )
        gate = [
            "trivy image",
            f"--exit-code {self.exit_code}",
            f"--severity {','.join(self.severity)}",
        ]
        if self.ignore_unfixed:
            gate.append("--ignore-unfixed")
        script.append(command([*gate, target]))
        artifacts = None
        if self.reports:
            artifacts = Artifacts(
                when="always",
                expire_in="1 week",
                paths=[_REPORT_FILES[r] for r in self.reports],
                reports=Reports(container_scanning="gl-container-scanning-report.json")
                if "gitlab" in self.reports
                else None,
            )
        return Job(
            self.name,
            stage=self.stage,
            image=Image(self.scanner, entrypoint=[""]),
            variables=variables,
            needs=self.needs,
            rules=self.rules,
            script=script,
            cache=Cache(key="trivy", paths=[".trivycache/"]),
            artifacts=artifacts,
            allow_failure=True if self.allow_failure else None,
        )
