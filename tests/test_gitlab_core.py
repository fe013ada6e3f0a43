"""GitLab's semantics, written once (gitlabci_dsl.gitlab) and given the same answer by lint and
explain: includes, extends, what is unknown offline, parallel jobs and their names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gitlabci_dsl.cli import app
from gitlabci_dsl.evaluate.pipeline import plan, preset
from gitlabci_dsl.gitlab.extends import resolve_extends
from gitlabci_dsl.gitlab.includes import entries, resolve, wildcard_match
from gitlabci_dsl.gitlab.parallel import expand_need, instances
from gitlabci_dsl.lint import Finding, lint_text

# GitLab's own Terraform.latest.gitlab-ci.yml, cut down: its jobs extend templates defined in
# a template include, which cannot be read offline, and inherit their stage from them.
TERRAFORM = """\
include:
  - template: Terraform/Base.latest.gitlab-ci.yml
stages: [init, validate, build, deploy, cleanup]
init:
  extends: .terraform:init
build:
  extends: .terraform:build
deploy:
  extends: .terraform:deploy
  dependencies: [build]
  needs: [build]
"""


def _rules(findings: list[Finding]) -> list[str]:
    return [f.rule for f in findings if f.severity == "error"]


def test_jobs_extending_an_unreadable_template_inherit_unknown_keys() -> None:
    """GitLab's Terraform template: no undefined-stage, job-without-script, needs or
    dependencies error for jobs whose stage and script come from the template include."""
    assert _rules(lint_text(TERRAFORM, ".gitlab-ci.yml")) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A job completing an included job of the same name (GitLab merges the two): its
        # stage and script may come from the include.
        (
            "include: [{template: Jobs/SAST.gitlab-ci.yml}]\nstages: [s]\nsast:\n  variables: {A: b}\n",
            [],
        ),
        # Its own stage is known, and wrong.
        (
            "include: [{template: X.yml}]\nstages: [s]\nj:\n  stage: nope\n  script: x\n",
            ["undefined-stage"],
        ),
        # stages: may come from the include when the file does not set it.
        ("include: [{template: X.yml}]\nj:\n  stage: qa\n  script: x\n", []),
        # The stage of the needed job is unknown: needs-later-stage cannot be asserted.
        (
            "include: [{template: X.yml}]\nstages: [a, b]\n"
            "early:\n  stage: a\n  script: x\n  needs: [late]\nlate:\n  extends: .t\n",
            [],
        ),
        # Everything is known: the same file without the include is checked in full.
        (
            "stages: [a, b]\nearly:\n  stage: a\n  script: x\n  needs: [late]\n"
            "late:\n  stage: b\n  script: y\n",
            ["needs-later-stage"],
        ),
        # A missing template with every include read: one error, not a stage error too.
        ("stages: [s]\nj:\n  extends: .missing\n  script: x\n", ["extends-undefined"]),
    ],
)
def test_semantic_checks_assert_only_what_is_known(text: str, expected: list[str]) -> None:
    """Each semantic check stands down on keys an unread include or template may set."""
    assert _rules(lint_text(text, ".gitlab-ci.yml")) == expected


def test_explain_notes_a_stage_it_cannot_know() -> None:
    """explain shows such a job under GitLab's default stage and says why it may differ."""
    result = plan(TERRAFORM, preset("branch:main"))
    assert {j.name for j in result.jobs} == {"init", "build", "deploy"}
    assert any("'init': no stage of its own" in note for note in result.notes)


def test_a_string_include_is_local_unless_it_is_a_url(tmp_path: Path) -> None:
    """`include: httpd.yml` is a local file (GitLab's UrlSanitizer: only http, https, ssh and
    git URLs are remote); lint and explain both read it."""
    assert [(e.kind, e.location) for e in entries(["httpd.yml", "https://x/y.yml"])] == [
        ("local", "httpd.yml"),
        ("remote", "https://x/y.yml"),
    ]
    assert entries("git://host/ci.yml")[0].kind == "remote"
    assert entries("HTTP-notes.yml")[0].kind == "local"
    (tmp_path / "httpd.yml").write_text("web:\n  stage: build\n  script: [serve]\n", "utf-8")
    text = "include: httpd.yml\nstages: [build, test]\nsmoke:\n  script: x\n  needs: [web]\n"
    assert lint_text(text, ".gitlab-ci.yml", root=tmp_path) == []
    assert lint_text(text.replace("web]", "webb]"), ".gitlab-ci.yml", root=tmp_path)[0].rule == (
        "needs-undefined"
    )
    jobs = {j.name for j in plan(text, preset("branch:main"), root=tmp_path).jobs}
    assert jobs == {"web", "smoke"}


def test_includes_deep_merge_in_order_with_the_file_last(tmp_path: Path) -> None:
    """Included files merge in order (later over earlier), the including file over all; a job
    defined in both is merged key by key, as GitLab's Processor does."""
    (tmp_path / "a.yml").write_text(
        "variables: {A: a, B: a}\njob:\n  stage: build\n  script: [a]\n", "utf-8"
    )
    (tmp_path / "b.yml").write_text("variables: {B: b}\njob:\n  image: alpine:3\n", "utf-8")
    data = {"include": ["a.yml", "/b.yml"], "job": {"script": ["own"]}}
    resolution = resolve(data, tmp_path)
    assert resolution.config == {
        "variables": {"A": "a", "B": "b"},
        "job": {"stage": "build", "script": ["own"], "image": "alpine:3"},
    }
    assert resolution.files == ("a.yml", "b.yml")
    assert not resolution.open


def test_nested_local_includes_are_followed_and_cycles_stop(tmp_path: Path) -> None:
    """An included file's own includes are merged into it; a file that includes itself back
    is read once."""
    (tmp_path / "a.yml").write_text("include: b.yml\na: {script: [a]}\n", "utf-8")
    (tmp_path / "b.yml").write_text("include: a.yml\nb: {script: [b]}\n", "utf-8")
    resolution = resolve({"include": "a.yml"}, tmp_path)
    assert set(resolution.config) == {"a", "b"}
    assert resolution.files == ("a.yml", "b.yml")


def test_wildcard_local_includes_follow_gitlab(tmp_path: Path) -> None:
    """`*` stays within a folder, `**` crosses folders (Repository#search_files_by_wildcard_path)."""
    assert wildcard_match("configs/*.yml", "configs/a.yml")
    assert not wildcard_match("configs/*.yml", "configs/x/a.yml")
    assert wildcard_match("configs/**.yml", "configs/x/a.yml")
    assert wildcard_match("**/ci.yml", "a/b/ci.yml")
    assert not wildcard_match("configs/?.yml", "configs/a.yml")  # ? is literal here
    (tmp_path / "ci" / "x").mkdir(parents=True)
    (tmp_path / "ci" / "one.yml").write_text("one: {script: [a]}\n", "utf-8")
    (tmp_path / "ci" / "x" / "two.yml").write_text("two: {script: [b]}\n", "utf-8")
    assert resolve({"include": "ci/*.yml"}, tmp_path).files == ("ci/one.yml",)
    assert resolve({"include": "ci/**.yml"}, tmp_path).files == ("ci/one.yml", "ci/x/two.yml")


def test_local_includes_never_leave_the_project(tmp_path: Path) -> None:
    """`../x.yml`, an absolute path and a link out of the project are not files of it."""
    project = tmp_path / "project"
    project.mkdir()
    outside = tmp_path / "secret.yml"
    outside.write_text("leaked: {script: [x]}\n", "utf-8")
    (project / "link.yml").symlink_to(outside)
    for location in ("../secret.yml", str(outside), "link.yml"):
        resolution = resolve({"include": location}, project)
        assert "leaked" not in resolution.config, location
        assert resolution.missing == ((0, location),)


def test_extends_merges_parents_in_order_once_each() -> None:
    """Each parent is resolved first, then later parents win over earlier ones (whole, their
    own inherited keys included) and the job over all; a diamond is resolved once."""
    jobs: dict[str, dict[str, Any]] = {
        ".a": {"image": "a", "variables": {"X": "a", "Y": "a"}},
        ".b": {"extends": ".a", "variables": {"Y": "b"}},
        ".c": {"extends": ".a", "image": "c"},
        "job": {"extends": [".b", ".c"], "script": ["s"]},
    }
    extended = resolve_extends(jobs)
    # GitLab: [.b resolved, .c resolved].reduce(:deep_merge): .c brings .a's Y back.
    assert extended.jobs["job"] == {
        "image": "c",
        "variables": {"X": "a", "Y": "a"},
        "script": ["s"],
    }
    assert extended.jobs[".b"]["variables"] == {"X": "a", "Y": "b"}
    assert extended.incomplete == frozenset()


def test_extends_problems_make_jobs_incomplete() -> None:
    """A missing parent, a cycle and a chain deeper than 11 levels each make the job (and the
    jobs extending it) incomplete, and are reported once."""
    chain = {f".t{i}": {"extends": f".t{i + 1}"} for i in range(12)}
    jobs: dict[str, dict[str, str]] = {
        "a": {"extends": "b"},
        "b": {"extends": "a"},
        "c": {"extends": ".missing"},
        "d": {"extends": "c"},
        **chain,
        ".t12": {},
        "deep": {"extends": ".t0"},
    }
    extended = resolve_extends(jobs)
    assert {"a", "b", "c", "d", "deep"} <= extended.incomplete
    kinds = sorted(p.kind for p in extended.problems)
    assert kinds == ["cycle", "depth", "undefined"]


def test_long_extends_chains_do_not_overflow() -> None:
    """A 5,000-job chain is resolved without recursion errors (too deep: incomplete)."""
    jobs: dict[str, dict[str, object]] = {f"j{i}": {"extends": f"j{i + 1}"} for i in range(5000)}
    jobs["j5000"] = {"script": ["x"]}
    extended = resolve_extends(jobs)
    assert "j0" in extended.incomplete
    assert extended.jobs["j4995"]["script"] == ["x"]


def test_parallel_jobs_are_named_as_gitlab_names_them() -> None:
    """parallel: N gives 'name i/N'; a matrix gives 'name: [v1, v2]' per combination, with
    the combination's variables (Gitlab::Ci::Config::Normalizer)."""
    assert [i.name for i in instances("test", {"parallel": 3})] == [
        "test 1/3",
        "test 2/3",
        "test 3/3",
    ]
    matrix = {"parallel": {"matrix": [{"OS": ["linux", "mac"], "PY": "3.12"}, {"OS": "win"}]}}
    assert [(i.name, i.variables) for i in instances("build", matrix)] == [
        ("build: [linux, 3.12]", {"OS": "linux", "PY": "3.12"}),
        ("build: [mac, 3.12]", {"OS": "mac", "PY": "3.12"}),
        ("build: [win]", {"OS": "win"}),
    ]
    jobs = {"build": matrix, "plain": {}}
    assert expand_need("build", jobs) == [
        "build: [linux, 3.12]",
        "build: [mac, 3.12]",
        "build: [win]",
    ]
    assert expand_need("build", jobs, {"matrix": [{"OS": "win"}]}) == ["build: [win]"]
    assert expand_need("plain", jobs) == ["plain"]


PARALLEL = """\
build:
  stage: build
  script: [make]
  parallel:
    matrix:
      - ARCH: [amd64, arm64]
  rules:
    - if: $ARCH == "arm64" && $CI_COMMIT_TAG
      when: never
    - when: on_success
test:
  script: [pytest]
  parallel: 2
  needs: [build]
"""


def test_explain_lists_and_counts_every_parallel_job(project: Path) -> None:
    """explain (text and JSON) and graph name each parallel job as GitLab does, evaluate its
    rules with its matrix variables, and expand needs on a parallel job to all of them."""
    result = plan(PARALLEL, preset("tag:v1.0.0"))
    assert [j.name for j in result.jobs] == ["build: [amd64]", "test 1/2", "test 2/2"]
    assert result.jobs[1].needs == ("build: [amd64]", "build: [arm64]")
    (project / ".gitlab-ci.yml").write_text(PARALLEL, encoding="utf-8")
    runner = CliRunner()
    shown = runner.invoke(app, ["explain", "--on", "branch:main"])
    assert shown.exit_code == 0, shown.output
    assert "  build: [arm64]: on_success\n" in shown.stdout
    assert "  test 2/2: on_success, needs build: [amd64], build: [arm64]\n" in shown.stdout
    listed = json.loads(runner.invoke(app, ["explain", "--format", "json"]).stdout)["jobs"]
    assert [j["name"] for j in listed] == [
        "build: [amd64]",
        "build: [arm64]",
        "test 1/2",
        "test 2/2",
    ]
    graph = runner.invoke(app, ["graph"]).stdout
    assert graph.count('"test 1/2"') == 1
    assert graph.count(" --> j2") == 2  # test 1/2 needs both build jobs


def test_project_files_are_what_git_would_commit(tmp_path: Path) -> None:
    """In a git work tree, rules:exists and wildcard includes see tracked and untracked files
    but not ignored ones (node_modules, virtualenvs), as the commit GitLab reads would."""
    import shutil
    import subprocess

    from gitlabci_dsl.gitlab.paths import project_files

    git = shutil.which("git") or "git"
    subprocess.run([git, "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("node_modules/\n", encoding="utf-8")
    (tmp_path / "node_modules" / "x").mkdir(parents=True)
    (tmp_path / "node_modules" / "x" / "Dockerfile").write_text("FROM a\n", encoding="utf-8")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("FROM b\n", encoding="utf-8")
    assert project_files(tmp_path) == (".gitignore", "app/Dockerfile")
    shutil.rmtree(tmp_path / ".git")
    assert "node_modules/x/Dockerfile" in project_files(tmp_path)


def test_the_core_depends_on_nothing_above_it() -> None:
    """The GitLab core is the bottom layer: its modules import only each other and the
    errors, never the model, compiler, lint, explain, import or CLI (the one-way flow)."""
    import ast

    core = Path(__file__).resolve().parent.parent / "gitlabci_dsl" / "gitlab"
    for path in sorted(core.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level >= 2:
                assert node.module == "errors", f"{path.name}:{node.lineno} imports ..{node.module}"
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                assert not node.module.startswith("gitlabci_dsl"), f"{path.name}:{node.lineno}"


class _Templates:
    """A Source holding two templates, as a vendored folder or a GitLab checkout would."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str | None]] = []

    def text(self, include: Any) -> str | None:
        self.asked.append((include.kind, include.location))
        files = {
            "Jobs/Build.gitlab-ci.yml": (
                "include:\n  - template: Jobs/Base.gitlab-ci.yml\n  - local: /own.yml\n"
                "build:\n  extends: .base\n  script: [make]\n"
            ),
            "Jobs/Base.gitlab-ci.yml": ".base:\n  stage: build\n  image: alpine:3.20\n",
        }
        return files.get(include.location) if include.kind == "template" else None


def test_includes_from_a_source_other_than_the_disk(tmp_path: Path) -> None:
    """Non-local includes go through one interface (``Source``): a template it has is merged
    like a local file, nested includes followed; one it lacks leaves the configuration open.
    A ``local`` include inside a sourced file is a file of that other project: not read here."""
    (tmp_path / "own.yml").write_text("intruder:\n  script: [x]\n", encoding="utf-8")
    data = {"include": [{"template": "Jobs/Build.gitlab-ci.yml"}], "test": {"script": ["t"]}}
    templates = _Templates()
    got = resolve(data, tmp_path, source=templates)
    assert got.config["build"] == {"extends": ".base", "script": ["make"]}
    assert got.config[".base"]["stage"] == "build"
    assert "intruder" not in got.config
    assert got.files == ("template:Jobs/Build.gitlab-ci.yml", "template:Jobs/Base.gitlab-ci.yml")
    assert [i.location for i in got.unresolved] == ["/own.yml"]
    assert got.open
    without = resolve(data, tmp_path)
    assert "build" not in without.config
    assert without.open
    assert [i.kind for i in without.unresolved] == ["template"]
    missing = resolve({"include": [{"template": "Nope.yml"}]}, tmp_path, source=templates)
    assert missing.open
    assert [i.location for i in missing.unresolved] == ["Nope.yml"]


def test_defaults_and_inherit_as_gitlab_applies_them() -> None:
    """default: and the deprecated top-level keys fill what a job does not set (replaced
    whole, never merged); inherit: default/variables keep all, none, or the ones listed."""
    from gitlabci_dsl.gitlab.defaults import effective_job

    config = {
        "image": "ruby:3.3",
        "before_script": ["bundle install"],
        "default": {"image": "alpine:3.20", "retry": 2, "tags": ["docker"], "stage": "x"},
        "variables": {"A": "1", "B": "2"},
    }
    job = {"script": ["make"], "tags": ["arm64"], "variables": {"B": "job"}}
    assert effective_job(job, config) == {
        "image": "alpine:3.20",  # default: wins over the deprecated top-level key
        "before_script": ["bundle install"],
        "retry": 2,
        "script": ["make"],
        "tags": ["arm64"],  # the job's own value, whole
        "variables": {"A": "1", "B": "job"},
    }
    none = {"script": ["x"], "inherit": {"default": False, "variables": False}}
    assert effective_job(none, config) == none
    some = {"script": ["x"], "inherit": {"default": ["retry"], "variables": ["B"]}}
    assert effective_job(some, config) == {**some, "retry": 2, "variables": {"B": "2"}}
    assert effective_job({"script": ["x"]}, {}) == {"script": ["x"]}
