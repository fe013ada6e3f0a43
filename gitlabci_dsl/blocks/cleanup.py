"""Registry cleanup through GitLab's API, on scheduled pipelines only.

The article's ``glab api -X DELETE /projects/:id/registry/repositories --field …`` is not an
endpoint GitLab has. GitLab deletes tags per image repository:
``DELETE /projects/:id/registry/repositories/:repository_id/tags`` with ``name_regex_delete``,
``name_regex_keep``, ``keep_n`` and ``older_than``
(https://docs.gitlab.com/api/container_registry/#delete-registry-repository-tags-in-bulk), after
listing the repositories with ``GET /projects/:id/registry/repositories``. The standing cleanup
policy is set with ``PUT /projects/:id`` and ``container_expiration_policy_attributes``
(https://docs.gitlab.com/api/projects/#edit-a-project).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import attrs

from .. import ci
from ..model.base import Validator, checked, fail
from ..model.image import Image
from ..model.job import Job, Stage
from ..model.rules import Rule
from ..model.sources import runs_on
from ..model.values import Reference
from ._fields import BOOL, NAME, NULLABLE, RULES, STAGE, JobBlock, has_control, scheduled_pipelines
from ._shell import command, literal, quote
from .registry import image_reference, is_variable

__all__ = ["CURL_IMAGE", "CleanupPolicy", "RegistryCleanup"]

CURL_IMAGE = "curlimages/curl:8.11.1"
"""A pinned image with curl and a POSIX shell."""

SCHEDULED = f'{ci.PIPELINE_SOURCE} == "schedule"'

# The API's older_than: a number and a unit, [0-9]+(?:h|d|w|month|months|y|year|years).
_AGE_UNITS = frozenset({"h", "d", "w", "month", "months", "y", "year", "years"})
# The values GitLab accepts for a project's cleanup policy (ContainerExpirationPolicy).
_CADENCES = ("1d", "7d", "14d", "1month", "3month")
_POLICY_KEEP_N = (1, 5, 10, 25, 50, 100)
_POLICY_OLDER_THAN = ("7d", "14d", "30d", "60d", "90d")
_POLICY_DOCS = (
    "https://docs.gitlab.com/user/packages/container_registry/reduce_container_registry_storage/"
)


def _token(inst: Any, attr: Any, value: Any) -> None:
    if not isinstance(value, str) or not is_variable(value):
        fail(
            inst,
            "token",
            value,
            "must be a CI/CD variable reference such as '$GITLAB_API_TOKEN' (a project access "
            "token with the api scope), never the token",
            "",
        )


def _keep_n(inst: Any, attr: Any, value: Any) -> None:
    if type(value) is not int or value < 0:
        fail(inst, "keep_n", value, "must be a whole number ≥ 0", "")


def _is_age(value: str) -> bool:
    unit = value.lstrip("0123456789")
    return len(unit) < len(value) and unit in _AGE_UNITS


def _older_than(inst: Any, attr: Any, value: Any) -> None:
    if not isinstance(value, str) or not _is_age(value):
        fail(inst, "older_than", value, "must be an age such as '30d', '12h', '2w' or '1month'", "")


def check_regex(inst: Any, attr: Any, value: Any) -> None:
    """A tag regex of a cleanup or prune block: valid, and safe to write into a shell line."""
    if value == attr.default and isinstance(value, str):
        return  # the field's own default, valid by test (compiling it costs start-up time)
    if not isinstance(value, str):
        fail(inst, attr.name, value, "must be a regular expression (a string)", "")
    if has_control(value):
        fail(
            inst,
            attr.name,
            value,
            "must not hold control characters or line breaks (it goes into a shell line)",
            "",
        )
    # GitLab matches tag names with RE2 (Gitlab::UntrustedRegexp): what RE2 refuses
    # (lookarounds, backreferences, possessive quantifiers) GitLab's API refuses, at run time.
    # Without any of the constructs where the two engines differ, Python's re (loaded
    # already) decides as RE2 would, and loading RE2 is left to the patterns that need it.
    problem: str | None = None
    if any(construct in value for construct in _RE2_ONLY):
        from ..gitlab.regex import compile_re2

        compiled = compile_re2(value)
        problem = compiled if isinstance(compiled, str) else None
    else:
        try:
            re.compile(value)
        except re.error as exc:
            problem = str(exc)
    if problem is not None:
        fail(inst, attr.name, value, f"is not a regex GitLab's RE2 accepts: {problem}", "")


# Where RE2 and Python's re part: groups with (?...), escapes, possessive quantifiers and
# counted repetition (RE2 allows at most 1000).
_RE2_ONLY = ("(?", "\\", "*+", "++", "?+", "}+", "{")


def _api_call(token: str, curl_args: Sequence[str]) -> str:
    """A curl call with the token on stdin (``--header @-``), never on the command line."""
    return command(
        [
            f"printf 'PRIVATE-TOKEN: %s\\n' {quote(token)} | curl --fail --silent --show-error --header @-",
            *curl_args,
        ]
    )


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class RegistryCleanup(JobBlock):
    """Delete old tags from every image repository of the project, on scheduled pipelines.

    ``RegistryCleanup(keep_n=10, older_than="30d", name_regex_keep="^(main|latest|v.+)$")``:
    for each repository, GitLab deletes the tags matching ``name_regex_delete`` that are older
    than ``older_than``, except the ``keep_n`` newest and those matching ``name_regex_keep``.
    ``token`` names a variable holding a project access token with the ``api`` scope (the job
    token may not delete tags). ``dry_run=True`` lists what would be requested and deletes
    nothing. Runs only in ``schedule`` pipelines unless ``rules=`` says otherwise.
    """

    name: str = attrs.field(default="registry-cleanup", validator=NAME)
    stage: Stage | str | None = attrs.field(default="cleanup", validator=STAGE, metadata=NULLABLE)
    name_regex_delete: str = attrs.field(default=".*", validator=check_regex)
    name_regex_keep: str | None = attrs.field(default=None, validator=check_regex)
    keep_n: int | None = attrs.field(default=10, validator=_keep_n, metadata=NULLABLE)
    older_than: str | None = attrs.field(default="30d", validator=_older_than, metadata=NULLABLE)
    token: str = attrs.field(default="$GITLAB_API_TOKEN", validator=_token)
    dry_run: bool = attrs.field(default=False, validator=BOOL)
    curl_image: str = attrs.field(default=CURL_IMAGE, validator=image_reference())
    # Never None: a job that deletes images runs only where its rules say.
    rules: Sequence[Rule | Reference] = attrs.field(factory=scheduled_pipelines, validator=RULES)

    def _job(self) -> Job:
        """The cleanup job."""
        data = [f"name_regex_delete={self.name_regex_delete}"]
        if self.name_regex_keep is not None:
            data.append(f"name_regex_keep={self.name_regex_keep}")
        if self.keep_n is not None:
            data.append(f"keep_n={self.keep_n}")
        if self.older_than is not None:
            data.append(f"older_than={self.older_than}")
        delete = _api_call(
            self.token,
            [
                "--request DELETE",
                *(f"--data-urlencode {literal(d)}" for d in data),
                '"$API/$id/tags"',
            ],
        )
        if self.dry_run:
            delete = f'echo "dry run: would DELETE $API/$id/tags with" {literal(" ".join(data))}'
        listing = _api_call(self.token, ['"$API?per_page=100"'])
        return Job(
            self.name,
            stage=self.stage,
            image=Image(self.curl_image, entrypoint=[""]),
            variables={"API": f"{ci.API_V4_URL}/projects/{ci.PROJECT_ID}/registry/repositories"},
            rules=self.rules,
            script=[
                # A failed listing fails the job (the assignment takes curl's status).
                f"REPOS=$({listing})",
                # Each repository object has one top-level "id" ("project_id" does not match);
                # a project without images has none, which is not an error.
                "IDS=$(printf '%s' \"$REPOS\" | grep -o '\"id\":[0-9]*' | cut -d: -f2 || true)",
                f"for id in $IDS; do\n  {delete.replace(chr(10), chr(10) + '  ')}\ndone",
            ],
        )


def _cadence(inst: Any, attr: Any, value: Any) -> None:
    if type(value) is not str or value not in _CADENCES:
        fail(inst, "cadence", value, f"must be one of {', '.join(_CADENCES)}", "")


def _policy(allowed: tuple[Any, ...]) -> Validator:
    """One of the values GitLab's cleanup policy takes (it refuses any other)."""
    shown = ", ".join(repr(a) for a in allowed)

    def check(inst: Any, attr: Any, value: Any) -> None:
        if type(value) in (str, int) and value in allowed:
            return
        fail(
            inst,
            attr.name,
            value,
            f"must be one of {shown}: the only values GitLab's cleanup policy takes "
            f"(see {_POLICY_DOCS}); RegistryCleanup takes any",
            "",
        )

    return check


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class CleanupPolicy(JobBlock):
    """Set the project's standing cleanup policy (GitLab then cleans up on its own schedule).

    A manual job on the default branch by default, which does not block the pipeline
    (``allow_failure: true``, as GitLab's docs advise for optional manual jobs):
    ``PUT /projects/:id`` with ``container_expiration_policy_attributes``.
    """

    enabled: bool = attrs.field(default=True, validator=BOOL)
    cadence: str = attrs.field(default="1d", validator=_cadence)
    keep_n: int = attrs.field(default=10, validator=_policy(_POLICY_KEEP_N))
    older_than: str = attrs.field(default="90d", validator=_policy(_POLICY_OLDER_THAN))
    name_regex: str = attrs.field(default=".*", validator=check_regex)
    name_regex_keep: str | None = attrs.field(default=None, validator=check_regex)
    token: str = attrs.field(default="$GITLAB_API_TOKEN", validator=_token)
    name: str = attrs.field(default="registry-cleanup-policy", validator=NAME)
    stage: Stage | str | None = attrs.field(default="cleanup", validator=STAGE, metadata=NULLABLE)
    curl_image: str = attrs.field(default=CURL_IMAGE, validator=image_reference())
    rules: Sequence[Rule | Reference] | None = attrs.field(
        factory=lambda: runs_on("default_branch", when="manual"),
        validator=RULES,
        metadata=NULLABLE,
    )

    def _job(self) -> Job:
        """The job that sets the policy."""
        fields = {
            "enabled": str(self.enabled).lower(),
            "cadence": self.cadence,
            "keep_n": str(self.keep_n),
            "older_than": self.older_than,
            "name_regex": self.name_regex,
        }
        if self.name_regex_keep is not None:
            fields["name_regex_keep"] = self.name_regex_keep
        data = [
            f"--data-urlencode {literal(f'container_expiration_policy_attributes[{k}]={v}')}"
            for k, v in fields.items()
        ]
        put = _api_call(
            self.token, ["--request PUT", *data, f'"{ci.API_V4_URL}/projects/{ci.PROJECT_ID}"']
        )
        return Job(
            self.name,
            stage=self.stage,
            image=Image(self.curl_image, entrypoint=[""]),
            rules=self.rules,
            script=[f"{put} > /dev/null"],
        )
