"""Which tags an image gets: the tagging scheme of the article, done right and composable."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from .. import ci
from ..errors import ValidationError
from ..model._base import Node, checked
from .registry import VARIABLE

__all__ = ["TagStrategy"]


def _custom(inst: TagStrategy, attr: object, value: Sequence[str]) -> None:
    if isinstance(value, str):
        raise ValidationError(
            f"TagStrategy: custom={value!r} must be a list of tags, e.g. ['stable']"
        )
    object.__setattr__(inst, "custom", tuple(value))


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class TagStrategy(Node):
    """The tags pushed for one build, decided when the job runs.

    * ``sha`` — the immutable commit tag (``$CI_COMMIT_SHA``; ``short=True`` for
      ``$CI_COMMIT_SHORT_SHA``), always pushed: later jobs and deployments use it;
    * ``branch`` — the branch slug (``$CI_COMMIT_REF_SLUG``) on branch pipelines;
    * ``latest`` — ``latest``, only on the default branch (compared with ``$CI_DEFAULT_BRANCH``,
      never a hard-coded ``main``), never on tags or other branches;
    * ``version`` — the git tag (``$CI_COMMIT_TAG``) on tag pipelines;
    * ``custom`` — more tags, always pushed (may use variables).

    On the default branch the tags are {SHA, branch slug, latest}; on tag ``v1.2.3``,
    {SHA, v1.2.3}; on a feature branch, {SHA, branch slug}.
    """

    sha: bool = True
    short: bool = False
    branch: bool = True
    latest: bool = True
    version: bool = True
    custom: Sequence[str] = attrs.field(default=(), validator=_custom)

    @property
    def primary(self) -> str:
        """The immutable tag the image is built with and that later jobs should use."""
        if self.sha:
            return ci.COMMIT_SHORT_SHA if self.short else ci.COMMIT_SHA
        if self.custom:
            return self.custom[0]
        raise ValidationError("TagStrategy: with sha=False, give at least one custom tag")

    def shell(self, variable: str = "TAGS") -> list[str]:
        """Shell lines that leave the space-separated tags to push in ``$variable``."""
        first = [self.primary] + [t for t in self.custom if t != self.primary]
        lines = [f'{variable}="{" ".join(first)}"']
        if self.branch:
            lines.append(
                f'if [ -n "{ci.COMMIT_BRANCH}" ]; then {variable}="${variable} {ci.COMMIT_REF_SLUG}"; fi'
            )
        if self.latest:
            lines.append(
                f'if [ -n "{ci.COMMIT_BRANCH}" ] && [ "{ci.COMMIT_BRANCH}" = "{ci.DEFAULT_BRANCH}" ]; '
                f'then {variable}="${variable} latest"; fi'
            )
        if self.version:
            lines.append(
                f'if [ -n "{ci.COMMIT_TAG}" ]; then {variable}="${variable} {ci.COMMIT_TAG}"; fi'
            )
        return lines

    def tags_for(self, variables: Mapping[str, str]) -> list[str]:
        """The tags the shell lines produce for these CI variables (for tests and ``explain``)."""

        def value(text: str) -> str:
            return VARIABLE.sub(lambda m: variables.get(m.group(1) or m.group(2), ""), text)

        branch = variables.get("CI_COMMIT_BRANCH", "")
        tags = [value(self.primary)] + [value(t) for t in self.custom if t != self.primary]
        if self.branch and branch:
            tags.append(variables.get("CI_COMMIT_REF_SLUG", ""))
        if self.latest and branch and branch == variables.get("CI_DEFAULT_BRANCH"):
            tags.append("latest")
        if self.version and variables.get("CI_COMMIT_TAG"):
            tags.append(variables["CI_COMMIT_TAG"])
        return tags
