"""Plain data → YAML text. The only module that writes YAML.

* libyaml's C emitter when PyYAML has it, PyYAML's Python emitter otherwise (same data; the
  bytes differ only where libyaml escapes characters beyond U+FFFF as ``\\U...``, and for an
  empty key or a key holding a line break, where the two choose differently between a simple
  and an explicit ``? key`` entry);
* never anchors or aliases; no line wrapping; keys in the order the compiler produced;
* multi-line strings as literal ``|`` blocks where YAML allows it;
* quotes only where a YAML parser could read the text as something other than a string. That
  is judged for PyYAML (YAML 1.1), Ruby's Psych (what GitLab runs) and YAML 1.2 parsers such as
  js-yaml (gitlab-ci-local): ``1e3``, ``0o17``, ``1,000``, ``09:15``, ``tRUE``, ``:sym``, ``y``
  and dates are quoted too, although PyYAML alone would read them back as strings;
* NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR always escaped in double quotes: YAML 1.1 and 1.2
  disagree on whether they break lines;
* ``Reference`` values as the real ``!reference [job, key]`` tag;
* a first-line header saying the file is generated, from which module, and how to regenerate it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import yaml

from .model.values import Reference

if TYPE_CHECKING:
    from .model.pipeline import Pipeline

__all__ = ["REGENERATE", "dump", "header", "load_yaml", "to_yaml"]

REGENERATE = "gitlabci-dsl compile"

_STR = "tag:yaml.org,2002:str"
_WIDTH = 2**31 - 1  # "no wrapping": the C and Python emitters both take it as a plain int

_BaseDumper: type = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):  # type: ignore[misc]
    def ignore_aliases(self, data: Any) -> bool:
        return True


# NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR: line breaks to YAML 1.1, ordinary characters to
# YAML 1.2. Written raw (plain, quoted or in a block) they read back differently depending on
# the parser; escaped in double quotes (\N, \L, \P) they read back the same everywhere.
_UNICODE_BREAKS = re.compile("[\x85\u2028\u2029]")


def _represent_str(dumper: Any, data: str) -> Any:
    if not data.isascii() and _UNICODE_BREAKS.search(data):
        return dumper.represent_scalar(_STR, data, style='"')
    if "\n" in data:
        return dumper.represent_scalar(_STR, data, style="|")
    return dumper.represent_scalar(_STR, data)


def _represent_reference(dumper: Any, data: Reference) -> Any:
    return dumper.represent_sequence("!reference", list(data.path), flow_style=True)


def _represent_tuple(dumper: Any, data: tuple[Any, ...]) -> Any:
    return dumper.represent_list(list(data))


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(Reference, _represent_reference)
_Dumper.add_representer(tuple, _represent_tuple)

# Plain scalars that some YAML parser GitLab users meet would not read as a string. Registered
# as an implicit resolver with a private tag: the emitter then quotes any string matching it.
_AMBIGUOUS = re.compile(
    r"""^(?:
        [-+]?(?:[0-9][0-9_,]*(?:\.[0-9_]*)?|\.[0-9_]*)(?:[eE][-+]?[0-9]+)?  # 1e3, 1,000, .e+10
      | [-+]?0[oO][0-7_]+ | [-+]?0[xX][0-9a-fA-F_,]+ | [-+]?0[bB][01_,]+       # other bases
      | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?                      # 09:15 (base 60)
      | (?i:[-+]?\.inf | \.nan)                                               # any case
      | (?i:y|n|yes|no|true|false|on|off|null)                                 # any case
      | :.*                                                                   # Ruby symbols
      | -?[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|\s).*)?                     # dates, times
    )$""",
    re.X,
)
# Keyed by first character, as PyYAML's resolvers are: other strings never pay for the match.
_Dumper.add_implicit_resolver(
    "tag:gitlabci-dsl,2026:ambiguous", _AMBIGUOUS, list("0123456789-+.:yYnNtTfFoO")
)


class _Sink:
    """The stream libyaml writes to: pieces are collected, then taken chunk by chunk."""

    __slots__ = ("parts",)

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        return text


def dump(documents: Iterable[Mapping[str, Any] | Iterable[tuple[str, Any]]]) -> str:
    """YAML text of ``documents`` (several are separated by ``---``), without a header.

    Each document is a mapping or a stream of ``(key, value)`` pairs. Every top-level entry is
    represented and emitted on its own (as a one-entry document whose ``---`` marker is dropped),
    so only one job's YAML nodes exist at a time: the text is the same as emitting the whole
    mapping at once, but memory and time stay linear in the number of jobs.
    """
    sink = _Sink()
    dumper = _Dumper(
        sink,
        sort_keys=False,
        allow_unicode=True,
        width=_WIDTH,
        indent=2,
        default_flow_style=False,
        explicit_start=False,
    )
    dumper.open()
    out: list[str] = []
    first = True
    for number, document in enumerate(documents):
        if number:
            out.append("---\n")
        pairs = document.items() if isinstance(document, Mapping) else document
        empty = True
        for key, value in pairs:
            empty = False
            dumper.serialize(dumper.represent_data({key: value}))
            out.append(_chunk(sink.take(), first, out))
            first = False
        if empty:
            out.append("{}\n")
    dumper.close()
    # libyaml ends a stream whose last document is "open" (a block scalar kept with |+) with a
    # "..." marker, the Python emitter does not; the marker is optional, so it is left out.
    tail = sink.take()
    out.append("" if tail == "...\n" else tail)
    return "".join(out)


def _chunk(text: str, first: bool, before: list[str]) -> str:
    """Drop the document markers libyaml puts between two chunks of one document."""
    if first:
        return text
    # A document that ends "open" (a block scalar kept with |+) may be closed with "...".
    # Markers stand alone at column 0, where content never does (keys there are quoted).
    if before and (before[-1] == "...\n" or before[-1].endswith("\n...\n")):
        before[-1] = before[-1][:-4]
    text = text.removeprefix("...\n")
    if not text.startswith("---\n"):
        raise AssertionError(f"unexpected libyaml document start: {text[:20]!r}")
    return text[4:]


def header(source: str | None) -> str:
    """The first line of every generated file."""
    where = f" from {source}" if source else ""
    return f"# Generated by gitlabci-dsl{where}; do not edit. Regenerate with: {REGENERATE}\n"


def to_yaml(pipeline: Pipeline, *, source: str | None = None, check: bool = True) -> str:
    """The exact text ``gitlabci-dsl compile`` writes for ``pipeline``, header included.

    ``source``: the module the header names (``gitlabci-dsl compile`` passes the one it
    compiles); default ``pipeline.source``, and no module when that is unset. ``check``: refuse
    what GitLab's checks find in the compiled data, as :func:`~gitlabci_dsl.to_dict` does;
    ``check=False`` streams the text job by job and leaves the checks to the caller (compile
    runs them on the text it writes, where they can name lines).
    """
    from .compiler import iter_documents

    documents = iter_documents(pipeline)
    if check:
        from .validation import check_data

        whole = [dict(document) for document in documents]
        check_data(whole[-1], included=pipeline.included)
        documents = [iter(document.items()) for document in whole]
    return header(source or pipeline.source) + dump(documents)


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    pass


def _construct_reference(loader: Any, node: Any) -> Reference:
    return Reference(*loader.construct_sequence(node))


_Loader.add_constructor("!reference", _construct_reference)


def load_yaml(text: str) -> Any:
    """Parse GitLab CI YAML, reading ``!reference`` tags as :class:`Reference` values.

    Returns the last document (the pipeline body when a ``spec:`` header precedes it).
    """
    documents = list(yaml.load_all(text, Loader=_Loader))
    return documents[-1] if documents else None
