"""``artifacts`` and its ``reports``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs

from ._base import EXTRA, Node, checked, choice, duration, fail, of, seq

__all__ = ["REPORT_TYPES", "Artifacts", "CoverageReport", "Reports"]


def _paths(anchor: str) -> Any:
    return seq(str, what="paths", one=True, anchor=anchor)


_ONE = "artifactsreports"


def _report(anchor: str = _ONE) -> Any:
    return seq(str, what="report file paths", one=True, anchor=anchor)


def _single(anchor: str = _ONE) -> Any:
    return of(str, what="a report file path", anchor=anchor)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class CoverageReport(Node):
    """``reports:coverage_report``. See https://docs.gitlab.com/ci/yaml/artifacts_reports/#artifactsreportscoverage_report"""

    coverage_format: Literal["cobertura", "jacoco"] | None = attrs.field(
        default=None, validator=choice("cobertura", "jacoco", anchor=_ONE)
    )
    path: str | None = attrs.field(default=None, validator=_single())
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)


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

_WHEN = choice("on_success", "on_failure", "always", anchor="artifactswhen")


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Artifacts(Node):
    """``artifacts``: files kept after the job. See https://docs.gitlab.com/ci/yaml/#artifacts"""

    paths: Sequence[str] | None = attrs.field(default=None, validator=_paths("artifactspaths"))
    exclude: Sequence[str] | None = attrs.field(default=None, validator=_paths("artifactsexclude"))
    expose_as: str | None = attrs.field(
        default=None, validator=of(str, what="a string", anchor="artifactsexpose_as")
    )
    name: str | None = attrs.field(
        default=None, validator=of(str, what="a string", anchor="artifactsname")
    )
    untracked: bool | None = attrs.field(
        default=None, validator=of(bool, what="True or False", anchor="artifactsuntracked")
    )
    when: Literal["on_success", "on_failure", "always"] | None = attrs.field(
        default=None, validator=_WHEN
    )
    access: Literal["none", "developer", "maintainer", "all"] | None = attrs.field(
        default=None,
        validator=choice("none", "developer", "maintainer", "all", anchor="artifactsaccess"),
    )
    public: bool | None = attrs.field(
        default=None, validator=of(bool, what="True or False", anchor="artifactspublic")
    )
    expire_in: str | None = attrs.field(
        default=None, validator=duration("artifactsexpire_in", never=True)
    )
    reports: Reports | None = attrs.field(
        default=None,
        validator=of(nodes=("Reports",), what="Reports(...)", anchor="artifactsreports"),
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)

    def _check(self) -> None:
        if self.public is not None and self.access is not None:
            fail(
                self,
                "public",
                self.public,
                "cannot be combined with access; use access only",
                "artifactsaccess",
            )
