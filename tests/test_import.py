"""`gitlabci-dsl import`: YAML → an idiomatic module that compiles back to the same YAML."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from typer.testing import CliRunner

from conftest import ROOT, TextSnapshot
from gitlabci_dsl import to_yaml
from gitlabci_dsl.cli import app
from gitlabci_dsl.importer import ImportYamlError, first_difference, import_yaml

sys.path.insert(0, str(ROOT / "scripts"))
# The repository's round-trip script, tested here.
import_roundtrip: Any = importlib.import_module("import_roundtrip")

EVERY_FORM = """\
spec:
  inputs:
    stage:
      default: test
    environment:
      options: [staging, production]
      default: staging
---
include:
  - local: /ci/common.yml
  - template: Security/SAST.gitlab-ci.yml
stages: [build, test, deploy]
variables:
  GLOBAL: "1"
  CHOICE:
    value: a
    options: [a, b]
    description: pick one
workflow:
  rules:
    - if: $CI_COMMIT_BRANCH
    - if: $CI_COMMIT_TAG
default:
  image: alpine:3.20
  retry: 1
.vars: &vars
  A: one
  B: two
.base: &base
  image: python:3.12
  before_script:
    - echo setup
  tags: [docker]
.more: &more
  interruptible: true
build:
  <<: [*base, *more]
  <<: {retry: 2}
  stage: build
  variables: *vars
  script: make
  artifacts:
    paths: [dist/]
unit:
  extends: .base
  stage: $[[ inputs.stage ]]
  needs: [build]
  parallel:
    matrix:
      - PY: ["3.11", "3.12"]
  script:
    - !reference [.base, before_script]
    - pytest
  only: [main]
  except:
    variables: [$SKIP]
deploy:
  extends: [.base]
  stage: deploy
  needs:
    - job: build
      artifacts: false
    - unit
  variables: null
  environment:
    name: $[[ inputs.environment ]]
    on_stop: stop
  script: ["./deploy.sh"]
  rules:
    - if: $CI_COMMIT_TAG
      when: manual
stop:
  stage: deploy
  environment: {name: staging, action: stop}
  needs: [deploy]
  when: manual
  script: ["./stop.sh"]
child:
  stage: deploy
  trigger:
    include: child.yml
    strategy: depend
"""


def compile_code(code: str, tmp_path: Path) -> str:
    """The YAML the module compiles to (the library path `compile` takes)."""
    namespace: dict[str, Any] = {}
    exec(compile(code, str(tmp_path / "module.py"), "exec"), namespace)  # noqa: S102
    return to_yaml(namespace["pipeline"])


def test_every_form_compiles_back_to_the_same_yaml(tmp_path: Path) -> None:
    """Anchors, merge keys (two in one mapping), !reference, extends, templates, default,
    include, a spec header, only/except, matrix, trigger and `key: null` all round-trip."""
    code = import_yaml(EVERY_FORM, source="every.yml").code
    assert import_roundtrip.difference(EVERY_FORM, compile_code(code, tmp_path)) is None


def test_the_module_uses_the_dsl_idioms() -> None:
    """Stages are objects, jobs refer to jobs, templates stay templates, !reference stays."""
    code = import_yaml(EVERY_FORM, source="every.yml").code
    assert 'build = Stage("build")' in code
    assert "stages=[build, test, deploy]" in code
    assert 'base = Job(".base", image="python:3.12"' in code  # a template, not expanded
    assert "included=True" not in code
    assert "extends=base," in code
    assert "extends=[base]," in code
    assert 'Reference(base, "before_script")' in code
    assert "needs=[Need(build_job, artifacts=False), unit]" in code
    # deploy and stop refer to each other: one of them has to use the other's name.
    assert 'Environment("$[[ inputs.environment ]]", on_stop=stop)' in code
    assert 'needs=["deploy"]' in code
    assert 'extra={"variables": None}' in code
    assert "spec = Spec(" in code
    assert "workflow = Workflow(" in code
    assert "default = Default(" in code
    assert 'extra={".vars": {"A": "one", "B": "two"}}' in code  # not a job: plain data


def test_importing_is_stable(tmp_path: Path) -> None:
    """Twice the same input gives the same module, and so does the YAML it compiles to."""
    first = import_yaml(EVERY_FORM, source="every.yml").code
    assert import_yaml(EVERY_FORM, source="every.yml").code == first
    compiled = compile_code(first, tmp_path)
    assert import_yaml(compiled, source="every.yml").code == first


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("a: [1\n", "x.yml:2:1", "invalid YAML"),
        ("job:\n  script: [a]\n  script: [b]\n", "x.yml:3:3", "'script' is written twice"),
        ("job:\n\tscript: [a]\n", "x.yml:2:1", "a tab indents line 2"),
        ("- a\n- b\n", "x.yml:1:1", "not a list"),
        ("", "x.yml:1:1", "the file is empty"),
        ("job:\n  script: !custom [a]\n", "x.yml:2:3", "unknown tag !custom"),
        ("job:\n  1: x\n  script: [a]\n", "x.yml:1:1", "quote it"),
        ("a: 1\n---\nb: 2\n---\nc: 3\n", "x.yml:1:1", "3 YAML documents"),
    ],
)
def test_bad_input_is_one_error_with_line_and_column(text: str, where: str, words: str) -> None:
    """Invalid YAML, a duplicate key, a tab indent, a non-mapping document: one clear error."""
    with pytest.raises(ImportYamlError) as error:
        import_yaml(text, source="x.yml")
    message = str(error.value)
    assert message.startswith(where + ":")
    assert words in message
    assert "\n" not in message


def test_duplicates_can_be_imported_as_gitlab_reads_them(tmp_path: Path) -> None:
    """--allow-duplicates keeps the last value, as GitLab does, and warns with the place."""
    text = "job:\n  script: [a]\n  script: [b]\n"
    imported = import_yaml(text, source="x.yml", allow_duplicates=True)
    assert imported.warnings == [
        "x.yml:3:3: key 'script' is written twice; the last one is kept, as GitLab does"
    ]
    assert 'script=["b"]' in imported.code


def test_unknown_keys_are_kept_in_extra_with_a_warning(tmp_path: Path) -> None:
    """A key the model does not know is never lost: it goes to extra, and the user is told."""
    text = "job:\n  script: [a]\n  future_keyword: {x: 1}\n"
    imported = import_yaml(text, source="x.yml")
    assert imported.warnings == ["job 'job': unknown keyword 'future_keyword' kept in extra"]
    assert 'extra={"future_keyword": {"x": 1}}' in imported.code
    assert import_roundtrip.difference(text, compile_code(imported.code, tmp_path)) is None


def test_values_the_model_would_write_differently_stay_yaml(tmp_path: Path) -> None:
    """A nested list from an anchor (GitLab flattens it) cannot be typed: it goes to extra."""
    text = ".setup: &setup [a, b]\njob:\n  script: [*setup, c]\n"
    imported = import_yaml(text, source="x.yml")
    assert 'extra={"script": [["a", "b"], "c"]}' in imported.code
    assert imported.warnings == []
    assert import_roundtrip.difference(text, compile_code(imported.code, tmp_path)) is None


def test_a_file_that_is_part_of_a_pipeline_is_marked_included(tmp_path: Path) -> None:
    """Stages and templates defined by the including file: the module says included=True,
    with a warning, and compiles."""
    text = "lint:\n  stage: check\n  extends: .ruby\n"
    imported = import_yaml(text, source="part.yml")
    assert "included=True" in imported.code
    assert "not a whole pipeline" in imported.warnings[0]
    assert import_roundtrip.difference(text, compile_code(imported.code, tmp_path)) is None


def test_a_building_block_job_becomes_the_block() -> None:
    """The committed YAML of the DockerBuild example imports as DockerBuild(...).job()."""
    text = (ROOT / ".gitlab/ci/docker_build.yml").read_text(encoding="utf-8")
    code = import_yaml(text, source="docker_build.yml").code
    assert "DockerBuild(" in code
    assert "= Job(" not in code


@pytest.mark.parametrize("example", ["kaniko", "scan", "mirror", "registries", "flow", "buildah"])
def test_block_examples_recover_their_blocks(example: str) -> None:
    """KanikoBuild, BuildahBuild, TrivyScan and Mirror jobs are recognised in the compiled
    examples."""
    text = (ROOT / f".gitlab/ci/{example}.yml").read_text(encoding="utf-8")
    code = import_yaml(text, source=f"{example}.yml").code
    expected = {
        "kaniko": ["KanikoBuild("],
        "scan": ["DockerBuild(", "TrivyScan("],
        "mirror": ["DockerBuild(", "Mirror("],
        "registries": ["DockerBuild("],
        "flow": ["DockerBuild(", "TrivyScan("],
        "buildah": ["BuildahBuild(", "Mirror("],
    }[example]
    for block in expected:
        assert block in code


def test_a_job_that_differs_from_the_block_stays_a_job() -> None:
    """One flag more than DockerBuild writes: the job is not rewritten into the block."""
    text = (ROOT / ".gitlab/ci/docker_build.yml").read_text(encoding="utf-8")
    changed = text.replace("      --pull \\\n", "      --pull \\\n      --squash \\\n")
    assert changed != text
    code = import_yaml(changed, source="docker_build.yml").code
    assert "DockerBuild(" not in code
    assert "--squash" in code


def test_import_snapshot(snapshot: SnapshotAssertion) -> None:
    """The module written for the every-form fixture, byte for byte."""
    code = import_yaml(EVERY_FORM, source="every.yml").code
    assert code == snapshot.use_extension(TextSnapshot)


def test_cli_writes_the_module_and_never_overwrites(project: Path) -> None:
    """-o writes the module (with `output` when the YAML is not where compile would write);
    an existing module is left alone without --force; exit codes 0, 1, 2."""
    (project / "ci.yml").write_text("job:\n  script: [make]\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["import", "ci.yml", "-o", "pipelines/main.py"])
    assert result.exit_code == 0, result.output
    module = (project / "pipelines/main.py").read_text(encoding="utf-8")
    assert 'output = "ci.yml"' in module
    again = runner.invoke(app, ["import", "ci.yml", "-o", "pipelines/main.py"])
    assert again.exit_code == 1
    assert "already exists" in again.output
    assert (project / "pipelines/main.py").read_text(encoding="utf-8") == module
    assert (
        runner.invoke(app, ["import", "ci.yml", "-o", "pipelines/main.py", "--force"]).exit_code
        == 0
    )
    compiled = runner.invoke(app, ["compile"])
    assert compiled.exit_code == 0, compiled.output
    assert "job:\n  script:\n  - make\n" in (project / "ci.yml").read_text(encoding="utf-8")
    assert runner.invoke(app, ["import", "missing.yml"]).exit_code == 2


def test_import_from_outside_the_project_compiles_inside_it(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A file from elsewhere gives a module without `output`: the next compile writes the
    project's own .gitlab-ci.yml and leaves the file outside the project alone."""
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "ci.yml"
    original = "job:\n  script: [make]\n"
    elsewhere.write_text(original, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["import", str(elsewhere), "-o", "pipelines/main.py"])
    assert result.exit_code == 0, result.output
    module = (project / "pipelines/main.py").read_text(encoding="utf-8")
    assert "output =" not in module
    compiled = runner.invoke(app, ["compile"])
    assert compiled.exit_code == 0, compiled.output
    assert (project / ".gitlab-ci.yml").is_file()
    assert elsewhere.read_text(encoding="utf-8") == original


def test_cli_bad_input_writes_nothing(project: Path) -> None:
    """A duplicate key: exit 1, the message with line and column, no module written."""
    (project / "ci.yml").write_text("job:\n  script: [a]\n  script: [b]\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["import", "ci.yml", "-o", "pipelines/main.py"])
    assert result.exit_code == 1
    assert "error: ci.yml:3:3: key 'script' is written twice" in result.output
    assert not (project / "pipelines/main.py").exists()


def test_first_difference_names_the_path() -> None:
    """The round-trip report says where the data first differs."""
    assert first_difference({"a": {"b": [1, 2]}}, {"a": {"b": [1, 3]}}) == (
        "a.b.1: expected 2, got 3"
    )
    assert first_difference({"a": True}, {"a": 1}) == "a: expected True, got 1"
    assert first_difference({"a": 1}, {}) == "top level: 'a' is missing"


def test_corpus_round_trips(corpus: list[Path]) -> None:
    """Every corpus file GitLab's schema accepts: import, compile (the real command) and load
    give the input back; importing twice, and importing the output, give the same module."""
    folder = corpus[0].parent
    outcomes = import_roundtrip.roundtrip_folder(folder)
    assert len(outcomes) == len(corpus)
    failing = [o for o in outcomes if o.accepted and o.problem]
    assert failing == []
    # The files that do not round-trip are ones GitLab refuses; the compile step says so.
    for outcome in outcomes:
        if outcome.problem:
            assert outcome.problem.startswith("compile: error"), outcome


def test_generated_modules_pass_ruff_and_mypy(corpus: list[Path], tmp_path: Path) -> None:
    """Modules imported from the corpus and from the block examples are formatted as `ruff
    format` writes them, pass ruff's checks and `mypy --strict`."""
    sources = [*corpus, *sorted((ROOT / ".gitlab/ci").glob("*.yml"))]
    for number, path in enumerate(sources):
        text = path.read_text(encoding="utf-8")
        code = import_yaml(text, source=path.name, allow_duplicates=True).code
        (tmp_path / f"module_{number}.py").write_text(code, encoding="utf-8")
    ruff = [sys.executable, "-m", "ruff"]
    for command in (
        [*ruff, "format", "--check", "--isolated", "."],
        [*ruff, "check", "--isolated", "."],
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "."],
    ):
        env = {**os.environ, "MYPYPATH": str(ROOT)}
        result = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_docs_example_is_what_import_writes() -> None:
    """docs/import.md shows a YAML file and the module import writes for it, byte for byte."""
    page = (ROOT / "docs/import.md").read_text(encoding="utf-8")
    yaml_text = page.split("```yaml\n", 1)[1].split("```\n", 1)[0]
    module = page.split("```python\n", 1)[1].split("```\n", 1)[0]
    assert import_yaml(yaml_text, source="ci.yml").code == module


def test_docs_figures_come_from_the_round_trip(corpus: list[Path]) -> None:
    """The pass rate docs/import.md quotes is the one the round-trip script prints."""
    outcomes = import_roundtrip.roundtrip_folder(corpus[0].parent)
    last_line = import_roundtrip.summary(outcomes).splitlines()[-1]
    assert last_line in (ROOT / "docs/import.md").read_text(encoding="utf-8")


def test_a_hand_written_build_gets_a_pointer_to_the_block() -> None:
    """A job that pushes with docker but is not what DockerBuild writes stays a Job, with a
    comment naming the block that does it securely."""
    text = (
        "build:\n  image: docker:latest\n  services: [docker:dind]\n"
        '  script: [docker build -t "$CI_REGISTRY_IMAGE" ., docker push "$CI_REGISTRY_IMAGE"]\n'
    )
    code = import_yaml(text, source="x.yml").code
    assert "# This job runs `docker push` by hand; DockerBuild writes such a job" in code
    assert "\nbuild = Job(" in code
