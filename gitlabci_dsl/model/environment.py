"""``environment``: where a job deploys to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import attrs

from .base import EXTRA, Node, checked, choice, duration, fail, nonempty_str, of

if TYPE_CHECKING:
    from .job import Job

__all__ = ["DEPLOYMENT_TIERS", "Environment", "KubernetesEnvironment"]

DEPLOYMENT_TIERS: tuple[str, ...] = ("production", "staging", "testing", "development", "other")


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class KubernetesEnvironment(Node):
    """``environment:kubernetes``: the agent and namespace for the Kubernetes dashboard.

    See https://docs.gitlab.com/ci/yaml/#environmentkubernetes
    """

    agent: str | None = attrs.field(default=None, validator=nonempty_str("environmentkubernetes"))
    namespace: str | None = attrs.field(
        default=None, validator=nonempty_str("environmentkubernetes")
    )
    flux_resource_path: str | None = attrs.field(
        default=None, validator=nonempty_str("environmentkubernetes")
    )
    managed_resources: bool | None = attrs.field(
        default=None, validator=of(bool, what="True or False", anchor="environmentkubernetes")
    )
    dashboard: Mapping[str, str] | None = attrs.field(
        default=None,
        validator=of(
            Mapping, what="{namespace, flux_resource_path}", anchor="environmentkubernetes"
        ),
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)


# GitLab's schema: an http(s) URL or a value starting with $VARIABLE (not ${VARIABLE}), one
# line: (https?://.+|\$[A-Za-z].*), told by string methods, which cost no regex compile.
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _is_url(value: str) -> bool:
    if "\n" in value:
        return False
    for scheme in ("http://", "https://"):
        if value.startswith(scheme):
            return len(value) > len(scheme)
    return len(value) > 1 and value[0] == "$" and value[1] in _LETTERS


def _url(inst: Any, attr: Any, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not _is_url(value):
        fail(
            inst,
            "url",
            value,
            "must start with http://, https:// or $VARIABLE (GitLab's schema rejects ${VARIABLE} here)",
            "environmenturl",
        )


def _env_name(inst: Any, attr: Any, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        fail(inst, "name", value, "must be a non-empty environment name", "environmentname")


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Environment(Node):
    """``environment`` with options: ``Environment("production", url="https://app.example.com")``.

    ``on_stop`` takes the stopping ``Job`` or its name. See https://docs.gitlab.com/ci/yaml/#environment
    """

    name: str = attrs.field(kw_only=False, validator=_env_name)
    url: str | None = attrs.field(default=None, validator=_url)
    on_stop: Job | str | None = attrs.field(
        default=None,
        validator=of(str, nodes=("Job",), what="a Job or job name", anchor="environmenton_stop"),
    )
    action: Literal["start", "prepare", "stop", "verify", "access"] | None = attrs.field(
        default=None,
        validator=choice(
            "start", "prepare", "stop", "verify", "access", anchor="environmentaction"
        ),
    )
    auto_stop_in: str | None = attrs.field(
        default=None, validator=duration("environmentauto_stop_in", never=True)
    )
    kubernetes: KubernetesEnvironment | None = attrs.field(
        default=None,
        validator=of(
            nodes=("KubernetesEnvironment",),
            what="KubernetesEnvironment(...)",
            anchor="environmentkubernetes",
        ),
    )
    deployment_tier: Literal["production", "staging", "testing", "development", "other"] | None = (
        attrs.field(
            default=None, validator=choice(*DEPLOYMENT_TIERS, anchor="environmentdeployment_tier")
        )
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)
