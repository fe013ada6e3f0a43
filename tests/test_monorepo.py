"""The Monorepo block: one child pipeline per package, started when the package or one it
depends on changed; evaluated by explain's machinery (the GitLab core's rules evaluation)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from gitlabci_dsl import (
    DockerBuild,
    Job,
    Monorepo,
    Package,
    Pipeline,
    ValidationError,
    Workflow,
    ci,
    load_yaml,
)
from gitlabci_dsl.evaluate.pipeline import Plan, plan, preset
from gitlabci_dsl.project import compile_tree, load_config

PACKAGES = [
    Package("lib", "libs/core"),
    Package("api", "services/api", depends=["lib"]),
    Package("web", "services/web", depends=["lib"]),
    Package("docs", "docs"),
]


def child(package: Package) -> Pipeline:
    image = DockerBuild(
        image=f"{ci.REGISTRY_IMAGE}/{package.name}", context=package.path, rules=None
    )
    test = Job("test", stage="test", script=[f'echo "test {package.name} $PARENT_PIPELINE_SOURCE"'])
    return Pipeline(stages=["build", "test"], jobs=[image.job(), test])


MODULE = """
from gitlabci_dsl import Monorepo, Pipeline, Workflow
from test_monorepo import PACKAGES, child

monorepo = Monorepo(packages=PACKAGES, child=child)
pipeline = Pipeline(
    workflow=Workflow.merge_request_pipelines(), stages=["packages"], jobs=monorepo.jobs()
)
"""


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str, dict[str, str]]:
    """The compiled parent and its children, in a project folder."""
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "m"\n', encoding="utf-8")
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "main.py").write_text(MODULE, encoding="utf-8")
    top, *children = compile_tree(tmp_path / "pipelines" / "main.py", load_config(tmp_path))
    pending = {str(t.output.relative_to(tmp_path)): t.text for t in children}
    return tmp_path, top.text, pending


def _run(tree: tuple[Path, str, dict[str, str]], on: str, changed: list[str] | None) -> Plan:
    root, text, pending = tree
    return plan(text, preset(on), changed=changed, root=root, pending=pending)


@pytest.mark.parametrize(
    ("on", "changed", "started"),
    [
        ("branch:feature", ["services/api/main.go"], {"api"}),
        ("branch:feature", ["libs/core/util.py"], {"lib", "api", "web"}),
        ("branch:feature", ["docs/index.md", "services/web/app.ts"], {"docs", "web"}),
        ("branch:feature", ["README.md"], set()),
        ("branch:main", ["services/web/app.ts"], {"web"}),
        ("mr", ["libs/core/util.py"], {"lib", "api", "web"}),
        ("tag:v1.0.0", ["README.md"], {"lib", "api", "web", "docs"}),
        ("schedule", None, set()),
    ],
)
def test_a_package_pipeline_starts_when_it_or_what_it_depends_on_changed(
    tree: tuple[Path, str, dict[str, str]], on: str, changed: list[str] | None, started: set[str]
) -> None:
    result = _run(tree, on, changed)
    assert {job.name for job in result.jobs} == started
    assert {child.job for child in result.children} == started


def test_each_child_runs_its_jobs_knowing_the_parents_source(
    tree: tuple[Path, str, dict[str, str]],
) -> None:
    """In the child, CI_PIPELINE_SOURCE is parent_pipeline: its workflow accepts that, and
    PARENT_PIPELINE_SOURCE, PACKAGE and PACKAGE_PATH arrive from the trigger job."""
    result = _run(tree, "mr", ["services/api/main.go"])
    (api,) = result.children
    assert api.plan.pipeline
    assert [job.name for job in api.plan.jobs] == ["build", "test"]
    pending = tree[2]
    child_data = load_yaml(pending[".gitlab/ci/packages/api.yml"])
    assert child_data["workflow"] == {"rules": [{"if": '$CI_PIPELINE_SOURCE == "parent_pipeline"'}]}
    parent = load_yaml(tree[1])
    assert parent["api"]["variables"] == {
        "PARENT_PIPELINE_SOURCE": "$CI_PIPELINE_SOURCE",
        "PACKAGE": "api",
        "PACKAGE_PATH": "services/api",
    }
    assert parent["api"]["needs"] == [{"job": "lib", "optional": True}]
    assert "needs" not in parent["lib"]
    assert parent["api"]["trigger"]["strategy"] == "depend"


def test_branch_pipelines_compare_with_the_default_branch(
    tree: tuple[Path, str, dict[str, str]],
) -> None:
    rules = load_yaml(tree[1])["api"]["rules"]
    (other,) = [r for r in rules if r["if"].endswith("!= $CI_DEFAULT_BRANCH")]
    assert other["changes"] == {
        "paths": ["services/api/**/*", "libs/core/**/*"],
        "compare_to": "refs/heads/main",
    }
    (default,) = [r for r in rules if r["if"] == "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"]
    assert "compare_to" not in default["changes"]


def test_dependencies_are_followed_through_every_level() -> None:
    packages = [
        Package("a", "a"),
        Package("b", "b", depends=["a"]),
        Package("c", "c", depends=["b"]),
    ]
    block = Monorepo(packages=packages, child=child)
    assert block.paths(packages[2]) == ["c/**/*", "a/**/*", "b/**/*"]


def _mono(**kwargs: Any) -> Monorepo:
    return Monorepo(**{"packages": PACKAGES, "child": child, **kwargs})


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        (
            {"packages": [Package("a", "a", depends=["zz"])]},
            "is a dependency of 'a' but no package",
        ),
        ({"packages": [Package("a", "a"), Package("a", "b")]}, "names two packages"),
        (
            {"packages": [Package("a", "a", depends=["b"]), Package("b", "b", depends=["a"])]},
            "a -> b -> a' is a cycle of dependencies",
        ),
        ({"packages": []}, "packages"),
        ({"child": "pipelines/x.py"}, "must be a function of a Package"),
        ({"default_branch": "main branch"}, "must be a branch name"),
    ],
)
def test_a_monorepo_refuses_what_would_not_work(kwargs: dict[str, Any], says: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(says)):
        _mono(**kwargs)


@pytest.mark.parametrize("path", ["../x", "/srv", "a//b", ""])
def test_a_package_is_a_folder_of_the_project(path: str) -> None:
    with pytest.raises(ValidationError, match="must be a folder of the project"):
        Package("a", path)


def test_a_child_that_is_no_pipeline_is_named() -> None:
    block = Monorepo(packages=[Package("a", "a")], child=lambda package: None)  # type: ignore[arg-type,return-value]
    with pytest.raises(ValidationError, match="returned no Pipeline for 'a'"):
        block.jobs()


def test_a_child_with_a_workflow_of_its_own_keeps_it() -> None:
    own = Workflow(name="mine")
    block = Monorepo(
        packages=[Package("a", "a")],
        child=lambda package: Pipeline(workflow=own, jobs=[Job("t", script=["x"])]),
    )
    (job,) = block.jobs()
    assert job.trigger.include[0].pipeline.workflow is own  # type: ignore[union-attr,index]


def test_the_parents_source_reaches_the_child_expanded_in_the_parent(
    tree: tuple[Path, str, dict[str, str]],
) -> None:
    """GitLab expands a trigger job's variables in the parent (docs: "Pass a predefined
    variable ... under a new name"), so a child rule on $PARENT_PIPELINE_SOURCE sees the
    parent's merge_request_event; gitlab-ci-local 4.73.0 passes the text unexpanded, and the
    child then reads parent_pipeline: we follow GitLab."""
    root, text, pending = tree
    child_text = (
        "workflow:\n  rules: [{if: $CI_PIPELINE_SOURCE == 'parent_pipeline'}]\n"
        "review:\n  script: [x]\n"
        "  rules: [{if: $PARENT_PIPELINE_SOURCE == 'merge_request_event'}]\n"
    )
    pending = {**pending, ".gitlab/ci/packages/api.yml": child_text}
    result = plan(text, preset("mr"), changed=["services/api/x"], root=root, pending=pending)
    (api,) = result.children
    assert [job.name for job in api.plan.jobs] == ["review"]
    pushed = plan(text, preset("branch:x"), changed=["services/api/x"], root=root, pending=pending)
    assert not pushed.children[0].plan.pipeline


GCL_MODULE = """
from gitlabci_dsl import Job, Monorepo, Package, Pipeline

packages = [
    Package("lib", "libs/core"),
    Package("api", "services/api", depends=["lib"]),
    Package("web", "services/web", depends=["lib"]),
]


def child(package):
    return Pipeline(jobs=[Job("test", script=[f"echo ran-{package.name}"])])


pipeline = Pipeline(stages=["packages"], jobs=Monorepo(packages=packages, child=child).jobs())
"""


def test_gitlab_ci_local_runs_the_packages_explain_predicts(
    gitlab_ci_local: Path, tmp_path: Path
) -> None:
    """A feature branch changing one package, then the shared library, then a tag: the child
    pipelines gitlab-ci-local runs are the ones explain predicts for the same changes."""
    import os
    import shutil
    import subprocess

    repo = tmp_path / "repo"
    (repo / "pipelines").mkdir(parents=True)
    (repo / "pyproject.toml").write_text('[project]\nname = "m"\n', encoding="utf-8")
    (repo / "pipelines" / "main.py").write_text(GCL_MODULE, encoding="utf-8")
    (repo / ".gitignore").write_text(".gitlab-ci-local/\n", encoding="utf-8")
    for folder in ("libs/core", "services/api", "services/web"):
        (repo / folder).mkdir(parents=True)
        (repo / folder / "f.txt").write_text("x\n", encoding="utf-8")
    targets = compile_tree(repo / "pipelines" / "main.py", load_config(repo))
    for target in targets:
        target.output.parent.mkdir(parents=True, exist_ok=True)
        target.output.write_text(target.text, encoding="utf-8")
    git = [shutil.which("git") or "git", "-c", "user.name=t", "-c", "user.email=t@example.com"]

    def commit(change: str | None = None) -> None:
        if change is not None:
            with (repo / change).open("a", encoding="utf-8") as file:
                file.write("y\n")
        subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
        subprocess.run([*git, "commit", "-q", "-m", "c"], cwd=repo, check=True)

    for args in (["init", "-q", "-b", "main"], ["remote", "add", "origin", "https://x/g/a.git"]):
        subprocess.run([*git, *args], cwd=repo, check=True)
    commit()
    subprocess.run([*git, "update-ref", "refs/remotes/origin/main", "HEAD"], cwd=repo, check=True)
    subprocess.run([*git, "checkout", "-q", "-b", "feature"], cwd=repo, check=True)

    def ran(on: str) -> set[str]:
        variables = preset(on)
        args = [str(gitlab_ci_local), "--shell-isolation"]
        for name, value in variables.items():
            args += ["--variable", f"{name}={value}"]
        unset = [] if "CI_COMMIT_BRANCH" in variables else ["CI_COMMIT_BRANCH"]
        for name in unset:
            args += ["--unset-variable", name]
        env = {**os.environ, "GCL_IGNORE_PREDEFINED_VARS": ",".join({*variables, *unset})}
        result = subprocess.run(
            args, cwd=repo, env=env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-1000:]
        lines = result.stdout.splitlines()
        return {line.split("> ran-")[-1].strip() for line in lines if "> ran-" in line}

    def predicted(on: str, changed: list[str]) -> set[str]:
        text = targets[0].text
        return {child.job for child in plan(text, preset(on), changed=changed, root=repo).children}

    commit("services/api/f.txt")
    assert ran("branch:feature") == predicted("branch:feature", ["services/api/f.txt"]) == {"api"}
    commit("libs/core/f.txt")
    changed = ["services/api/f.txt", "libs/core/f.txt"]
    assert ran("branch:feature") == predicted("branch:feature", changed) == {"lib", "api", "web"}
    assert ran("tag:v1.0.0") == predicted("tag:v1.0.0", []) == {"lib", "api", "web"}
