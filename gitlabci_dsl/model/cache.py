"""``cache``: files kept between jobs and pipelines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs

from .base import EXTRA, LIST, Node, Shape, checked, choice, fail, is_node, of, seq, shaped

__all__ = ["Cache", "CacheKey"]


def _files(limit: int, anchor: str) -> Any:
    listed = seq(str, what="file paths", non_empty=True, anchor=anchor)

    def check(inst: Any, attr: Any, value: Any) -> None:
        listed(inst, attr, value)
        if value is not None and len(value) > limit:
            fail(inst, attr.name, value, f"takes at most {limit} files", anchor)

    return shaped(LIST)(check)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class CacheKey(Node):
    """``cache:key`` computed from files: ``CacheKey(files=["poetry.lock"], prefix="py")``.

    See https://docs.gitlab.com/ci/yaml/#cachekeyfiles
    """

    files: Sequence[str] | None = attrs.field(default=None, validator=_files(10, "cachekeyfiles"))
    files_commits: Sequence[str] | None = attrs.field(
        default=None, validator=_files(2, "cachekeyfiles_commits")
    )
    prefix: str | None = attrs.field(
        default=None, validator=of(str, what="a string", anchor="cachekeyprefix")
    )
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)


@shaped(Shape(("CacheKey",)))
def _key(inst: Any, attr: Any, value: Any) -> None:
    if value is None or is_node(value, ("CacheKey",)):
        return
    if not isinstance(value, str) or not value:
        fail(inst, "key", value, "must be a non-empty string or CacheKey(...)", "cachekey")
    if "/" in value or value.strip(".") == "":
        fail(inst, "key", value, "cannot contain '/' or be only dots ('.', '..')", "cachekey")


def _policy(inst: Any, attr: Any, value: Any) -> None:
    if value is None or value in ("pull", "push", "pull-push"):
        return
    if isinstance(value, str) and value.startswith("$") and len(value) > 1:
        return
    fail(inst, "policy", value, "must be 'pull', 'push', 'pull-push' or a $VARIABLE", "cachepolicy")


_FALLBACK_KEYS = seq(str, what="cache keys", anchor="cachefallback_keys")


@shaped(LIST)
def _fallback(inst: Any, attr: Any, value: Any) -> None:
    _FALLBACK_KEYS(inst, attr, value)
    if value is not None and len(value) > 5:
        fail(inst, "fallback_keys", value, "takes at most 5 keys", "cachefallback_keys")


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Cache(Node):
    """One cache: ``Cache(key=CacheKey(files=["package-lock.json"]), paths=[".npm/"])``.

    A job takes one ``Cache`` or a list of up to four. See https://docs.gitlab.com/ci/yaml/#cache
    """

    key: str | CacheKey | None = attrs.field(default=None, validator=_key)
    paths: Sequence[str] | None = attrs.field(
        default=None, validator=seq(str, what="paths", anchor="cachepaths")
    )
    policy: str | None = attrs.field(default=None, validator=_policy)
    unprotect: bool | None = attrs.field(
        default=None, validator=of(bool, what="True or False", anchor="cacheunprotect")
    )
    untracked: bool | None = attrs.field(
        default=None, validator=of(bool, what="True or False", anchor="cacheuntracked")
    )
    when: Literal["on_success", "on_failure", "always"] | None = attrs.field(
        default=None, validator=choice("on_success", "on_failure", "always", anchor="cachewhen")
    )
    fallback_keys: Sequence[str] | None = attrs.field(default=None, validator=_fallback)
    extra: Mapping[str, Any] | None = attrs.field(default=None, validator=EXTRA)
