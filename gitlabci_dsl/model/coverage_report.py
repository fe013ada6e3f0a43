"""``artifacts:reports:coverage_report``: a Cobertura or JaCoCo coverage file."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

from .base import EXTRA, Node, checked, choice, of

__all__ = ["CoverageReport"]

_ONE = "artifactsreports"


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class CoverageReport(Node):
    """``reports:coverage_report``. See https://docs.gitlab.com/ci/yaml/artifacts_reports/#artifactsreportscoverage_report"""

    coverage_format: Literal["cobertura", "jacoco"] | None = attrs.field(
        default=None, validator=choice("cobertura", "jacoco", anchor=_ONE)
    )
    path: str | None = attrs.field(
        default=None, validator=of(str, what="a report file path", anchor=_ONE)
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)
