"""The script-injection scanner: which expansions of contributor-chosen variables the shell
splits or runs as code, with the shell's own quoting."""

from __future__ import annotations

import pytest

from gitlabci_dsl.lint.injection import REF_NAMES, UNTRUSTED, unsafe


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("echo $CI_COMMIT_TITLE", [("CI_COMMIT_TITLE", "unquoted")]),
        ("echo ${CI_MERGE_REQUEST_TITLE}", [("CI_MERGE_REQUEST_TITLE", "unquoted")]),
        ("echo x$(printf %s $CI_COMMIT_MESSAGE)", [("CI_COMMIT_MESSAGE", "unquoted")]),
        ("echo `cat $GITLAB_USER_NAME`", [("GITLAB_USER_NAME", "unquoted")]),
        ('eval "deploy $CI_COMMIT_BRANCH"', [("CI_COMMIT_BRANCH", "eval")]),
        ("sh -c 'echo $CI_COMMIT_REF_NAME'", [("CI_COMMIT_REF_NAME", "sh -c")]),
        ('/bin/bash -c "notify $CI_COMMIT_TAG"', [("CI_COMMIT_TAG", "bash -c")]),
        ('true; eval "$CI_COMMIT_TITLE"', [("CI_COMMIT_TITLE", "eval")]),
    ],
)
def test_unsafe_expansions_are_found(line: str, expected: list[tuple[str, str]]) -> None:
    assert unsafe(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        'echo "$CI_COMMIT_TITLE"',
        "echo '$CI_COMMIT_TITLE'",  # single quotes: not expanded at all
        "echo \\$CI_COMMIT_TITLE",  # escaped
        "TITLE=$CI_MERGE_REQUEST_TITLE",  # an assignment is not split
        "export TITLE=$CI_MERGE_REQUEST_TITLE",
        "if [[ $CI_COMMIT_MESSAGE == *skip* ]]; then exit 0; fi",
        "case $CI_COMMIT_TITLE in fix*) echo fix;; esac",
        "git checkout $CI_COMMIT_BRANCH",  # git refuses whitespace and globs in ref names
        "docker build -t app:$CI_COMMIT_REF_SLUG .",  # a slug is [a-z0-9-]
        "echo $CI_COMMIT_SHA",  # not chosen by a contributor
        'sh -c "make $TARGET"',
        "eval $(opam env)",
    ],
)
def test_safe_expansions_are_not(line: str) -> None:
    assert unsafe(line) == []


def test_ref_names_are_untrusted_too() -> None:
    assert REF_NAMES <= UNTRUSTED


def test_a_hostile_line_is_scanned_in_one_pass() -> None:
    """Quotes, substitutions and dollars by the hundred thousand: one finding per expansion,
    no backtracking (the scanner is a single left-to-right loop)."""
    line = "echo " + "'\"$(`" * 50_000 + " $CI_COMMIT_TITLE" * 1000
    assert len(unsafe(line)) <= 1000
    many = "echo" + " $CI_COMMIT_TITLE" * 20_000
    assert len(unsafe(many)) == 20_000
    glued = "$CI_COMMIT_TITLE" * 20_000  # one word of 20,000 expansions
    assert len(unsafe(glued)) == 20_000
