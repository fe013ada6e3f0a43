"""What every building block shares: the base class and the field validators of the blocks'
common vocabulary (``name``, ``stage``, ``rules``, ``needs``, shell-safe text...).

The validators are the model's (:mod:`gitlabci_dsl.model.base`), so a block's field is
checked, frozen (lists become tuples, dicts read-only copies) and reported like a model field.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ..model.base import (
    LIST,
    PLAIN,
    SCALAR_TYPES,
    Node,
    Shape,
    Validator,
    all_of,
    checked,
    duration,
    fail,
    int_range,
    is_node,
    mapping,
    nonempty_str,
    of,
    seq,
    shaped,
    type_name,
)
from ..model.sources import runs_on

if TYPE_CHECKING:
    from ..model.job import Job
    from ..model.options import Retry
    from ..model.rules import Rule
    from ..model.variable import Variable
    from .tags import TagStrategy

__all__ = [
    "BOOL",
    "CONTROL",
    "NAME",
    "NEEDS",
    "NULLABLE",
    "PARALLEL",
    "REGISTRY",
    "RULES",
    "STAGE",
    "TAGS",
    "Block",
    "JobBlock",
    "Problem",
    "build_pipelines",
    "closed",
    "default_branch_pipelines",
    "has_control",
    "scheduled_pipelines",
    "text",
    "text_problem",
    "texts",
]


class Block(Node):
    """Base of every building block: a :class:`~gitlabci_dsl.model.base.Node` whose messages
    name the block as ``DockerBuild 'build'`` (its class and ``name``), and whose fields with
    a default refuse ``None`` unless marked :data:`NULLABLE`."""

    __slots__ = ()

    # Two DockerBuilds of one pipeline differ by name: messages say which (model.base.owner).
    named_in_messages = True

    def __attrs_post_init__(self) -> None:
        for name in _not_none(type(self)):
            if getattr(self, name) is None:
                fail(self, name, None, f"must not be None; leave {name} out for the default", "")
        super().__attrs_post_init__()


_TAG_LIST = seq(str, what="runner tags (strings)", anchor="tags")


@shaped(Shape(("TagStrategy",), items=PLAIN))
def _runner_tags(inst: Any, attr: Any, value: Any) -> None:
    if is_node(value, ("TagStrategy",)):
        return  # the deprecated spelling of image_tags=; moved there by JobBlock
    _TAG_LIST(inst, attr, value)


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class JobBlock(Block):
    """Base of the blocks that write a job: GitLab's everyday job options, named as GitLab
    names them and passed to the job unchanged. ``tags`` are the runner tags (``tags=
    ["docker"]``); ``variables`` are added to the block's own (yours win); ``timeout``,
    ``retry`` and ``interruptible`` are the job keywords. An image builder's tag strategy is
    ``image_tags=TagStrategy(...)``; the earlier ``tags=TagStrategy(...)`` still works, with a
    DeprecationWarning. Each block's ``rules`` default to the pipelines it belongs in
    (:func:`build_pipelines`...; the table of docs/blocks/README.md); ``rules=[...]`` replace
    them."""

    tags: Sequence[str] | TagStrategy | None = attrs.field(default=None, validator=_runner_tags)
    timeout: str | None = attrs.field(default=None, validator=duration("timeout"))
    retry: int | Retry | None = attrs.field(
        default=None,
        validator=all_of(of(int, nodes=("Retry",), what="0, 1, 2 or Retry(...)"), int_range(0, 2)),
    )
    interruptible: bool | None = attrs.field(
        default=None, validator=of(bool, what="True or False", anchor="interruptible")
    )
    variables: Mapping[str, str | int | float | bool | Variable] | None = attrs.field(
        default=None,
        validator=mapping(
            *SCALAR_TYPES, nodes=("Variable",), what="a string or Variable", anchor="variables"
        ),
    )

    def __attrs_post_init__(self) -> None:
        if is_node(self.tags, ("TagStrategy",)):
            kind = type(self).__name__
            if "image_tags" not in attrs.fields_dict(type(self)):
                fail(self, "tags", self.tags, "must be runner tags (strings)", "tags")
            warnings.warn(
                f"{kind}(tags=TagStrategy(...)) is deprecated: write image_tags=TagStrategy(...); "
                "tags= is GitLab's runner tags",
                DeprecationWarning,
                stacklevel=3,
            )
            object.__setattr__(self, "image_tags", self.tags)
            object.__setattr__(self, "tags", None)
        super().__attrs_post_init__()

    def job(self) -> Job:
        """The block's job, with the common job options given."""
        return self.with_options(self._job())

    def _job(self) -> Job:
        raise NotImplementedError

    def with_options(self, job: Job, *, variables: bool = True) -> Job:
        """``job`` with this block's runner tags, timeout, retry, interruptible and (unless
        ``variables=False``) variables, over the job's own."""
        changes: dict[str, Any] = {
            name: value
            for name in ("tags", "timeout", "retry", "interruptible")
            if (value := getattr(self, name)) is not None
        }
        if variables and self.variables:
            changes["variables"] = {**(job.variables or {}), **self.variables}
        return attrs.evolve(job, **changes) if changes else job


NULLABLE: dict[str, bool] = {"nullable": True}
"""attrs ``metadata`` of a field that has a default and also takes None (``stage=None``: no
stage of its own; ``rules=None``: no rules)."""

_NOT_NONE: dict[type, tuple[str, ...]] = {}


def _not_none(cls: type) -> tuple[str, ...]:
    """The fields of ``cls`` that have a default other than None and are not marked
    :data:`NULLABLE` (fields without a default are always validated), once per class."""
    found = _NOT_NONE.get(cls)
    if found is None:
        found = _NOT_NONE[cls] = tuple(
            field.name
            for field in attrs.fields(cls)
            if field.default is not attrs.NOTHING
            and field.default is not None
            and not field.metadata.get("nullable")
        )
    return found


# --- the shared vocabulary ------------------------------------------------------------------------

# The pipelines a block's job joins unless its ``rules=`` say otherwise (``rules=None``: no
# rules, GitLab's defaults). Never schedules, but for the blocks made for them: a cleanup
# schedule does not rebuild, push ``latest`` or redeploy. The table in docs/blocks/README.md
# is evaluated from the blocks' jobs (scripts/block_pipelines.py).


def build_pipelines() -> tuple[Rule, ...]:
    """Branch, tag and merge request pipelines: the blocks that build, scan or copy an image."""
    return runs_on("branches", "tags", "merge_requests")


def default_branch_pipelines() -> tuple[Rule, ...]:
    """Default-branch pipelines (pushes, API, trigger and web runs; not schedules): deploys."""
    return runs_on("default_branch")


def scheduled_pipelines() -> tuple[Rule, ...]:
    """Scheduled pipelines only: registry cleanup."""
    return runs_on("schedules")


NAME = nonempty_str("job-keywords")
"""The job's name."""

STAGE = of(str, nodes=("Stage",), what="a Stage or a stage name", anchor="stage")
# What Job itself takes: blocks hand these to their job unchanged.
RULES = seq(nodes=("Rule", "Reference"), what="Rule(...) objects", anchor="rules")
NEEDS = seq(
    str, nodes=("Job", "Need", "Reference"), what="Job objects, names or Need(...)", anchor="needs"
)
PARALLEL = of(nodes=("Parallel",), what="Parallel(matrix=[...])", anchor="parallel")
BOOL = of(bool, what="True or False", anchor="")
TAGS = of(nodes=("TagStrategy",), what="a TagStrategy(...)", anchor="")
REGISTRY = of(
    nodes=("Registry",),
    what="a Registry such as Registry.gitlab() or Registry.basic(...)",
    anchor="",
)

CONTROL = r"[\x00-\x1f\x7f]"
"""Control characters and line breaks: never in a value that goes into a shell line."""


def has_control(value: str) -> bool:
    """Whether ``value`` holds a :data:`CONTROL` character. A printable text holds none, so
    most values are answered without compiling the pattern."""
    return not value.isprintable() and re.search(CONTROL, value) is not None


Problem = Callable[[str], str | None]
"""What is wrong with one string value (a rule such as ``"must not be empty"``), or None."""


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be written into a shell line, or None."""
    if not value:
        return "must not be empty"
    if has_control(value):
        return "must not hold control characters or line breaks (it goes into a shell line)"
    return None


def text(what: str = "a non-empty string", anchor: str | None = "") -> Validator:
    """Optional non-empty string without control characters or line breaks: a value written
    into a shell line (``context``, ``dockerfile``, ``target``...)."""

    def check(inst: Any, attr: Any, value: Any) -> None:
        if not isinstance(value, str):
            fail(inst, attr.name, value, f"must be {what}, not {type_name(value)}", anchor)
        problem = text_problem(value)
        if problem is not None:
            fail(inst, attr.name, value, problem, anchor)

    return check


def texts(what: str, problem: Problem = text_problem, anchor: str | None = "") -> Validator:
    """Optional list of strings (stored as a tuple), each checked by ``problem``."""
    listed = seq(str, what=what, anchor=anchor)

    def check(inst: Any, attr: Any, value: Any) -> None:
        if isinstance(value, str):
            fail(inst, attr.name, value, f"must be a list of {what}, e.g. [{value!r}]", anchor)
        listed(inst, attr, value)
        for entry in getattr(inst, attr.name):
            found = problem(entry)
            if found is not None:
                fail(inst, attr.name, value, f"has {entry!r}, which {found}", anchor)

    return shaped(LIST)(check)


def closed(*allowed: Any, anchor: str | None = "") -> Validator:
    """Optional field holding one of ``allowed`` (strings or whole numbers): a set the tool
    closes. The message lists them: ``must be 'min' or 'max'``."""
    *first, last = (repr(a) for a in allowed)
    shown = f"{', '.join(first)} or {last}" if first else last

    def check(inst: Any, attr: Any, value: Any) -> None:
        if type(value) in (str, int) and value in allowed:
            return
        fail(inst, attr.name, value, f"must be {shown}", anchor)

    return check
