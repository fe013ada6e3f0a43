"""Model nodes → Python source, laid out the way ``ruff format`` lays it out.

The layout rule is ruff's (and black's) for code without comments: an expression stays on one
line when it fits in 88 columns; otherwise its brackets open, each item goes on its own line
with a trailing comma, and the rule applies again to each item. The trailing comma is a "magic"
one, so ``ruff format`` keeps the expansion at any line length of 88 or more: the module is
formatted under the user's settings as well as under the defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

import attrs

from ..model.base import MANDATORY, Node
from ..model.values import Reference

__all__ = ["WIDTH", "Call", "Expr", "Layout", "py_str", "statement"]

WIDTH = 88


class Expr:
    """An expression: an atom, or brackets around items."""

    __slots__ = ("close", "items", "open", "text")

    def __init__(
        self,
        text: str = "",
        *,
        open: str = "",
        close: str = "",
        items: list[tuple[str, Expr]] | None = None,
    ) -> None:
        self.text = text
        self.open = open
        self.close = close
        self.items = items

    def flat(self) -> str | None:
        """The one-line form, or None when an atom spans lines (a triple-quoted string)."""
        if self.items is None:
            return None if "\n" in self.text else self.text
        parts = []
        for prefix, item in self.items:
            text = item.flat()
            if text is None:
                return None
            parts.append(prefix + text)
        return self.open + ", ".join(parts) + self.close


def Call(name: str, items: list[tuple[str, Expr]]) -> Expr:  # noqa: N802 - builds a call
    return Expr(open=f"{name}(", close=")", items=items)


def layout(expr: Expr, indent: int, head: int, tail: int) -> str:
    """``expr`` as text starting at column ``indent + head``, followed by ``tail`` characters."""
    flat = expr.flat()
    if flat is not None and indent + head + len(flat) + tail <= WIDTH:
        return flat
    if expr.items is None:
        return expr.text
    if not expr.items:
        return expr.open + expr.close
    inner = indent + 4
    pad = " " * inner
    lines = [expr.open]
    for prefix, item in expr.items:
        lines.append(f"{pad}{prefix}{layout(item, inner, len(prefix), 1)},")
    lines.append(" " * indent + expr.close)
    return "\n".join(lines)


def statement(target: str, expr: Expr) -> str:
    """``target = expr`` at module level."""
    head = f"{target} = "
    return head + layout(expr, 0, len(head), 0)


def py_str(text: str) -> str:
    """A string literal as ``ruff format`` writes it: double quotes unless single quotes need
    fewer escapes; a text of several lines as a triple-quoted block, lines kept as lines."""
    body = text[:-1] if text.endswith("\n") else text
    if "\n" in body:
        return _triple(text)
    quote = "'" if text.count('"') > text.count("'") else '"'
    return quote + "".join(_escape(ch, quote) for ch in text) + quote


def in_docstring(text: str) -> str:
    """``text`` as it can stand inside a triple-quoted docstring, whatever it holds: every
    quote, backslash and unprintable character escaped, so it can never end the literal (a
    file name is untrusted data, and the module it lands in is run)."""
    return "".join(_escape(ch, '"') if ch != "'" else ch for ch in text)


def _escape(ch: str, quote: str) -> str:
    if ch == "\\":
        return "\\\\"
    if ch == quote:
        return "\\" + ch
    if ch == "\n":
        return "\\n"
    if ch == "\t":
        return "\\t"
    if ch == "\r":
        return "\\r"
    if ch.isprintable():
        return ch
    return repr(ch)[1:-1]


def _triple(text: str) -> str:
    out = ['"""\\\n']
    last = len(text) - 1
    for i, ch in enumerate(text):
        if ch == '"':
            # Only a quote that would end the literal needs its escape.
            out.append('\\"' if text.startswith('""', i + 1) or i == last else '"')
        elif ch == "\n":
            out.append("\n")
        elif ch == " " and (i == last or text[i + 1] == "\n"):
            out.append("\\x20")  # trailing whitespace would be invisible (and linted)
        else:
            out.append(_escape(ch, '"'))
    out.append('"""')
    return "".join(out)


class Layout:
    """Renders values and nodes; ``job_ref``/``stage_ref`` turn a name into a variable when
    the job or stage is defined above, and return None otherwise."""

    def __init__(
        self,
        job_ref: Callable[[str], str | None],
        stage_ref: Callable[[str], str | None],
        used: set[str],
    ) -> None:
        self.job_ref = job_ref
        self.stage_ref = stage_ref
        self.used = used  # names to import from gitlabci_dsl

    def value(self, value: Any, ref: str = "") -> Expr:
        """``ref``: ``"job"`` or ``"stage"`` when a string here names one."""
        if isinstance(value, str):
            if ref:
                name = (self.job_ref if ref == "job" else self.stage_ref)(value)
                if name is not None:
                    return Expr(name)
            return Expr(py_str(value))
        if value is None or isinstance(value, (bool, int)):
            return Expr(repr(value))
        if isinstance(value, float):
            text = repr(value)
            if text in ("inf", "-inf", "nan"):
                return Expr(f'float("{text}")')
            return Expr(text)
        if isinstance(value, (list, tuple)):
            return Expr(open="[", close="]", items=[("", self.value(v, ref)) for v in value])
        if isinstance(value, Mapping):
            return Expr(
                open="{",
                close="}",
                items=[(py_str(k) + ": ", self.value(v)) for k, v in value.items()],
            )
        if isinstance(value, Reference):
            self.used.add("Reference")
            first, *rest = value.path
            items = [("", self.value(first, "job"))] + [("", Expr(py_str(p))) for p in rest]
            return Call("Reference", items)
        if isinstance(value, Node):
            return self.node(value)
        raise TypeError(f"cannot render {type(value).__name__}")  # pragma: no cover

    def node(self, node: Node, before: Iterable[tuple[str, Expr]] = ()) -> Expr:
        cls = type(node)
        name = cls.__name__
        self.used.add(name)
        items: list[tuple[str, Expr]] = list(before)
        for field in attrs.fields(cast("Any", cls)):
            value = getattr(node, field.name)
            if (name == "Pipeline" and field.name == "source") or value is MANDATORY:
                continue
            default = field.default
            if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                default = default.factory()  # blocks' defaults: TagStrategy(), Registry.gitlab()
            if value is default or (value is not None and _equal(value, default)):
                continue
            ref = _REFS.get((name, field.name), "")
            expr = self.value(value, ref)
            items.append(("" if not field.kw_only else f"{field.name}=", expr))
        return Call(name, items)


def _equal(value: Any, default: Any) -> bool:
    """Equal, and of the same type: ``True`` is not the default ``1``."""
    return type(value) is type(default) and bool(value == default)


_BLOCKS = ("DockerBuild", "BuildahBuild", "KanikoBuild", "TrivyScan", "Mirror")
# Fields whose strings name a job or a stage.
_REFS: dict[tuple[str, str], str] = {
    ("Job", "stage"): "stage",
    ("Job", "needs"): "job",
    ("Job", "extends"): "job",
    ("Job", "dependencies"): "job",
    ("Need", "job"): "job",
    ("Environment", "on_stop"): "job",
    ("Rule", "needs"): "job",
    ("Pipeline", "stages"): "stage",
    **{
        (block, "stage"): "stage" for block in ("DockerBuild", "KanikoBuild", "TrivyScan", "Mirror")
    },
    **{(block, "needs"): "job" for block in ("DockerBuild", "KanikoBuild", "TrivyScan", "Mirror")},
}
