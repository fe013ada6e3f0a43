"""``secrets``: values a job reads from an external secrets manager."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ..errors import ValidationError
from .base import DOCS, EXTRA, Node, checked, nonempty_str, of, pattern

__all__ = [
    "AwsSecret",
    "AzureSecret",
    "GcpSecret",
    "GitlabSecret",
    "Secret",
    "VaultEngine",
    "VaultSecret",
]

_A = "secrets"


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class VaultEngine(Node):
    """``vault:engine``: ``VaultEngine(name="kv-v2", path="secret")``."""

    name: str = attrs.field(validator=nonempty_str("secretsvault"))
    path: str = attrs.field(validator=nonempty_str("secretsvault"))
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class VaultSecret(Node):
    """HashiCorp Vault secret. See https://docs.gitlab.com/ci/yaml/#secretsvault"""

    engine: VaultEngine = attrs.field(
        validator=of(nodes=("VaultEngine",), what="VaultEngine(...)", anchor="secretsvault")
    )
    path: str = attrs.field(validator=nonempty_str("secretsvault"))
    field: str = attrs.field(validator=nonempty_str("secretsvault"))
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class GcpSecret(Node):
    """Google Cloud Secret Manager secret. See https://docs.gitlab.com/ci/yaml/#secretsgcp_secret_manager"""

    name: str = attrs.field(validator=nonempty_str("secretsgcp_secret_manager"))
    version: str | int | None = attrs.field(
        default=None, validator=of(str, int, what="a version", anchor=_A)
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class AzureSecret(Node):
    """Azure Key Vault secret. See https://docs.gitlab.com/ci/yaml/#secretsazure_key_vault"""

    name: str = attrs.field(validator=nonempty_str("secretsazure_key_vault"))
    version: str | None = attrs.field(default=None, validator=of(str, what="a version", anchor=_A))
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class AwsSecret(Node):
    """AWS Secrets Manager secret. See https://docs.gitlab.com/ci/yaml/#secretsaws_secrets_manager"""

    secret_id: str = attrs.field(validator=nonempty_str("secretsaws_secrets_manager"))
    version_id: str | None = attrs.field(
        default=None, validator=of(str, what="a string", anchor=_A)
    )
    version_stage: str | None = attrs.field(
        default=None, validator=of(str, what="a string", anchor=_A)
    )
    region: str | None = attrs.field(default=None, validator=of(str, what="a string", anchor=_A))
    role_arn: str | None = attrs.field(default=None, validator=of(str, what="a string", anchor=_A))
    role_session_name: str | None = attrs.field(
        default=None, validator=of(str, what="a string", anchor=_A)
    )
    field: str | None = attrs.field(default=None, validator=of(str, what="a string", anchor=_A))
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class GitlabSecret(Node):
    """GitLab Secrets Manager secret. See https://docs.gitlab.com/ci/yaml/#secretsgitlab_secrets_manager"""

    name: str = attrs.field(
        validator=pattern(r"[a-zA-Z0-9_]+", "must be letters, digits and '_'", _A)
    )
    source: str | None = attrs.field(default=None, validator=of(str, what="a string", anchor=_A))
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)


_PROVIDERS = (
    "vault",
    "gcp_secret_manager",
    "azure_key_vault",
    "aws_secrets_manager",
    "gitlab_secrets_manager",
)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Secret(Node):
    """One entry of ``secrets``: exactly one provider, plus ``file`` and ``token``.

    ``Secret(vault="production/db/password@ops", token="$VAULT_ID_TOKEN")``.
    See https://docs.gitlab.com/ci/yaml/#secrets
    """

    vault: str | VaultSecret | None = attrs.field(
        default=None,
        validator=of(
            str,
            nodes=("VaultSecret",),
            what="'path/field@engine' or VaultSecret(...)",
            anchor="secretsvault",
        ),
    )
    gcp_secret_manager: GcpSecret | None = attrs.field(
        default=None,
        validator=of(
            nodes=("GcpSecret",), what="GcpSecret(...)", anchor="secretsgcp_secret_manager"
        ),
    )
    azure_key_vault: AzureSecret | None = attrs.field(
        default=None,
        validator=of(
            nodes=("AzureSecret",), what="AzureSecret(...)", anchor="secretsazure_key_vault"
        ),
    )
    aws_secrets_manager: str | AwsSecret | None = attrs.field(
        default=None,
        validator=of(
            str,
            nodes=("AwsSecret",),
            what="a secret id or AwsSecret(...)",
            anchor="secretsaws_secrets_manager",
        ),
    )
    gitlab_secrets_manager: GitlabSecret | None = attrs.field(
        default=None,
        validator=of(
            nodes=("GitlabSecret",),
            what="GitlabSecret(...)",
            anchor="secretsgitlab_secrets_manager",
        ),
    )
    file: bool | None = attrs.field(
        default=None, validator=of(bool, what="True or False", anchor="secretsfile")
    )
    token: str | None = attrs.field(default=None, validator=nonempty_str("secretstoken"))
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)

    def _check(self) -> None:
        present = [p for p in _PROVIDERS if getattr(self, p) is not None]
        if len(present) != 1 and self.extra is None:
            raise ValidationError(
                f"Secret: set exactly one provider of {', '.join(_PROVIDERS)} "
                f"(got {', '.join(present) or 'none'}). See {DOCS}#secrets"
            )
        if self.gcp_secret_manager is not None and self.token is None:
            raise ValidationError(
                f"Secret: gcp_secret_manager needs token=... (an id_tokens variable). See {DOCS}#secretsgcp_secret_manager"
            )
