"""The project's two steps every writing command shares: build (compile, refuse clashes, find
what is stale, check what will be written) and apply (write all or nothing, or diff)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitlabci_dsl import project as workflow  # the ``project`` fixture takes the name
from gitlabci_dsl.errors import CompileError, LoadError, UsageError

GOOD = """\
from gitlabci_dsl import Job, Pipeline
pipeline = Pipeline(jobs=[Job("make", script=["make"])])
"""


def _config(root: Path, **modules: str) -> workflow.Config:
    for name, text in modules.items():
        (root / "pipelines" / f"{name}.py").write_text(text, encoding="utf-8")
    return workflow.load_config(root)


def test_build_names_what_is_stale_and_write_makes_it_fresh(project: Path) -> None:
    config = _config(project, main=GOOD, other=GOOD.replace("make", "test"))
    made = workflow.build(config)
    assert [t.output.relative_to(project).as_posix() for t in made.targets] == [
        ".gitlab-ci.yml",
        ".gitlab/ci/other.yml",
    ]
    assert [(s.target.output.name, s.old) for s in made.stale] == [
        (".gitlab-ci.yml", None),
        ("other.yml", None),
    ]
    workflow.write(made)
    again = workflow.build(config)
    assert again.stale == ()
    assert (project / ".gitlab-ci.yml").read_text(encoding="utf-8") == made.targets[0].text
    # A change to one module makes exactly its file stale, with the old text kept for a diff.
    # A different length: Python's bytecode cache tells a changed source by its mtime in
    # whole seconds and its size, and this runs within the second of the first compile.
    (project / "pipelines/other.py").write_text(
        GOOD.replace("make", "ruff-check"), encoding="utf-8"
    )
    changed = workflow.build(config)
    assert [s.target.output.name for s in changed.stale] == ["other.yml"]
    assert changed.stale[0].old == made.targets[1].text
    diff = "".join(workflow.diff(changed))
    assert diff.startswith("--- a/.gitlab/ci/other.yml\n+++ b/.gitlab/ci/other.yml\n")
    assert "-  - test\n+  - ruff-check\n" in diff


def test_build_reports_every_failing_module_and_refuses_clashes(project: Path) -> None:
    config = _config(project, a="raise ValueError('first')\n", b="import nothing_here\n")
    with pytest.raises(LoadError) as caught:
        workflow.build(config)
    assert "pipelines/a.py:1: ValueError: first" in str(caught.value)
    assert "pipelines/b.py:1: ModuleNotFoundError" in str(caught.value)
    for name in ("a", "b"):
        (project / "pipelines" / f"{name}.py").unlink()
    config = _config(project, main=GOOD, copy=GOOD + 'output = ".gitlab-ci.yml"\n')
    with pytest.raises(LoadError, match=r"main\.py and pipelines/copy\.py both write \.gitlab-ci"):
        workflow.build(config)
    with pytest.raises(UsageError, match=r"no such file or folder: nowhere\.py"):
        workflow.build(config, [Path("nowhere.py")])


def test_only_the_text_to_write_or_print_is_checked(project: Path) -> None:
    """An output equal to its file was checked when written; a stale one, or any printed
    one, is checked again with GitLab's rules."""
    refused = (
        "from gitlabci_dsl import Job, Pipeline\n"
        "pipeline = Pipeline(jobs=[Job('make', script=['make'], extra={'needs': ['ghost']})])\n"
    )
    config = _config(project, main=refused)
    with pytest.raises(CompileError, match="ghost"):
        workflow.build(config)
    text = workflow.build(config, schema=False, checked=[]).targets[0].text
    (project / ".gitlab-ci.yml").write_text(text, encoding="utf-8")
    assert workflow.build(config).stale == ()  # on disk already: not checked again
    with pytest.raises(CompileError, match="ghost"):
        workflow.build(config, printing=True)
    with pytest.raises(CompileError, match="ghost"):
        workflow.build(config, checked=[project / "pipelines/main.py"])


def test_files_is_the_same_apply_step_for_import_and_init(tmp_path: Path) -> None:
    target = workflow.Target(module=tmp_path / "m.py", output=tmp_path / "m.py", text="x\n")
    made = workflow.files(tmp_path, [target])
    assert [s.old for s in made.stale] == [None]
    workflow.write(made)
    assert (tmp_path / "m.py").read_text(encoding="utf-8") == "x\n"
    assert workflow.files(tmp_path, [target]).stale == ()


def test_yaml_files_and_pipeline_text_refuse_what_is_not_there(tmp_path: Path) -> None:
    config = workflow.Config(root=tmp_path)
    with pytest.raises(UsageError, match="no such file or folder: missing"):
        workflow.yaml_files([Path("missing")], tmp_path)
    with pytest.raises(UsageError, match="no such file"):
        workflow.pipeline_text(tmp_path / "none.yml", config)
    (tmp_path / ".gitlab-ci.yml").write_text("job:\n  script: [x]\n", encoding="utf-8")
    assert workflow.yaml_files([], tmp_path) == [tmp_path / ".gitlab-ci.yml"]
    found = workflow.pipeline_text(tmp_path / ".gitlab-ci.yml", config)
    assert (found.text, found.shown) == ("job:\n  script: [x]\n", ".gitlab-ci.yml")
    assert (found.pending, found.artifacts) == ({}, {})
