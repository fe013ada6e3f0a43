"""GitLab's official CI schema (as shipped by check-jsonschema), validated in process."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import jsonschema

from gitlabci_dsl import Reference
from gitlabci_dsl.emitter import _Loader


@functools.cache
def validator() -> jsonschema.Draft7Validator:
    text = (
        resources.files("check_jsonschema")
        .joinpath("builtin_schemas/vendor/gitlab-ci.json")
        .read_text(encoding="utf-8")
    )
    schema = json.loads(text)
    return jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )


def _as_json(value: Any) -> Any:
    # What check-jsonschema's "gitlab-ci" data transform does: a !reference is a list of strings.
    if isinstance(value, Reference):
        return list(value.path)
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    return value


def schema_errors(text: str) -> list[str]:
    """Every schema violation in ``text``, each document validated on its own."""
    import yaml

    problems = []
    for number, document in enumerate(yaml.load_all(text, Loader=_Loader), start=1):
        for error in validator().iter_errors(_as_json(document)):
            path = "/".join(str(p) for p in error.absolute_path)
            problems.append(f"document {number}, {path or '<root>'}: {error.message}")
    return problems
