"""Debug registry access: reachability, authentication, tags and a manifest — no secret echoed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from .. import ci
from ..model.base import checked, fail, shaped, validator_shape
from ..model.image import Image
from ..model.job import Job, Stage
from ..model.rules import Rule
from ..model.sources import runs_on
from ..model.values import Reference
from ._fields import NAME, NULLABLE, REGISTRY, RULES, STAGE, JobBlock
from ._shell import escape
from .cleanup import CURL_IMAGE
from .registry import (
    Registry,
    image_reference,
    is_digest,
    is_path_component,
    is_tag,
    opaque,
)

__all__ = ["MANIFEST_TYPES", "RegistryDebug"]

# Ask for every manifest kind a registry may hold: multi-platform indexes and single images,
# in OCI and Docker v2 formats. Without these, registries answer with a schema-1 conversion or 404.
MANIFEST_TYPES: tuple[str, ...] = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)


IMAGE_PATH = "${CI_REGISTRY_IMAGE#*/}"
"""The image path in the registry: ``$CI_REGISTRY_IMAGE`` without its host (always lowercase,
unlike ``$CI_PROJECT_PATH``), expanded by the job's shell. Shell syntax of the block's own, the
one value written into the script unescaped."""


def _path(inst: Any, attr: Any, value: Any) -> None:
    if value == IMAGE_PATH:
        return
    if not isinstance(value, str) or not all(
        is_path_component(opaque(part)) for part in value.split("/")
    ):
        fail(
            inst,
            "repository",
            value,
            "must be an image path in the registry, without the host, such as 'group/app/api': "
            "lowercase letters and digits separated by '.', '_', '__', '-' or '/' "
            "($VARIABLES may stand anywhere)",
            "",
        )


def _reference(inst: Any, attr: Any, value: Any) -> None:
    if not isinstance(value, str) or not (is_tag(opaque(value)) or is_digest(opaque(value))):
        fail(
            inst,
            "reference",
            value,
            "must be a tag such as 'latest' or a digest such as 'sha256:<64 hex digits>'",
            "",
        )


@shaped(validator_shape(REGISTRY))
def _registry(inst: Any, attr: Any, value: Any) -> None:
    REGISTRY(inst, attr, value)
    if value.kind not in ("gitlab", "deploy-token", "job-token"):
        fail(
            inst,
            "registry",
            value,
            f"is of kind {value.kind!r}, which is not supported; it checks GitLab's registry, "
            "whose tokens come from $CI_SERVER_URL/jwt/auth",
            "",
        )


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class RegistryDebug(JobBlock):
    """A manual job that checks the registry step by step, as the article's debugging section:

    1. ``GET /v2/`` — is the registry reachable (401 means "reachable, log in")?
    2. a bearer token from GitLab's token endpoint (``$CI_SERVER_URL/jwt/auth``) with the job's
       registry credentials — printed only as "ok", never echoed;
    3. ``GET /v2/<repository>/tags/list``;
    4. ``HEAD /v2/<repository>/manifests/<reference>`` with the OCI and Docker v2 ``Accept``
       headers, printing the media type and digest.

    Credentials reach curl on standard input (``--config -``), never on its command line (the
    article's ``curl --user "$CI_REGISTRY_USER:$CI_REGISTRY_PASSWORD"`` shows them in ``ps``).
    """

    repository: str = attrs.field(default=IMAGE_PATH, validator=_path)
    reference: str = attrs.field(default="latest", validator=_reference)
    registry: Registry = attrs.field(factory=Registry.gitlab, validator=_registry)
    name: str = attrs.field(default="registry-debug", validator=NAME)
    stage: Stage | str | None = attrs.field(default="build", validator=STAGE, metadata=NULLABLE)
    curl_image: str = attrs.field(default=CURL_IMAGE, validator=image_reference())
    rules: Sequence[Rule | Reference] | None = attrs.field(
        factory=lambda: runs_on("branches", when="manual"), validator=RULES, metadata=NULLABLE
    )

    def _job(self) -> Job:
        """The debugging job."""
        registry = self.registry
        # Every value below is escaped for the double-quoted words the block writes around it.
        base = f"https://{escape(registry.host)}/v2"
        path = self.repository if self.repository == IMAGE_PATH else escape(self.repository)
        reference = escape(self.reference)
        user, password = escape(registry.user or ""), escape(registry.password or "")
        curl = "curl --fail --silent --show-error"
        bearer = (
            'printf \'header = "Authorization: Bearer %s"\\n\' "$TOKEN" | ' + curl + " --config -"
        )
        accept = ", ".join(MANIFEST_TYPES)
        scope = f"repository:{path}:pull"
        return Job(
            self.name,
            stage=self.stage,
            image=Image(self.curl_image, entrypoint=[""]),
            rules=self.rules,
            allow_failure=True,
            script=[
                f'echo "GET {base}/ -> HTTP $(curl --silent --output /dev/null --write-out \'%{{http_code}}\' "{base}/")"',
                "TOKEN=$(printf 'user = \"%s:%s\"\\n' "
                f'"{user}" "{password}" | {curl} --config - '
                f'"{ci.SERVER_URL}/jwt/auth?service=container_registry&scope={scope}" '
                '| sed -n \'s/.*"token":"\\([^"]*\\)".*/\\1/p\')',
                'if [ -n "$TOKEN" ]; then echo "authentication: ok"; else echo "authentication: failed"; exit 1; fi',
                f'{bearer} "{base}/{path}/tags/list"',
                f'{bearer} --head --header "Accept: {accept}" "{base}/{path}/manifests/{reference}" '
                "| grep -i -E '^(content-type|docker-content-digest):'",
            ],
        )
