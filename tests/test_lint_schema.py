"""Our compiled validator of GitLab's schema gives the jsonschema library's verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT
from gitlab_schema import validator
from gitlabci_dsl.gitlab.reader import load
from gitlabci_dsl.lint import _as_json
from gitlabci_dsl.lint.schema import validate
from gitlabci_dsl.project import compile_module, discover, load_config


def verdicts(document: Any) -> tuple[bool, bool]:
    """(ours valid, jsonschema valid) for one document."""
    data = _as_json(document)
    return not validate(data), not any(True for _ in validator().iter_errors(data))


def test_same_verdict_on_every_corpus_document(corpus: list[Path]) -> None:
    """On every document of the shared corpus, valid or not, both validators agree."""
    checked = invalid = 0
    for path in corpus:
        for document in load(path.read_text(encoding="utf-8")):
            ours, theirs = verdicts(document.data)
            assert ours == theirs, path.name
            checked += 1
            invalid += not theirs
    assert checked > 100
    assert invalid > 0  # the corpus holds documents the schema rejects: the test has teeth


CONFIG = load_config(ROOT)
EXAMPLES = [
    load(compile_module(m, CONFIG).text)[-1].data
    for m in discover(CONFIG) + discover(CONFIG, [ROOT / "docs" / "examples"])
]
# Values that break one keyword or another: wrong types, empty, unknown keys.
ODD: st.SearchStrategy[Any] = st.sampled_from(
    [None, 0, -1, 1.5, True, "", "x", "$VAR", [], [""], ["a", "a"], {}, {"unknown": 1}, [{}]]
)


def mutate(data: Any, path: list[int], value: Any) -> Any:
    """``data`` with the node picked by ``path`` (indexes into keys or items) set to ``value``."""
    if not path or not isinstance(data, dict | list) or not data:
        return value
    if isinstance(data, dict):
        key = list(data)[path[0] % len(data)]
        return {**data, key: mutate(data[key], path[1:], value)}
    index = path[0] % len(data)
    return [*data[:index], mutate(data[index], path[1:], value), *data[index + 1 :]]


@settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    example=st.sampled_from(EXAMPLES),
    path=st.lists(st.integers(min_value=0, max_value=50), max_size=5),
    value=ODD,
)
def test_same_verdict_on_mutated_pipelines(example: Any, path: list[int], value: Any) -> None:
    """Any node of our pipelines replaced by an odd value: both validators agree."""
    ours, theirs = verdicts(mutate(example, path, value))
    assert ours == theirs


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("job:\n  script: a\n  scirpt: b\n", "unknown key(s) 'scirpt'"),
        ("job:\n  script: a\n  when: later\n", '"later" is not one of'),
        ("job:\n  script: a\n  retry: 7\n", "7 is more than 2"),
        ("job:\n  script: []\n", "needs at least 1 item"),
    ],
)
def test_messages_say_what_is_wrong(text: str, fragment: str) -> None:
    """The first error names the offending key or value."""
    errors = validate(_as_json(load(text)[-1].data))
    assert any(fragment in e.message for e in errors), errors
