"""``artifacts:reports``: every report type GitLab's schema knows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .base import EXTRA, Node, checked, of, seq

if TYPE_CHECKING:
    from .coverage_report import CoverageReport

__all__ = ["REPORT_TYPES", "Reports"]

_ONE = "artifactsreports"


def _report(anchor: str = _ONE) -> Any:
    return seq(str, what="report file paths", one=True, anchor=anchor)


def _single(anchor: str = _ONE) -> Any:
    return of(str, what="a report file path", anchor=anchor)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Reports(Node):
    """``artifacts:reports``: every report type GitLab's schema knows.

    See https://docs.gitlab.com/ci/yaml/artifacts_reports/
    """

    accessibility: str | None = attrs.field(default=None, validator=_single())
    annotations: str | None = attrs.field(default=None, validator=_single())
    api_fuzzing: Sequence[str] | str | None = attrs.field(default=None, validator=_report())
    browser_performance: str | None = attrs.field(default=None, validator=_single())
    codequality: Sequence[str] | str | None = attrs.field(default=None, validator=_report())
    container_scanning: Sequence[str] | str | None = attrs.field(default=None, validator=_report())
    coverage_fuzzing: Sequence[str] | str | None = attrs.field(default=None, validator=_report())
    coverage_report: CoverageReport | None = attrs.field(
        default=None,
        validator=of(nodes=("CoverageReport",), what="CoverageReport(...)", anchor=_ONE),
    )
    cyclonedx: Sequence[str] | str | None = attrs.field(default=None, validator=_report())
    dast: Sequence[str] | str | None = attrs.field(default=None, validator=_report())
    dependency_scanning: Sequence[str] | str | None = attrs.field(default=None, validator=_report())
    dotenv: Sequence[str] | str | None = attrs.field(default=None, validator=_report())
    junit: Sequence[str] | str | None = attrs.field(default=None, validator=_report())
    license_management: Sequence[str] | str | None = attrs.field(default=None, validator=_report())
    license_scanning: Sequence[str] | str | None = attrs.field(default=None, validator=_report())
    load_performance: Sequence[str] | str | None = attrs.field(default=None, validator=_report())
    lsif: Sequence[str] | str | None = attrs.field(default=None, validator=_report())
    metrics: Sequence[str] | str | None = attrs.field(default=None, validator=_report())
    repository_xray: Sequence[str] | str | None = attrs.field(default=None, validator=_report())
    requirements: Sequence[str] | str | None = attrs.field(default=None, validator=_report())
    sarif: Sequence[str] | str | None = attrs.field(default=None, validator=_report())
    sast: Sequence[str] | str | None = attrs.field(default=None, validator=_report())
    secret_detection: Sequence[str] | str | None = attrs.field(default=None, validator=_report())
    terraform: Sequence[str] | str | None = attrs.field(default=None, validator=_report())
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)


REPORT_TYPES: tuple[str, ...] = tuple(f.name for f in attrs.fields(Reports) if f.name != "extra")
