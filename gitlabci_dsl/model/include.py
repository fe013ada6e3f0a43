"""``include`` (and the include forms of ``trigger`` and ``spec``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .base import (
    EXTRA,
    LIST,
    Node,
    checked,
    exclusive,
    fail,
    is_node,
    mapping,
    nonempty_str,
    pattern,
    seq,
    shaped,
)

if TYPE_CHECKING:
    from .rules import Rule

__all__ = ["Include"]

_KINDS = ("local", "project", "remote", "template", "component", "artifact")
_YAML = r".*\.ya?ml"


_FILE_LIST = seq(str, what="file paths", non_empty=True, anchor="includefile")


@shaped(LIST)
def _files(inst: Any, attr: Any, value: Any) -> None:
    # A single file stays a string: a child pipeline's trigger include only takes one.
    if isinstance(value, str):
        if not value:
            fail(inst, "file", value, "must be a non-empty path", "includefile")
        return
    _FILE_LIST(inst, attr, value)


def _cache(inst: Any, attr: Any, value: Any) -> None:
    if value is None or type(value) is bool or (isinstance(value, str) and value):
        return
    fail(inst, "cache", value, "must be True, False or a duration such as '1 day'", "includecache")


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Include(Node):
    """One ``include`` entry; set exactly one of local, project (+file, ref), remote, template,
    component, or artifact (+job, in a child-pipeline ``trigger`` only).

    ``Include(local="ci/build.yml")``, ``Include(project="group/ci", file="docker.yml", ref="v1")``,
    ``Include(component="$CI_SERVER_FQDN/group/comp/build@1.0", inputs={"stage": "build"})``.
    See https://docs.gitlab.com/ci/yaml/#include
    """

    local: str | None = attrs.field(
        default=None, validator=pattern(_YAML, "must be a .yml or .yaml file", "includelocal")
    )
    project: str | None = attrs.field(default=None, validator=nonempty_str("includeproject"))
    file: Sequence[str] | str | None = attrs.field(default=None, validator=_files)
    ref: str | None = attrs.field(default=None, validator=nonempty_str("includeproject"))
    remote: str | None = attrs.field(
        default=None,
        validator=pattern(
            r"https?://.+\.ya?ml", "must be an http(s) URL of a .yml or .yaml file", "includeremote"
        ),
    )
    integrity: str | None = attrs.field(
        default=None,
        validator=pattern(
            r"sha256-[A-Za-z0-9+/]{43}=",
            "must be 'sha256-' and a base64 SHA-256",
            "includeintegrity",
        ),
    )
    cache: bool | str | None = attrs.field(default=None, validator=_cache)
    template: str | None = attrs.field(
        default=None, validator=pattern(_YAML, "must be a .yml or .yaml file", "includetemplate")
    )
    component: str | None = attrs.field(default=None, validator=nonempty_str("includecomponent"))
    artifact: str | None = attrs.field(
        default=None, validator=pattern(_YAML, "must be a .yml or .yaml file", "triggerinclude")
    )
    job: str | None = attrs.field(default=None, validator=nonempty_str("triggerinclude"))
    rules: Sequence[Rule] | None = attrs.field(
        default=None,
        validator=seq(nodes=("Rule", "Reference"), what="Rule(...) objects", anchor="includerules"),
    )
    inputs: Mapping[str, Any] | None = attrs.field(
        default=None, validator=mapping(object, what="a value", anchor="includeinputs")
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)

    def _check(self) -> None:
        if self.extra is None:
            exclusive(self, _KINDS, required=True, anchor="include")
        if self.file is not None and self.project is None:
            fail(self, "file", self.file, "is only valid with project", "includefile")
        if self.project is not None and self.file is None:
            fail(
                self,
                "project",
                self.project,
                "needs file=... (the file(s) to include)",
                "includefile",
            )
        if self.ref is not None and self.project is None:
            fail(self, "ref", self.ref, "is only valid with project", "includeref")
        if (self.integrity is not None or self.cache is not None) and self.remote is None:
            fail(
                self,
                "integrity",
                self.integrity,
                "and cache are only valid with remote",
                "includeintegrity",
            )
        if (self.artifact is None) != (self.job is None):
            fail(
                self,
                "artifact",
                self.artifact,
                "and job go together (a child pipeline from an artifact)",
                "triggerinclude",
            )
        if self.rules is not None:
            for rule in self.rules:
                if is_node(rule, ("Rule",)):
                    _check_include_rule(self, rule)

    @property
    def kind(self) -> str:
        """Which form this include takes: ``local``, ``project``, ``remote``..."""
        for kind in _KINDS:
            if getattr(self, kind) is not None:
                return kind
        return "extra"


def _check_include_rule(include: Include, rule: Any) -> None:
    for field in (
        "variables",
        "start_in",
        "allow_failure",
        "needs",
        "interruptible",
        "auto_cancel",
    ):
        if getattr(rule, field) is not None:
            fail(
                include,
                "rules",
                rule,
                f"include rules take if_, changes, exists and when, not {field}",
                "includerules",
            )
    if rule.when is not None and rule.when not in ("always", "never"):
        fail(include, "rules", rule, "include rules take when='always' or 'never'", "includerules")
