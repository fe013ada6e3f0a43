"""Which tags an image gets: the tagging scheme of the article, done right and composable."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from .. import ci
from ..errors import ValidationError
from ..model.base import checked, fail
from ._fields import BOOL, Block, texts
from ._shell import VARIABLE, quote
from .registry import tag_problem

__all__ = ["TagStrategy"]


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class TagStrategy(Block):
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

    sha: bool = attrs.field(default=True, validator=BOOL)
    short: bool = attrs.field(default=False, validator=BOOL)
    branch: bool = attrs.field(default=True, validator=BOOL)
    latest: bool = attrs.field(default=True, validator=BOOL)
    version: bool = attrs.field(default=True, validator=BOOL)
    custom: Sequence[str] = attrs.field(default=(), validator=texts("tags", tag_problem))

    def _check(self) -> None:
        if not self.sha and not self.custom:
            fail(self, "custom", self.custom, "needs at least one custom tag with sha=False", "")

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
        if VARIABLE.fullmatch(f"${variable}") is None:
            raise ValidationError(f"TagStrategy.shell: {variable!r} is not a shell variable name")
        first = [self.primary] + [t for t in self.custom if t != self.primary]
        lines = [f"{variable}={quote(' '.join(first))}"]
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
