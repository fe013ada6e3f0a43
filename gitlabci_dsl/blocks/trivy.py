"""Trivy image scans that gate deployments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import attrs

from ..errors import ValidationError
from ..model._base import Node, checked
from ..model.artifacts import Artifacts
from ..model.cache import Cache
from ..model.image import Image
from ..model.job import Job, Stage
from ..model.reports import Reports
from ..model.rules import Rule
from ._shell import command
from .registry import ImageRef, Registry

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


def _severity(inst: TrivyScan, attr: object, value: Sequence[str]) -> None:
    if isinstance(value, str) or not value:
        raise ValidationError(
            f"TrivyScan {inst.name!r}: severity must be a non-empty list such as ['CRITICAL', 'HIGH']"
        )
    bad = [s for s in value if s not in SEVERITIES]
    if bad:
        raise ValidationError(
            f"TrivyScan {inst.name!r}: severity {bad!r} is not a Trivy severity; use "
            f"{', '.join(SEVERITIES)}"
        )
    object.__setattr__(inst, "severity", tuple(value))


def _reports(inst: TrivyScan, attr: object, value: Sequence[str]) -> None:
    if isinstance(value, str):
        raise ValidationError(f"TrivyScan {inst.name!r}: reports must be a list, e.g. ['gitlab']")
    bad = [r for r in value if r not in _REPORT_FILES]
    if bad:
        raise ValidationError(
            f"TrivyScan {inst.name!r}: reports {bad!r} unknown; use 'gitlab', 'json' or 'sarif'"
        )
    object.__setattr__(inst, "reports", tuple(value))


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class TrivyScan(Node):
    """Scan an image with Trivy and fail the job on findings: ``TrivyScan(image=build.image_ref)``.

    Registry credentials reach Trivy as ``TRIVY_USERNAME``/``TRIVY_PASSWORD`` variables. By
    default ``--exit-code 1 --severity CRITICAL,HIGH``: deployments that ``need`` this job do not
    run while such vulnerabilities exist. ``allow_failure`` stays off unless you ask for it.
    ``reports`` writes GitLab's ``container_scanning`` report (shown in merge requests) and/or
    JSON or SARIF files, uploaded even when the scan fails.
    """

    image: ImageRef | str
    name: str = "container-scan"
    stage: Stage | str | None = "scan"
    registry: Registry = attrs.field(factory=Registry.gitlab)
    severity: Sequence[str] = attrs.field(default=("CRITICAL", "HIGH"), validator=_severity)
    exit_code: int = 1
    ignore_unfixed: bool = False
    reports: Sequence[ReportFormat] = attrs.field(default=("gitlab",), validator=_reports)
    allow_failure: bool = False
    scanner: str = TRIVY_IMAGE
    rules: Sequence[Rule] | None = None
    needs: Sequence[Job | str] | None = None

    def _check(self) -> None:
        ImageRef.parse(str(self.image))
        ImageRef.parse(self.scanner)
        if type(self.exit_code) is not int or not 0 <= self.exit_code <= 255:
            raise ValidationError(
                f"TrivyScan {self.name!r}: exit_code={self.exit_code!r} must be 0-255"
            )

    def job(self) -> Job:
        """The scan job."""
        target = f'"{self.image}"'
        variables = {"TRIVY_CACHE_DIR": ".trivycache/", "TRIVY_NO_PROGRESS": "true"}
        script = []
        if self.registry.kind == "gar":
            script.append(
                f'export TRIVY_USERNAME=_json_key TRIVY_PASSWORD="$(cat "{self.registry.password}")"'
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
