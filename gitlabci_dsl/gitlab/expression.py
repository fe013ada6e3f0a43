"""GitLab CI/CD variable expressions (``rules:if``, ``workflow:rules``, ``include:rules``):
parse, print and evaluate them as GitLab does. Never ``eval``.

Ported from the behaviour of GitLab's own implementation
(``lib/gitlab/ci/pipeline/expression``), quirks included:

* tokens: ``(`` ``)``, ``$NAME`` (``\\w`` characters; ``${NAME}`` is not an expression token in
  GitLab and is refused), ``"…"`` or ``'…'`` strings without escapes, ``/regex/`` literals
  with flags ``i``, ``m``, ``s`` (``\\/`` for a slash), ``null``, ``==`` ``!=`` ``=~`` ``!~``
  ``&&`` ``||``; at most 99 tokens;
* precedence: comparisons, then ``&&``, then ``||``, all left-associative;
* values as Ruby sees them: an undefined variable is ``nil``; ``&&`` and ``||`` return an
  operand, and only ``nil`` and ``false`` are false there (``""`` is true), while the whole
  statement is true only when its value is "present" (not nil, false, or blank);
* ``=~`` matches the text (``""`` when undefined) against a regex, or against a variable whose
  value is ``/regex/flags``; a variable holding anything else is searched for the text as a
  plain substring (GitLab's fallback); ``=~ null`` is false, ``!~ null`` true;
* regexes are RE2's (GitLab's engine, through the ``google-re2`` binding): its syntax
  (``\\pL``, ``\\Q…\\E``, ASCII ``\\d``/``\\w``, ``(?i)`` mid-pattern, the ``U`` flag) and its
  linear time; what RE2 refuses (lookarounds, backreferences, atomic groups, possessive
  quantifiers) is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from ..errors import GitlabCIDSLError

__all__ = [
    "And",
    "Compare",
    "ExpressionError",
    "Null",
    "Or",
    "Regex",
    "String",
    "Variable",
    "evaluate",
    "parse",
    "syntax_error",
]

MAX_TOKENS = 99


class ExpressionError(GitlabCIDSLError):
    """A malformed expression; ``column`` (1-based) is where the problem is."""

    def __init__(self, message: str, text: str, column: int) -> None:
        super().__init__(f"{message} at column {column}: {text}")
        self.column = column


# -- the syntax tree -----------------------------------------------------------------------------


class Variable(NamedTuple):
    name: str

    def __str__(self) -> str:
        return f"${self.name}"


class String(NamedTuple):
    value: str

    def __str__(self) -> str:
        quote = "'" if '"' in self.value else '"'
        return f"{quote}{self.value}{quote}"


class Null(NamedTuple):
    def __str__(self) -> str:
        return "null"


class Regex(NamedTuple):
    pattern: str  # as written between the slashes (``\/`` for a slash)
    flags: str

    def __str__(self) -> str:
        return f"/{self.pattern}/{self.flags}"


class Compare(NamedTuple):
    op: str  # ==, !=, =~, !~
    left: Node
    right: Node

    def __str__(self) -> str:
        return _binary(self, self.op)


class And(NamedTuple):
    left: Node
    right: Node

    def __str__(self) -> str:
        return _binary(self, "&&")


class Or(NamedTuple):
    left: Node
    right: Node

    def __str__(self) -> str:
        return _binary(self, "||")


Node = Variable | String | Null | Regex | Compare | And | Or
_PRECEDENCE = {"==": 10, "!=": 10, "=~": 10, "!~": 10, "&&": 11, "||": 12}


def _level(node: Node) -> int:
    if isinstance(node, Compare):
        return _PRECEDENCE[node.op]
    if isinstance(node, And):
        return 11
    if isinstance(node, Or):
        return 12
    return 0


def _binary(node: Compare | And | Or, op: str) -> str:
    """Printed with the fewest parentheses that keep the tree (operators are left-associative)."""
    level = _level(node)
    left, right = str(node.left), str(node.right)
    if _level(node.left) > level:
        left = f"({left})"
    if _level(node.right) >= level and _level(node.right):
        right = f"({right})"
    return f"{left} {op} {right}"


# -- lexer ---------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""(?P<open>\()|(?P<close>\))
      |\$(?P<variable>\w+)
      |"(?P<dq>[^"\n]*?)"|'(?P<sq>[^'\n]*?)'
      |/(?P<regex>(?:[^/\n]|\\/)+[^\\\n])/(?P<flags>[ismU]*)
      |(?P<null>null)
      |(?P<op>==|=~|!=|!~|&&|\|\|)""",
    re.X | re.ASCII,
)
_SPACE = re.compile(r"\s+")


class _Token(NamedTuple):
    kind: str
    value: Any
    column: int


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while True:
        space = _SPACE.match(text, position)
        if space:
            position = space.end()
        if position >= len(text):
            return tokens
        if len(tokens) >= MAX_TOKENS:
            raise ExpressionError(f"more than {MAX_TOKENS} tokens", text, position + 1)
        match = _TOKEN.match(text, position)
        if match is None:
            hint = ""
            if text.startswith("${", position):
                hint = " (GitLab expressions take $NAME, not ${NAME})"
            raise ExpressionError(f"unknown token{hint}", text, position + 1)
        kind = match.lastgroup or ""
        column = position + 1
        if kind in ("dq", "sq"):
            tokens.append(_Token("value", String(match.group(kind)), column))
        elif kind == "variable":
            tokens.append(_Token("value", Variable(match.group(kind)), column))
        elif kind in ("regex", "flags"):
            pattern, flags = match.group("regex"), match.group("flags")
            _compile(pattern, flags, text, column)  # refuse what RE2 refuses, now
            tokens.append(_Token("value", Regex(pattern, flags), column))
        elif kind == "null":
            tokens.append(_Token("value", Null(), column))
        else:
            tokens.append(
                _Token(kind if kind in ("open", "close") else match.group(kind), None, column)
            )
        position = match.end()


# -- parser: shunting-yard, as GitLab's ------------------------------------------------------------


def parse(text: str) -> Node:
    """The syntax tree of ``text``; :class:`ExpressionError` with the column when malformed."""
    output: list[_Token] = []
    operators: list[_Token] = []
    for token in _tokens(text):
        if token.kind == "value":
            output.append(token)
        elif token.kind == "open":
            operators.append(token)
        elif token.kind == "close":
            while operators and operators[-1].kind != "open":
                output.append(operators.pop())
            if not operators:
                raise ExpressionError("unmatched ')'", text, token.column)
            operators.pop()
        else:
            level = _PRECEDENCE[token.kind]
            while (
                operators
                and operators[-1].kind != "open"
                and _PRECEDENCE[operators[-1].kind] <= level
            ):
                output.append(operators.pop())
            operators.append(token)
    for token in reversed(operators):
        if token.kind == "open":
            raise ExpressionError("unmatched '('", text, token.column)
        output.append(token)
    stack: list[tuple[Node, int]] = []
    for token in output:
        if token.kind == "value":
            stack.append((token.value, token.column))
            continue
        if len(stack) < 2:
            side = "right" if stack and stack[-1][1] < token.column else "left"
            raise ExpressionError(f"{token.kind} has no {side} operand", text, token.column)
        (right, _), (left, column) = stack.pop(), stack.pop()
        node: Node
        if token.kind == "&&":
            node = And(left, right)
        elif token.kind == "||":
            node = Or(left, right)
        else:
            node = Compare(token.kind, left, right)
        stack.append((node, column))
    if not stack:
        raise ExpressionError("empty expression", text, 1)
    if len(stack) > 1:
        raise ExpressionError("a value without an operator before it", text, stack[1][1])
    return stack[0][0]


def syntax_error(text: str) -> ExpressionError | None:
    """Why GitLab refuses ``text`` as an expression (``invalid expression syntax``), or None:
    it must parse, and each ``/regex/`` must be one RE2 accepts."""
    try:
        tree = parse(text)
        pending: list[Node] = [tree]
        while pending:
            node = pending.pop()
            if isinstance(node, Regex):
                _compile(node.pattern, node.flags, text, 1)  # as evaluation compiles it
            elif isinstance(node, (And, Or, Compare)):
                pending += [node.left, node.right]
    except ExpressionError as exc:
        return exc
    return None


# -- evaluation ------------------------------------------------------------------------------------


def evaluate(expression: str | Node, variables: Mapping[str, str]) -> bool:
    """Whether GitLab considers the expression true for ``variables`` (undefined = absent)."""
    node = parse(expression) if isinstance(expression, str) else expression
    return _present(_value(node, variables))


def _present(value: Any) -> bool:
    """Ruby's ``present?``: not nil, not false, not a blank string."""
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return value.strip() != ""
    return True


def _truthy(value: Any) -> bool:
    """Ruby truthiness: everything but nil and false (``""`` is true)."""
    return value is not None and value is not False


def _value(node: Node, variables: Mapping[str, str]) -> Any:
    if isinstance(node, Variable):
        return variables.get(node.name)
    if isinstance(node, String):
        return node.value
    if isinstance(node, Null):
        return None
    if isinstance(node, Regex):
        return node
    if isinstance(node, And):
        left = _value(node.left, variables)
        return _value(node.right, variables) if _truthy(left) else left
    if isinstance(node, Or):
        left = _value(node.left, variables)
        return left if _truthy(left) else _value(node.right, variables)
    left, right = _value(node.left, variables), _value(node.right, variables)
    if node.op == "==":
        return _equal(left, right)
    if node.op == "!=":
        return not _equal(left, right)
    matched = _matches(left, right)
    if matched is None:  # no pattern: =~ is false, !~ is true
        return node.op == "!~"
    return matched if node.op == "=~" else not matched


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    return bool(left == right)


def _matches(text: Any, pattern: Any) -> bool | None:
    if not _truthy(pattern):
        return None
    subject = "" if text is None else ("true" if text is True else str(text))
    if isinstance(pattern, Regex):
        return _compile(pattern.pattern, pattern.flags, str(pattern), 1).search(subject) is not None
    if isinstance(pattern, str):
        literal = re.fullmatch(r"/(.*)/([ismU]*)", pattern, re.S)
        if literal:
            try:
                compiled = _compile(literal.group(1), literal.group(2), pattern, 1)
            except ExpressionError:
                compiled = None
            if compiled is not None:
                return compiled.search(subject) is not None
        return subject in pattern  # GitLab's fallback: String#scan of the text
    return False


def _compile(pattern: str, flags: str, text: str, column: int) -> Any:
    """The RE2 regex GitLab builds from ``/pattern/flags`` (``UntrustedRegexp::RubySyntax``:
    the flags become a ``(?flags)`` prefix; RE2 knows ``i``, ``m``, ``s`` and ``U``). RE2 runs
    in time linear in the text and refuses what it cannot run so (backreferences, lookaround),
    as GitLab then does."""
    from .regex import compile_re2

    compiled = compile_re2(f"(?{flags}){pattern}" if flags else pattern)
    if isinstance(compiled, str):
        raise ExpressionError(
            f"invalid regular expression for RE2, GitLab's regex engine ({compiled})", text, column
        )
    return compiled
