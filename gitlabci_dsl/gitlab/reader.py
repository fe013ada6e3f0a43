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
from .facts import MAX_YAML_DEPTH, MAX_YAML_SIZE_BYTES

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


# What an object of the parsed configuration is taken to weigh, besides its text, when its
# size is judged as GitLab's DeepSize judges it (aliases count every time they are used).
_OBJECT_WEIGHT = 40


def _error(message: str, node: yaml.Node) -> YamlSyntaxError:
    return YamlSyntaxError(message, node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    """Builds the data of one document, as GitLab's loader would accept it.

    Aliases are built once and shared, so the work is linear in the file; but the size and
    depth GitLab judges are those of the expanded data, so each node's expanded weight and
    height are kept too, and a document over GitLab's limits (``MAX_YAML_DEPTH``,
    ``MAX_YAML_SIZE_BYTES``, ``Gitlab::Utils::DeepSize``) is refused while it is being built:
    an alias bomb of a few hundred bytes never expands here or in any command after.
    """

    def __init__(self) -> None:
        self.positions: dict[Path_, tuple[int, int]] = {}
        self.duplicates: list[Duplicate] = []
        self.done: dict[int, Any] = {}  # aliases: a node built once is the same value
        self.weight: dict[int, int] = {}  # expanded weight of each node built
        self.height: dict[int, int] = {}  # levels of nesting below each node built
        self.building: set[int] = set()  # nodes on the current path: an alias to one loops

    def build(self, node: yaml.Node, path: Path_, depth: int = 0) -> Any:
        self.positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        key = id(node)
        if key in self.building:
            raise _error("an alias refers to the node that contains it (a loop)", node)
        known = self.done.get(key)
        if known is not None:
            if depth + self.height[key] > MAX_YAML_DEPTH:
                raise _error(f"nested deeper than {MAX_YAML_DEPTH} levels, GitLab's limit", node)
            return known
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if depth >= MAX_YAML_DEPTH:
            raise _error(f"nested deeper than {MAX_YAML_DEPTH} levels, GitLab's limit", node)
        self.building.add(key)
        self.weight[key] = _OBJECT_WEIGHT
        self.height[key] = 1
        value: Any
        if isinstance(node, yaml.SequenceNode):
            items = []
            for i, item in enumerate(node.value):
                items.append(self.build(item, (*path, i), depth + 1))
                self._count(node, item)
            value = items if node.tag.startswith("tag:yaml.org,2002:") else Tagged(node.tag, items)
        else:
            assert isinstance(node, yaml.MappingNode)
            value = self._mapping(node, path, depth)
        self.building.discard(key)
        self.done[key] = value
        return value

    def _count(self, parent: yaml.Node, child: yaml.Node) -> None:
        """Add ``child``'s expanded weight and height to ``parent``'s; refuse a document that
        grows past GitLab's size limit."""
        key, other = id(parent), id(child)
        if isinstance(child, yaml.ScalarNode):
            weight, height = _OBJECT_WEIGHT + len(child.value), 0
        else:
            weight, height = self.weight[other], self.height[other]
        self.weight[key] += weight
        self.height[key] = max(self.height[key], height + 1)
        if self.weight[key] > MAX_YAML_SIZE_BYTES:
            raise _error(
                f"the parsed YAML is too big: aliases expand it past {MAX_YAML_SIZE_BYTES:,} "
                "bytes, GitLab's limit for a configuration",
                parent,
            )

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag in (_INT, _FLOAT, _BOOL, _NULL):
            try:
                return _SCALARS.construct_object(node)
            except ValueError:  # an integer longer than Python converts (4,300 digits)
                raise _error(
                    f"a number of {len(node.value):,} characters; quote it if it is text",
                    node,
                ) from None
        return node.value  # strings, and timestamps kept as written

    def _mapping(self, node: yaml.MappingNode, path: Path_, depth: int) -> dict[Any, Any]:
        # Pairs in order, as Ruby's Psych (GitLab's parser) does: a merge key (``<<``) updates
        # the mapping with its source, over keys set before it; keys after it win over it.
        # A merge of several sources (``<<: [*a, *b]``) lets the earlier source win.
        result: dict[Any, Any] = {}
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                combined: dict[Any, Any] = {}
                for source in reversed(self._merge_sources(value_node, path, depth)):
                    combined.update(source)
                self._count(node, value_node)
                result.update(combined)
                continue
            if isinstance(key_node, yaml.ScalarNode):
                key = self._scalar(key_node)
            else:
                # A mapping or list as a key: GitLab needs strings; kept as its text, whose
                # size the weight counted has already bounded.
                key = str(self.build(key_node, (*path, "<key>"), depth + 1))
            self._count(node, key_node)
            child = (*path, key)
            mark = key_node.start_mark
            if key in seen:
                self.duplicates.append(Duplicate(child, mark.line + 1, mark.column + 1))
            seen.add(key)
            self.positions[child] = (mark.line + 1, mark.column + 1)
            result[key] = self.build(value_node, child, depth + 1)
            self._count(node, value_node)
        return result

    def _merge_sources(self, node: yaml.Node, path: Path_, depth: int) -> list[dict[Any, Any]]:
        value = self.build(node, path, depth + 1)
        sources = value if isinstance(value, list) else [value]
        return [s for s in sources if isinstance(s, dict)]
