"""GitLab CI/CD variable expressions: evaluated as GitLab does, malformed ones located, and
printed trees that parse back to themselves."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitlabci_dsl.gitlab.expression import (
    And,
    Compare,
    ExpressionError,
    Node,
    Null,
    Or,
    Regex,
    String,
    Variable,
    evaluate,
    parse,
)

VARIABLES = {
    "CI_COMMIT_BRANCH": "main",
    "CI_DEFAULT_BRANCH": "main",
    "CI_PIPELINE_SOURCE": "push",
    "EMPTY": "",
    "BLANK": "  ",
    "BRANCH": "feature/login",
    "PATTERN": "/^feature/",
    "WORDS": "release candidate",
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # https://docs.gitlab.com/ci/jobs/job_rules/#cicd-variable-expressions
        ("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH", True),
        ('$CI_PIPELINE_SOURCE == "merge_request_event"', False),
        ("$CI_PIPELINE_SOURCE != 'schedule'", True),
        ("$CI_COMMIT_TAG", False),  # undefined
        ("$EMPTY", False),  # defined but empty
        ("$BLANK", False),  # Ruby's present?: blank is not present
        ('$EMPTY == ""', True),
        ("$EMPTY == null", False),
        ("$UNDEFINED == null", True),
        ('$UNDEFINED != "x"', True),
        ("$BRANCH =~ /^feature/", True),
        ("$BRANCH =~ /^FEATURE/i", True),
        ("$BRANCH !~ /^feature/", False),
        ("$BRANCH =~ /login$/", True),
        ("$BRANCH =~ /feature\\/login/", True),  # \/ is a slash
        ("$UNDEFINED =~ /^$/", True),  # an undefined variable matches as ""
        ("$BRANCH =~ $PATTERN", True),  # a variable holding /regex/
        ('$BRANCH =~ "feature/login/x"', True),  # GitLab's fallback: a substring search
        ("$BRANCH =~ null", False),
        ("$BRANCH !~ null", True),
        # && and || return an operand, with Ruby truthiness ("" is true there)
        ("$EMPTY && $BRANCH", True),
        ("$EMPTY || $BRANCH", False),
        ("$UNDEFINED || $BRANCH", True),
        ('$CI_COMMIT_BRANCH == "main" || $UNDEFINED && $BRANCH', True),
        ('($CI_COMMIT_BRANCH == "x" || $BRANCH) && $UNDEFINED', False),
        ('$CI_COMMIT_BRANCH == "x" || $BRANCH && $UNDEFINED', False),
        ('$CI_COMMIT_BRANCH == "main" && $WORDS =~ /candidate/', True),
    ],
)
def test_evaluates_as_gitlab(expression: str, expected: bool) -> None:
    """Each expression has the value GitLab gives it."""
    assert evaluate(expression, VARIABLES) is expected


@pytest.mark.parametrize(
    ("expression", "column", "fragment"),
    [
        ("$A ==", 4, "no right operand"),
        ("== $A", 1, "no left operand"),
        ('($A == "x"', 1, "unmatched '('"),
        ('$A == "x")', 10, "unmatched ')'"),
        ("$A $B", 4, "without an operator"),
        ('${A} == "x"', 1, "not ${NAME}"),
        ('$A == "x', 7, "unknown token"),
        ("$A =~ /(?=x)y/", 7, "invalid regular expression for RE2"),
        ("$A =~ /(a)\\1/", 7, "invalid regular expression for RE2"),
        ("$A =~ /a++/", 7, "invalid regular expression for RE2"),
        ("$A =~ /(?<!a)b/", 7, "invalid regular expression for RE2"),
        ("$A =~ /a[/", 7, "invalid regular expression"),
        ("", 1, "empty expression"),
        # GitLab's limit: the 100th token is refused (here the "&&" after 50 variables)
        (" && ".join(["$A"] * 51), len(" && ".join(["$A"] * 50)) + 2, "more than 99 tokens"),
        # GitLab's regex token needs two characters between the slashes
        ("$A =~ /x/", 7, "unknown token"),
    ],
)
def test_malformed_expressions_say_where(expression: str, column: int, fragment: str) -> None:
    """A malformed expression is an error naming the problem and its column."""
    with pytest.raises(ExpressionError, match="column") as error:
        parse(expression)
    assert error.value.column == column
    assert fragment in str(error.value)


def test_re2_constructs_inside_a_character_class_are_allowed() -> None:
    """`[?=]` is a class of two characters, not a lookahead."""
    assert evaluate("$A =~ /^[?=]+$/", {"A": "?="})


@pytest.mark.parametrize(
    ("expression", "variables", "expected"),
    [
        (r"$A =~ /^\pL+$/", {"A": "héllo"}, True),  # Unicode classes
        (r"$A =~ /\Qa.b\E/", {"A": "xa.by"}, True),  # quoted literal text
        (r"$A =~ /\Qa.b\E/", {"A": "xaxby"}, False),
        (r"$A =~ /^\d+$/", {"A": "١٢٣"}, False),  # \d is ASCII digits only in RE2
        (r"$A =~ /^\w+$/", {"A": "é"}, False),  # \w is ASCII too
        (r"$A =~ /a(?i)b/", {"A": "aB"}, True),  # flags mid-pattern
        (r"$A =~ /a(?i)b/", {"A": "Ab"}, False),
        (r"$A =~ /^a.c$/s", {"A": "a\nc"}, True),  # s: dot matches a newline
        (r"$A =~ /^b$/m", {"A": "a\nb"}, True),  # m: ^ and $ at line ends
        (r"$A =~ /^a+?$/U", {"A": "aaa"}, True),  # U: ungreedy, as RE2 has it
        (r"$A =~ /(?P<name>x)/", {"A": "x"}, True),
    ],
)
def test_regexes_have_re2_syntax(
    expression: str, variables: dict[str, str], expected: bool
) -> None:
    """Regexes are matched by RE2, as GitLab matches them: its syntax and its classes."""
    assert evaluate(expression, variables) is expected


def test_regexes_run_in_linear_time() -> None:
    """A pattern that makes a backtracking engine take exponential time (Python's re needed
    minutes for 40 characters) is answered at once: RE2 never backtracks."""
    text = "a" * 100_000 + "b"
    assert evaluate("$X =~ /(a+)+$/", {"X": text}) is False
    assert evaluate("$X =~ /^(a|aa)+$/", {"X": text}) is False
    assert evaluate("$X =~ /^(a|aa)+b$/", {"X": text}) is True


def test_precedence_and_left_associativity() -> None:
    """&& binds tighter than ||, comparisons tighter than both, all left-associative."""
    a, b, c = Variable("A"), Variable("B"), Variable("C")
    assert parse("$A || $B && $C") == Or(a, And(b, c))
    assert parse("$A && $B || $C") == Or(And(a, b), c)
    assert parse("$A || $B || $C") == Or(Or(a, b), c)
    assert parse("($A || $B) && $C") == And(Or(a, b), c)
    assert parse('$A == "x" && $B') == And(Compare("==", a, String("x")), b)
    assert parse("$A == $B == $C") == Compare("==", Compare("==", a, b), c)


# -- round trip of printed trees --------------------------------------------------------------------

NAMES = st.from_regex(r"[A-Z_][A-Z0-9_]{0,8}", fullmatch=True)
TEXT = st.text(st.characters(blacklist_characters="\n\r", codec="utf-8"), max_size=10).filter(
    lambda s: not ('"' in s and "'" in s)  # GitLab strings have no escapes: one quote kind
)
PATTERNS = st.from_regex(r"\^?[a-z0-9.]{1,5}(\\/[a-z0-9]{1,3})?[a-z0-9]", fullmatch=True)
LEAVES: st.SearchStrategy[Node] = st.one_of(
    NAMES.map(Variable),
    TEXT.map(String),
    st.just(Null()),
    st.builds(Regex, PATTERNS, st.sampled_from(["", "i", "m", "s", "im"])),
)
TREES: st.SearchStrategy[Node] = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.builds(Compare, st.sampled_from(["==", "!=", "=~", "!~"]), children, children),
        st.builds(And, children, children),
        st.builds(Or, children, children),
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None, database=None)
@given(TREES)
def test_printed_trees_parse_back_to_themselves(tree: Node) -> None:
    """str() writes the fewest parentheses that keep the tree, and quotes each string with the
    quote it does not contain: parsing the text gives the same tree."""
    assert parse(str(tree)) == tree


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.lists(
        st.sampled_from(["$A", "$B", "$C", '$A == "1"', '$B != ""', "$C =~ /x$/"]),
        min_size=3,
        max_size=6,
    ),
    st.lists(st.sampled_from(["&&", "||"]), min_size=5, max_size=5),
    st.dictionaries(st.sampled_from("ABC"), st.sampled_from(["", "1", "x", "0"])),
)
def test_and_binds_tighter_than_or(
    operands: list[str], operators: list[str], variables: dict[str, str]
) -> None:
    """Without parentheses, an expression means the same as with every && group parenthesised."""
    text = operands[0]
    grouped, group = [], [operands[0]]
    for operand, operator in zip(operands[1:], operators, strict=False):
        text += f" {operator} {operand}"
        if operator == "&&":
            group.append(operand)
        else:
            grouped.append("(" + " && ".join(group) + ")")
            group = [operand]
    grouped.append("(" + " && ".join(group) + ")")
    assert evaluate(text, variables) == evaluate(" || ".join(grouped), variables)
