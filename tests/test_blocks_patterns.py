"""Checks written with string methods (to keep start-up free of regex compiles) say what the
regular expression they replace says, for every text."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from gitlabci_dsl.blocks import _fields, _shell, cleanup, docker, kubernetes, registry
from gitlabci_dsl.model import environment

# Each check, the regex it stands for (full match unless searched), and the characters that
# matter to it, plus a few that must be refused (unicode digits, line breaks, NUL).
_TRICKY = "\n\r\t\x00\x7f \u00a0\u0660²µ-._$"
CASES: list[tuple[str, Callable[[str], bool], str, str]] = [
    ("docker release", docker._is_release, r"[0-9]+\.[0-9]+(?:\.[0-9]+)?", "0123456789."),
    (
        "kubernetes name",
        kubernetes._is_name,
        r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?",
        "ab09-",
    ),
    ("AWS region", registry._is_region, r"[a-z]{2}(?:-[a-z]+)+-[0-9]+", "euwst-019"),
    (
        "cleanup age",
        cleanup._is_age,
        r"[0-9]+(?:h|d|w|month|months|y|year|years)",
        "0123456789hdwmonthsyear",
    ),
    ("environment url", environment._is_url, r"(https?://.+|\$[A-Za-z].*)", "https:/$aZx"),
    ("bare shell word", _shell._bare, r"[A-Za-z0-9_@%+=:,./-]+", "aZ09_@%+=:,./-'\"`"),
    ("registry host", registry.is_registry_host, registry.HOST, "aZ9-.:0"),
    ("path component", registry.is_path_component, registry.PATH_COMPONENT, "az09._-A"),
    ("image tag", registry.is_tag, registry.TAG, "aZ09_.-:"),
]


@pytest.mark.parametrize(("what", "check", "regex", "alphabet"), CASES, ids=[c[0] for c in CASES])
def test_string_checks_match_their_regex(
    what: str, check: Callable[[str], bool], regex: str, alphabet: str
) -> None:
    """Each string-method check accepts exactly the texts its regex full-matches."""

    @given(st.text(alphabet=alphabet + _TRICKY, max_size=140))
    @example("")
    @example("a" * 63)
    @example("a" * 64)
    @example("a" * 128)
    @example("a" * 129)
    def agree(text: str) -> None:
        assert check(text) == bool(re.fullmatch(regex, text)), (what, text)

    agree()


@given(st.text(alphabet="0123456789.nsuµmh" + _TRICKY, max_size=12))
def test_plain_timeouts_are_go_durations(text: str) -> None:
    """The kubectl timeout fast path never accepts a text the Go duration grammar refuses."""
    if kubernetes._is_plain_timeout(text):
        assert re.fullmatch(kubernetes._TIMEOUT, text), text


@given(st.text(max_size=30))
def test_has_control_is_the_control_pattern(text: str) -> None:
    """has_control finds exactly the characters of CONTROL, printable texts answered at once."""
    assert _fields.has_control(text) == bool(re.search(_fields.CONTROL, text))


def _escaped_the_long_way(value: str) -> str:
    parts, start = [], 0
    for reference in _shell.VARIABLE.finditer(value):
        parts += [value[start : reference.start()].translate(_shell._ESCAPES), reference.group()]
        start = reference.end()
    return "".join([*parts, value[start:].translate(_shell._ESCAPES)])


@given(st.text(alphabet='ab$"\\`{}_ ', max_size=20))
def test_escape_shortcut_changes_nothing(text: str) -> None:
    """escape's shortcut for values with nothing to escape gives what the full walk gives."""
    assert _shell.escape(text) == _escaped_the_long_way(text)
