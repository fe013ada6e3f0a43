"""Debug registry access: reachability, authentication, tags and a manifest — no secret echoed."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from .. import ci
from ..errors import ValidationError
from ..model._base import Node, checked
from ..model.image import Image
from ..model.job import Job, Stage
from ..model.rules import Rule
from .cleanup import CURL_IMAGE
from .registry import Registry

__all__ = ["MANIFEST_TYPES", "RegistryDebug"]

# Ask for every manifest kind a registry may hold: multi-platform indexes and single images,
# in OCI and Docker v2 formats. Without these, registries answer with a schema-1 conversion or 404.
MANIFEST_TYPES: tuple[str, ...] = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class RegistryDebug(Node):
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

    # The image path in the registry: $CI_REGISTRY_IMAGE without its host (always lowercase,
    # unlike $CI_PROJECT_PATH), expanded by the job's shell.
    repository: str = "${CI_REGISTRY_IMAGE#*/}"
    reference: str = "latest"
    registry: Registry = attrs.field(factory=Registry.gitlab)
    name: str = "registry-debug"
    stage: Stage | str | None = "build"
    curl_image: str = CURL_IMAGE
    rules: Sequence[Rule] = attrs.field(factory=lambda: [Rule(if_=ci.COMMIT_BRANCH, when="manual")])

    def _check(self) -> None:
        if self.registry.kind not in ("gitlab", "deploy-token", "job-token"):
            raise ValidationError(
                f"RegistryDebug: registry kind {self.registry.kind!r} is not supported; it checks "
                "GitLab's registry, whose tokens come from $CI_SERVER_URL/jwt/auth"
            )

    def job(self) -> Job:
        """The debugging job."""
        registry = self.registry
        base = f"https://{registry.host}/v2"
        curl = "curl --fail --silent --show-error"
        bearer = (
            'printf \'header = "Authorization: Bearer %s"\\n\' "$TOKEN" | ' + curl + " --config -"
        )
        accept = ", ".join(MANIFEST_TYPES)
        scope = f"repository:{self.repository}:pull"
        return Job(
            self.name,
            stage=self.stage,
            image=Image(self.curl_image, entrypoint=[""]),
            rules=self.rules,
            allow_failure=True,
            script=[
                f'echo "GET {base}/ -> HTTP $(curl --silent --output /dev/null --write-out \'%{{http_code}}\' "{base}/")"',
                "TOKEN=$(printf 'user = \"%s:%s\"\\n' "
                f'"{registry.user}" "{registry.password}" | {curl} --config - '
                f'"{ci.SERVER_URL}/jwt/auth?service=container_registry&scope={scope}" '
                '| sed -n \'s/.*"token":"\\([^"]*\\)".*/\\1/p\')',
                'if [ -n "$TOKEN" ]; then echo "authentication: ok"; else echo "authentication: failed"; exit 1; fi',
                f'{bearer} "{base}/{self.repository}/tags/list"',
                f'{bearer} --head --header "Accept: {accept}" "{base}/{self.repository}/manifests/{self.reference}" '
                "| grep -i -E '^(content-type|docker-content-digest):'",
            ],
        )
