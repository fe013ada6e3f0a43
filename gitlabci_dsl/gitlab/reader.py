"""GitLab CI YAML → plain data, with the line and column of every node.

Built on libyaml's composer (PyYAML's C ``compose``), with our own construction so that the
linter sees what GitLab sees and knows where each value was written:

* ``!reference [job, key]`` becomes a :class:`Tagged` list, as GitLab reads it;
* anchors and aliases are expanded; merge keys (``<<:``, several per mapping) are applied in
  order, as GitLab's YAML parser (Ruby's Psych) does;
* a key written twice in one mapping is reported (the last one wins, as in GitLab);
* timestamps stay strings (GitLab's schema has no dates), other scalars follow YAML 1.1 like
  GitLab's parser;
* every mapping key and sequence item records its position under its path
  (``("build", "script", 0)``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import yaml

from ..errors import GitlabCIDSLError

__all__ = ["Document", "Duplicate", "Tagged", "YamlSyntaxError", "load"]

Path_ = tuple[str | int, ...]

_ComposeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Scalars = yaml.SafeLoader  # the constructor of plain scalars (ints, floats, booleans, null)


class Tagged(list[Any]):
    """A sequence written with a tag GitLab knows, such as ``!reference``."""

    __slots__ = ("tag",)

    def __init__(self, tag: str, items: list[Any]) -> None:
        super().__init__(items)
        self.tag = tag


class Duplicate(NamedTuple):
    """A key given twice in one mapping: where (the second time)."""

    path: Path_
    line: int
    column: int


class Document(NamedTuple):
    """One YAML document: its data, the position of each path, its duplicate keys."""

    data: Any
    positions: dict[Path_, tuple[int, int]]
    duplicates: list[Duplicate]


class YamlSyntaxError(GitlabCIDSLError):
    """The text is not YAML GitLab can read; ``line``/``column`` are 1-based."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.line = line
        self.column = column

    def located(self, file: str) -> str:
        """The one-line message every command prints: ``file:line:column: invalid YAML: ...``."""
        return f"{file}:{self.line}:{self.column}: invalid YAML: {self}"


def load(text: str) -> list[Document]:
    """The documents of ``text`` (a ``spec:`` header and the pipeline, or just the pipeline)."""
    try:
        nodes = list(yaml.compose_all(text, Loader=_ComposeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlSyntaxError(problem + _tab_hint(text, line), line, column) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(str(exc), 1, 1) from None
    documents = []
    for node in nodes:
        builder = _Builder()
        data = builder.build(node, ())
        documents.append(Document(data, builder.positions, builder.duplicates))
    return documents


def _tab_hint(text: str, line: int) -> str:
    """A hint when the line is indented with a tab, the usual cause of a syntax error."""
    lines = text.splitlines()
    written = lines[line - 1] if 0 < line <= len(lines) else ""
    if "\t" in written[: len(written) - len(written.lstrip())]:
        return f"; a tab indents line {line}: YAML indents with spaces only"
    return ""


_SCALARS = _Scalars("")
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"


class _Builder:
    def __init__(self) -> None:
        self.positions: dict[Path_, tuple[int, int]] = {}
        self.duplicates: list[Duplicate] = []
        self.done: dict[int, Any] = {}  # aliases: a node built once is the same value

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        known = self.done.get(id(node))
        if known is not None:
            return known
        if isinstance(node, yaml.ScalarNode):
            value = self._scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            items = [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            value = items if node.tag.startswith("tag:yaml.org,2002:") else Tagged(node.tag, items)
        else:
            assert isinstance(node, yaml.MappingNode)
            value = self._mapping(node, path)
        if not isinstance(node, yaml.ScalarNode):
            self.done[id(node)] = value
        return value

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag in (_INT, _FLOAT, _BOOL, _NULL):
            return _SCALARS.construct_object(node)
        return node.value  # strings, and timestamps kept as written

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[Any, Any]:
        # Pairs in order, as Ruby's Psych (GitLab's parser) does: a merge key (``<<``) updates
        # the mapping with its source, over keys set before it; keys after it win over it.
        # A merge of several sources (``<<: [*a, *b]``) lets the earlier source win.
        result: dict[Any, Any] = {}
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                combined: dict[Any, Any] = {}
                for source in reversed(self._merge_sources(value_node, path)):
                    combined.update(source)
                result.update(combined)
                continue
            if isinstance(key_node, yaml.ScalarNode):
                key = self._scalar(key_node)
            else:
                key = str(self.build(key_node, (*path, "<key>")))
            child = (*path, key)
            mark = key_node.start_mark
            if key in seen:
                self.duplicates.append(Duplicate(child, mark.line + 1, mark.column + 1))
            seen.add(key)
            self.positions[child] = (mark.line + 1, mark.column + 1)
            result[key] = self.build(value_node, child)
        return result

    def _merge_sources(self, node: yaml.Node, path: Path_) -> list[dict[Any, Any]]:
        value = self.build(node, path)
        sources = value if isinstance(value, list) else [value]
        return [s for s in sources if isinstance(s, dict)]
