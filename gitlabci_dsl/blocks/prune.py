"""Registry pruning through the registry's own API (any registry), with skopeo.

``RegistryCleanup`` asks GitLab's API, which deletes tags. A registry that only speaks the
Docker Registry HTTP API (distribution, Harbor's core, a mirror target) deletes *manifests*,
by digest, and deleting a digest deletes every tag that points at it. ``RegistryPrune``
therefore first collects the digests of the tags it keeps, and never deletes one of those: a
tag that shares its digest with a kept tag stays, and the job says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from .. import ci
from ..model.base import checked, fail, shaped, validator_shape
from ..model.image import Image
from ..model.job import Job, Need, Stage
from ..model.rules import Rule
from ..model.values import Reference
from ..model.variable import Variable
from ._fields import (
    BOOL,
    NAME,
    NEEDS,
    NULLABLE,
    REGISTRY,
    RULES,
    STAGE,
    JobBlock,
    scheduled_pipelines,
)
from .cleanup import check_regex
from .mirror import SKOPEO_IMAGE
from .registry import PRIVATE_AUTH_FILE, Registry, image_reference, repository_field

__all__ = ["RegistryPrune"]


def _regex(inst: Any, attr: Any, value: Any) -> None:
    """A valid regex (RegistryCleanup's check) that a single-quoted shell word can hold."""
    check_regex(inst, attr, value)
    if "'" in value:
        fail(inst, attr.name, value, "must not contain a quote (')", "")


@shaped(validator_shape(REGISTRY))
def _registry(inst: Any, attr: Any, value: Any) -> None:
    REGISTRY(inst, attr, value)
    if value.kind in ("ecr", "gar"):
        fail(
            inst,
            "registry",
            value,
            f"is of kind {value.kind!r}, which is not supported; use the cloud provider's "
            "lifecycle policies for ECR and Artifact Registry",
            "",
        )


# The digest of a tag: the SHA-256 of its manifest exactly as the registry stores it (an image
# index stays an index), which is what DELETE /v2/<name>/manifests/<digest> takes.
_DIGEST = (
    'MANIFEST="$(mktemp)"\n'
    "digest_of() {\n"
    '  skopeo inspect --raw "docker://$REPO:$1" > "$MANIFEST" || return 1\n'
    "  printf 'sha256:%s' \"$(sha256sum < \"$MANIFEST\" | cut -d' ' -f1)\"\n"
    "}"
)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class RegistryPrune(JobBlock):
    """Delete the tags of ``repository`` that match ``name_regex_delete`` and not
    ``name_regex_keep``, through the registry API, on scheduled pipelines.

    ``RegistryPrune(name_regex_keep="^(main|latest|v.+)$")``. A tag whose digest is also the
    digest of a kept tag is never deleted (deleting the digest would delete the kept tag too).
    ``dry_run=True`` prints what it would delete. The registry needs deletion enabled.
    """

    name: str = attrs.field(default="registry-prune", validator=NAME)
    stage: Stage | str | None = attrs.field(default="cleanup", validator=STAGE, metadata=NULLABLE)
    repository: str = attrs.field(default=ci.REGISTRY_IMAGE, validator=repository_field(tags=False))
    name_regex_delete: str = attrs.field(default=".*", validator=_regex)
    name_regex_keep: str = attrs.field(default="^(main|latest|v.+)$", validator=_regex)
    registry: Registry = attrs.field(factory=Registry.gitlab, validator=_registry)
    dry_run: bool = attrs.field(default=False, validator=BOOL)
    skopeo_image: str = attrs.field(default=SKOPEO_IMAGE, validator=image_reference())
    # Never None: a job that deletes images runs only where its rules say.
    rules: Sequence[Rule | Reference] = attrs.field(factory=scheduled_pipelines, validator=RULES)
    needs: Sequence[Job | Need | str] | None = attrs.field(default=None, validator=NEEDS)

    def _job(self) -> Job:
        """The prune job."""
        delete = (
            'echo "dry run: would delete $tag ($digest)"'
            if self.dry_run
            else 'skopeo delete "docker://$REPO@$digest"\n      echo "deleted $tag ($digest)"'
        )
        # The regexes hold '$' (end of line): not for GitLab to expand.
        return Job(
            self.name,
            stage=self.stage,
            image=Image(self.skopeo_image, entrypoint=[""]),
            variables={
                "REPO": self.repository,
                "DELETE": Variable(value=self.name_regex_delete, expand=False),
                "KEEP": Variable(value=self.name_regex_keep, expand=False),
            },
            needs=self.needs,
            rules=self.rules,
            before_script=[PRIVATE_AUTH_FILE, self.registry.docker_login("skopeo")],
            script=[
                _DIGEST,
                # The tags, one per line, from skopeo's JSON (no jq in the image).
                'TAGS=$(skopeo list-tags "docker://$REPO" | sed -n \'/"Tags"/,/]/p\' '
                "| grep -o '\"[^\"]*\"' | tr -d '\"' | grep -v '^Tags$' || true)",
                'KEPT=""\n'
                "for tag in $TAGS; do\n"
                '  if printf \'%s\' "$tag" | grep -Eq "$KEEP" '
                '|| ! printf \'%s\' "$tag" | grep -Eq "$DELETE"; then\n'
                '    KEPT="$KEPT $(digest_of "$tag")"\n'
                "  fi\n"
                "done",
                "for tag in $TAGS; do\n"
                '  printf \'%s\' "$tag" | grep -Eq "$KEEP" && continue\n'
                '  printf \'%s\' "$tag" | grep -Eq "$DELETE" || continue\n'
                '  digest=$(digest_of "$tag") || { echo "deleted $tag with its digest above"; continue; }\n'
                '  case " $KEPT " in\n'
                '    *" $digest "*) echo "kept $tag: $digest is also a kept tag\'s" ;;\n'
                f"    *)\n      {delete} ;;\n"
                "  esac\n"
                "done",
            ],
        )
