"""Every keyword of GitLab's CI schema has a typed home in the model.

The expected keyword sets are read from GitLab's own schema (shipped by check-jsonschema), so
a keyword GitLab adds makes this test fail until the model has it.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import attrs
import pytest

import gitlabci_dsl as g

RENAMED = {"except_": "except", "if_": "if"}


@functools.cache
def schema() -> dict[str, Any]:
    text = (
        resources.files("check_jsonschema")
        .joinpath("builtin_schemas/vendor/gitlab-ci.json")
        .read_text(encoding="utf-8")
    )
    return json.loads(text)  # type: ignore[no-any-return]


def resolve(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        path = node["$ref"].removeprefix("#/").split("/")
        node = schema()
        for part in path:
            node = node[part]
    return node


def keys(*path: str) -> set[str]:
    """Property names of the schema node at ``path``, across oneOf/anyOf/items alternatives."""
    node: Any = schema()
    for part in path:
        node = resolve(node)[part]
    found: set[str] = set()
    stack = [node]
    while stack:
        current = resolve(stack.pop())
        if not isinstance(current, dict):
            continue
        found.update(current.get("properties", {}))
        for alt in ("oneOf", "anyOf", "allOf"):
            stack.extend(current.get(alt, []))
        if "items" in current and isinstance(current["items"], dict):
            stack.append(current["items"])
    return found - {"!reference"}


def fields(cls: type) -> set[str]:
    return {RENAMED.get(f.name, f.name) for f in attrs.fields(cls)} - {"extra"}


CASES: list[tuple[str, tuple[str, ...], type, set[str]]] = [
    ("job keywords", ("definitions", "job_template"), g.Job, {"name"}),
    ("default", ("properties", "default"), g.Default, set()),
    ("workflow", ("properties", "workflow"), g.Workflow, set()),
    ("image", ("definitions", "image"), g.Image, set()),
    ("services", ("definitions", "services"), g.Service, set()),
    ("artifacts", ("definitions", "artifacts"), g.Artifacts, set()),
    ("reports", ("definitions", "artifacts", "properties", "reports"), g.Reports, set()),
    ("cache", ("definitions", "cache_item"), g.Cache, set()),
    ("cache key", ("definitions", "cache_item", "properties", "key"), g.CacheKey, set()),
    ("rules", ("definitions", "rules"), g.Rule, {"auto_cancel"}),
    ("changes", ("definitions", "changes"), g.Changes, set()),
    ("exists", ("definitions", "exists"), g.Exists, set()),
    ("retry", ("definitions", "retry"), g.Retry, set()),
    ("parallel", ("definitions", "parallel"), g.Parallel, set()),
    ("id_tokens", ("definitions", "id_tokens", "patternProperties", ".*"), g.IdToken, set()),
    ("secrets", ("definitions", "secrets", "patternProperties", ".*"), g.Secret, set()),
    ("hooks", ("definitions", "hooks"), g.Hooks, set()),
    ("dast_configuration", ("definitions", "dast_configuration"), g.DastConfiguration, set()),
    (
        "environment",
        ("definitions", "job_template", "properties", "environment"),
        g.Environment,
        set(),
    ),
    ("release", ("definitions", "job_template", "properties", "release"), g.Release, set()),
    ("inherit", ("definitions", "job_template", "properties", "inherit"), g.Inherit, set()),
    ("trigger", ("definitions", "job_template", "properties", "trigger"), g.Trigger, set()),
    ("pages", ("definitions", "job_template", "properties", "pages"), g.Pages, set()),
    ("only/except", ("definitions", "filter"), g.OnlyExcept, set()),
    ("spec", ("properties", "spec"), g.Spec, set()),
    ("include", ("definitions", "include_item"), g.Include, {"artifact", "job"}),
    ("step", ("definitions", "step"), g.Step, set()),
]


@pytest.mark.parametrize(
    ("where", "cls", "ours_only"), [(c[1], c[2], c[3]) for c in CASES], ids=[c[0] for c in CASES]
)
def test_every_schema_keyword_is_a_field(
    where: tuple[str, ...], cls: type, ours_only: set[str]
) -> None:
    """The schema's keywords for this node are exactly the model's fields."""
    expected = keys(*where)
    assert expected, where
    assert fields(cls) - ours_only == expected


def test_top_level_keys() -> None:
    """Every top-level key GitLab reads is a Pipeline field (pages is an ordinary job)."""
    expected = set(schema()["properties"]) - {"!reference", "$schema", "pages"}
    assert expected <= fields(g.Pipeline)


def test_there_are_39_job_keywords() -> None:
    """The issue's inventory: 39 job keywords in GitLab's schema, all modelled."""
    assert len(keys("definitions", "job_template")) == 39
