"""Small option objects of job keywords: retry, allow_failure, inherit, hooks, pages, id_tokens..."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs

from ..gitlab import facts
from .base import EXTRA, LIST, Node, checked, choice, choices, fail, int_range, of, seq, shaped

if TYPE_CHECKING:
    from .values import Reference

__all__ = [
    "RETRY_WHEN",
    "AllowFailure",
    "DastConfiguration",
    "Hooks",
    "IdToken",
    "Inherit",
    "OnlyExcept",
    "Pages",
    "Retry",
]

RETRY_WHEN: tuple[str, ...] = (
    "always",
    "unknown_failure",
    "script_failure",
    "api_failure",
    "stuck_or_timeout_failure",
    "stuck_pending_with_matching_runners",
    "stuck_pending_no_matching_runners",
    "no_updates_running",
    "no_updates_canceling",
    "runner_system_failure",
    "runner_configuration_error",
    "runner_external_dependency_failure",
    "runner_interrupted",
    "runner_unsupported",
    "stale_schedule",
    "job_execution_timeout",
    "server_timeout_running",
    "server_timeout_canceling",
    "archived_failure",
    "unmet_prerequisites",
    "scheduler_failure",
    "data_integrity_failure",
)

INHERITABLE_DEFAULTS = facts.INHERITABLE_DEFAULTS


@shaped(LIST)
def _exit_codes(inst: Any, attr: Any, value: Any) -> None:
    if value is None:
        return
    if type(value) is int:
        object.__setattr__(inst, attr.name, (value,))
        return
    if not isinstance(value, (list, tuple)) or not value or not all(type(v) is int for v in value):
        fail(
            inst,
            attr.name,
            value,
            "must be an exit code or a non-empty list of them",
            "allow_failureexit_codes",
        )
    if len(set(value)) != len(value):
        fail(inst, attr.name, value, "must not repeat a code", "allow_failureexit_codes")
    object.__setattr__(inst, attr.name, tuple(value))


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class AllowFailure(Node):
    """``allow_failure: {exit_codes: [...]}``: only these exit codes are soft failures.

    See https://docs.gitlab.com/ci/yaml/#allow_failureexit_codes
    """

    exit_codes: Sequence[int] | int = attrs.field(validator=_exit_codes)
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Retry(Node):
    """``retry: {max, when, exit_codes}``. See https://docs.gitlab.com/ci/yaml/#retry"""

    max: int | None = attrs.field(default=None, validator=int_range(0, 2, "retry"))
    when: Sequence[str] | str | None = attrs.field(
        default=None, validator=choices(*RETRY_WHEN, anchor="retrywhen")
    )
    exit_codes: Sequence[int] | int | None = attrs.field(default=None, validator=_exit_codes)
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)


def _inherit_value(allowed: tuple[str, ...] | None) -> Any:
    def check(inst: Any, attr: Any, value: Any) -> None:
        if value is None or type(value) is bool:
            return
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            if allowed is not None:
                bad = [v for v in value if v not in allowed]
                if bad:
                    fail(inst, attr.name, value, f"can only name {', '.join(allowed)}", "inherit")
            object.__setattr__(inst, attr.name, tuple(value))
            return
        fail(inst, attr.name, value, "must be True, False or a list of names", "inherit")

    return shaped(LIST)(check)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Inherit(Node):
    """``inherit: {default, variables}``: which defaults and global variables a job takes.

    See https://docs.gitlab.com/ci/yaml/#inherit
    """

    default: bool | Sequence[str] | None = attrs.field(
        default=None, validator=_inherit_value(INHERITABLE_DEFAULTS)
    )
    variables: bool | Sequence[str] | None = attrs.field(
        default=None, validator=_inherit_value(None)
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Hooks(Node):
    """``hooks: {pre_get_sources_script}``. See https://docs.gitlab.com/ci/yaml/#hooks"""

    pre_get_sources_script: Sequence[str | Reference] | str | Reference | None = attrs.field(
        default=None,
        validator=seq(
            str,
            nodes=("Reference",),
            what="shell commands",
            one=True,
            anchor="hookspre_get_sources_script",
        ),
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Pages(Node):
    """``pages: {path_prefix, expire_in, publish}`` for a GitLab Pages job.

    See https://docs.gitlab.com/ci/yaml/#pages
    """

    path_prefix: str | None = attrs.field(
        default=None, validator=of(str, what="a string", anchor="pagespagespath_prefix")
    )
    expire_in: str | None = attrs.field(
        default=None, validator=of(str, what="a string", anchor="pagesexpire_in")
    )
    publish: str | None = attrs.field(
        default=None, validator=of(str, what="a string", anchor="pagespublish")
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class DastConfiguration(Node):
    """``dast_configuration: {site_profile, scanner_profile}`` (Ultimate).

    See https://docs.gitlab.com/ci/yaml/#dast_configuration
    """

    site_profile: str | None = attrs.field(
        default=None, validator=of(str, what="a string", anchor="dast_configuration")
    )
    scanner_profile: str | None = attrs.field(
        default=None, validator=of(str, what="a string", anchor="dast_configuration")
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)


@shaped(LIST)
def _aud(inst: Any, attr: Any, value: Any) -> None:
    if isinstance(value, str) and value:
        return
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        if len(set(value)) != len(value):
            fail(inst, "aud", value, "must not repeat an audience", "id_tokens")
        object.__setattr__(inst, "aud", tuple(value))
        return
    fail(inst, "aud", value, "must be an audience string or a non-empty list of them", "id_tokens")


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class IdToken(Node):
    """An OIDC ID token: ``id_tokens={"VAULT_ID_TOKEN": IdToken(aud="https://vault.example.com")}``.

    See https://docs.gitlab.com/ci/yaml/#id_tokens
    """

    aud: str | Sequence[str] = attrs.field(validator=_aud)
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class OnlyExcept(Node):
    """The object form of the deprecated ``only``/``except`` (prefer ``rules``).

    See https://docs.gitlab.com/ci/yaml/deprecated_keywords/#only--except
    """

    refs: Sequence[str] | None = attrs.field(
        default=None, validator=seq(str, what="ref names or patterns", anchor="only--except")
    )
    variables: Sequence[str] | None = attrs.field(
        default=None, validator=seq(str, what="expressions", anchor="only--except")
    )
    changes: Sequence[str] | None = attrs.field(
        default=None, validator=seq(str, what="paths", anchor="only--except")
    )
    kubernetes: Literal["active"] | None = attrs.field(
        default=None, validator=choice("active", anchor="only--except")
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)
