"""`gitlabci-dsl explain`: which jobs GitLab would create, checked against gitlab-ci-local."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import ROOT, git_repo
from gitlabci_dsl.cli import app
from gitlabci_dsl.evaluate.pipeline import plan, preset
from gitlabci_dsl.project import compile_module, discover, load_config

CONFIG = load_config(ROOT)
MODULES = discover(CONFIG)
PRESETS = ["branch:main", "tag:v1.2.3", "mr", "schedule", "branch:feature/login"]


def gitlab_ci_local_jobs(gcl: Path, folder: Path, text: str, on: str) -> dict[str, str]:
    """{job: when} that gitlab-ci-local lists for the preset's variables (when: never left out)."""
    listed = gitlab_ci_local_list(gcl, folder, text, on)
    assert listed is not None, "gitlab-ci-local refused the pipeline"
    return listed


def gitlab_ci_local_list(gcl: Path, folder: Path, text: str, on: str) -> dict[str, str] | None:
    """Like gitlab_ci_local_jobs, or None when gitlab-ci-local refuses the file."""
    result = gitlab_ci_local_run(
        gcl, folder, text, on, "--list-json", "--no-json-schema-validation"
    )
    if result.returncode != 0:
        return None
    return {job["name"]: job["when"] for job in json.loads(result.stdout) if job["when"] != "never"}


def gitlab_ci_local_run(
    gcl: Path, folder: Path, text: str, on: str, *options: str
) -> subprocess.CompletedProcess[str]:
    """gitlab-ci-local with ``options`` (none: run the pipeline) for the preset's variables."""
    variables = preset(on)
    args = [str(gcl), *options]
    for name, value in variables.items():
        args += ["--variable", f"{name}={value}"]
    unset = [] if "CI_COMMIT_BRANCH" in variables else ["CI_COMMIT_BRANCH"]
    for name in unset:
        args += ["--unset-variable", name]
    env = {**os.environ, "GCL_IGNORE_PREDEFINED_VARS": ",".join(sorted({*variables, *unset}))}
    return subprocess.run(
        args, cwd=git_repo(folder, text), env=env, capture_output=True, text=True, check=False
    )


def _base(name: str) -> str:
    """The job definition a parallel instance ("name: [values]", "name 1/N") comes from."""
    return re.sub(r"(: \[.*\]| \d+/\d+)$", "", name)


def has_rules_or_only(text: str, name: str) -> bool:
    from gitlabci_dsl import load_yaml

    job = load_yaml(text)[_base(name)]
    return any(key in job for key in ("rules", "only", "except"))


@pytest.mark.parametrize("on", PRESETS)
@pytest.mark.parametrize("module", MODULES, ids=[m.stem for m in MODULES])
def test_explain_agrees_with_gitlab_ci_local(
    module: Path, on: str, gitlab_ci_local: Path, tmp_path: Path
) -> None:
    """For every example and pipeline kind, the jobs and their `when` are gitlab-ci-local's,
    except the documented departure below (jobs without rules in merge request pipelines)."""
    text = compile_module(module, CONFIG).text
    # gitlab-ci-local's repository has one commit, the default branch's: nothing changed.
    result = plan(text, preset(on), changed=[], root=ROOT)
    ours = {job.name: job.when for job in result.jobs}
    theirs = gitlab_ci_local_jobs(gitlab_ci_local, tmp_path, text, on)
    if on == "mr":
        theirs = {n: w for n, w in theirs.items() if has_rules_or_only(text, n)}
    if not result.pipeline and "workflow:rules" in " ".join(result.notes):
        theirs = {}  # gitlab-ci-local lists jobs even when workflow:rules creates no pipeline
    assert ours == theirs


def test_jobs_without_rules_do_not_run_in_merge_request_pipelines(
    gitlab_ci_local: Path, tmp_path: Path
) -> None:
    """A job with neither rules nor only/except behaves as `only: [branches, tags]`
    (https://docs.gitlab.com/ci/yaml/#only--except), so a merge request pipeline does not
    create it; gitlab-ci-local 4.73.0 lists it. We follow GitLab."""
    text = "build:\n  script: make\ntest:\n  script: make test\n  rules:\n    - when: always\n"
    assert [j.name for j in plan(text, preset("mr")).jobs] == ["test"]
    assert set(gitlab_ci_local_jobs(gitlab_ci_local, tmp_path, text, "mr")) == {"build", "test"}


@pytest.mark.parametrize(
    ("text", "on", "expected"),
    [
        # workflow:rules decide whether there is a pipeline at all
        ("workflow:\n  rules:\n    - if: $CI_COMMIT_TAG\njob:\n  script: x\n", "branch:main", None),
        ("workflow:\n  rules:\n    - if: $CI_COMMIT_TAG\njob:\n  script: x\n", "tag:v1", {"job"}),
        (
            "workflow:\n  rules:\n    - if: $CI_COMMIT_TAG\n      when: never\n    - when: always\n"
            "job:\n  script: x\n",
            "tag:v1",
            None,
        ),
        # the first matching rule wins; no match means no job
        (
            "job:\n  script: x\n  rules:\n    - if: $CI_COMMIT_BRANCH == 'main'\n      when: never\n"
            "    - when: always\n",
            "branch:main",
            None,
        ),
        # rules:variables and job variables take part in later expressions
        (
            "variables:\n  DEPLOY: 'yes'\njob:\n  script: x\n  rules:\n    - if: $DEPLOY == 'yes'\n",
            "branch:x",
            {"job"},
        ),
        # only/except: refs, regexes, variables
        ("job:\n  script: x\n  only: [tags]\n", "branch:main", None),
        ("job:\n  script: x\n  only: [/^release-/]\n", "branch:release-1", {"job"}),
        ("job:\n  script: x\n  except: [main]\n", "branch:main", None),
        ("job:\n  script: x\n  only:\n    variables: [$CI_COMMIT_TAG]\n", "tag:v2", {"job"}),
        ("job:\n  script: x\n  only: [schedules]\n", "schedule", {"job"}),
        # extends, !reference and hidden jobs
        (
            ".rules:\n  rules:\n    - if: $CI_COMMIT_TAG\njob:\n  script: x\n"
            "  rules: !reference [.rules, rules]\n",
            "tag:v3",
            {"job"},
        ),
        (
            ".base:\n  rules:\n    - if: $CI_COMMIT_TAG\njob:\n  extends: .base\n  script: x\n",
            "branch:main",
            None,
        ),
    ],
)
def test_rules_workflow_and_only_except(text: str, on: str, expected: set[str] | None) -> None:
    """Jobs created (None: no pipeline) for small pipelines exercising each mechanism."""
    result = plan(text, preset(on))
    if expected is None:
        assert not result.pipeline
    else:
        assert result.pipeline
        assert {j.name for j in result.jobs} == expected


@pytest.mark.parametrize("on", ["mr", "schedule", "branch:main", "tag:v1.2.3"])
def test_with_workflow_rules_jobs_without_rules_run_in_every_pipeline_it_creates(
    on: str, gitlab_ci_local: Path, tmp_path: Path
) -> None:
    """GitLab drops the default `only: [branches, tags]` of jobs without rules when the file
    has workflow:rules (Entry::Processable#compose!, gitlab-org/gitlab!21742): such a job runs
    in merge request pipelines then; gitlab-ci-local agrees."""
    text = (
        "workflow:\n  rules:\n    - if: $CI_PIPELINE_SOURCE == 'merge_request_event'\n"
        "    - if: $CI_COMMIT_BRANCH\n    - if: $CI_COMMIT_TAG\n"
        "build:\n  script: make\nmanual:\n  script: make\n  only: [tags]\n"
    )
    ours = {j.name for j in plan(text, preset(on)).jobs}
    assert ours == ({"build", "manual"} if on.startswith("tag") else {"build"})
    theirs = gitlab_ci_local_jobs(gitlab_ci_local, tmp_path, text, on)
    assert set(theirs) - {"manual"} == ours - {"manual"}  # gitlab-ci-local ignores only/except


LEFT_OUT = (
    "build:\n  stage: build\n  script: 'true'\n  rules:\n"
    "    - if: $CI_PIPELINE_SOURCE == 'schedule'\n      when: never\n"
    "    - if: $CI_COMMIT_BRANCH || $CI_COMMIT_TAG\n"
    "test:\n  stage: test\n  script: 'true'\n  needs: [NEED]\n"
)


@pytest.mark.parametrize(
    ("need", "on", "refused"),
    [
        ("build", "schedule", True),
        ("build", "branch:main", False),
        ("build", "tag:v1.2.3", False),
        ("{job: build, optional: true}", "schedule", False),
    ],
)
def test_a_pipeline_without_a_job_another_needs_is_refused(
    need: str, on: str, refused: bool, gitlab_ci_local: Path, tmp_path: Path
) -> None:
    """GitLab refuses a pipeline where a created job needs a job its rules leave out ("'test'
    job needs 'build' job, but 'build' does not exist in the pipeline"), unless the need is
    optional; gitlab-ci-local refuses to run it too (its --list does not check needs)."""
    text = LEFT_OUT.replace("NEED", need)
    result = plan(text, preset(on))
    assert result.pipeline is not refused
    assert [(r.job, r.need) for r in result.refused] == ([("test", "build")] if refused else [])
    run = gitlab_ci_local_run(gitlab_ci_local, tmp_path, text, on, "--shell-isolation")
    assert ("but its needed by test" in run.stdout + run.stderr) is refused, run.stdout


def test_explain_says_why_gitlab_refuses_a_pipeline(tmp_path: Path) -> None:
    (tmp_path / "ci.yml").write_text(LEFT_OUT.replace("NEED", "build"), encoding="utf-8")
    runner = CliRunner()
    text = runner.invoke(app, ["explain", str(tmp_path / "ci.yml"), "--on", "schedule"])
    assert text.exit_code == 0, text.output
    assert text.output.splitlines()[:2] == [
        "schedule: no pipeline: GitLab refuses it",
        "error: job 'test' needs 'build', which is not in this pipeline (its rules leave it "
        "out), so GitLab refuses the pipeline; give 'test' the rules of 'build' or mark the "
        "need optional: true",
    ]
    found = runner.invoke(
        app, ["explain", str(tmp_path / "ci.yml"), "--on", "schedule", "--format", "json"]
    )
    data = json.loads(found.output)
    assert data["pipeline"] is False
    assert [job["name"] for job in data["jobs"]] == ["test"]
    assert len(data["refused"]) == 1


def test_rules_changes_use_the_changed_files() -> None:
    """rules:changes matches the given changed files; without a list it is true."""
    text = "job:\n  script: x\n  rules:\n    - changes: [src/**/*]\n"
    assert plan(text, preset("branch:x"), changed=["src/app/main.py"]).pipeline
    assert not plan(text, preset("branch:x"), changed=["docs/index.md"]).pipeline
    assert plan(text, preset("branch:x")).pipeline


def test_manual_allow_failure_defaults_differ_between_rules_and_job_level() -> None:
    """`when: manual` at job level may fail by default; in a rule it may not."""
    text = "a:\n  script: x\n  when: manual\nb:\n  script: x\n  rules:\n    - when: manual\n"
    jobs = {j.name: j.allow_failure for j in plan(text, preset("branch:main")).jobs}
    assert jobs == {"a": True, "b": False}


def test_cli_text_and_json(project: Path) -> None:
    """explain prints stages and jobs, or the JSON the issue specifies; bad input exits 2."""
    (project / ".gitlab-ci.yml").write_text(
        "build:\n  stage: build\n  script: x\ndeploy:\n  stage: deploy\n  script: x\n"
        "  needs: [build]\n  rules:\n    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n"
        "      when: manual\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    text = runner.invoke(app, ["explain"]).stdout
    assert text == (
        "branch:main: pipeline created\nstage build:\n  build: on_success\n"
        "stage deploy:\n  deploy: manual, needs build\n"
    )
    data = json.loads(runner.invoke(app, ["explain", "--on", "tag:v1", "--format", "json"]).stdout)
    assert data == {
        "pipeline": True,
        "jobs": [
            {
                "name": "build",
                "stage": "build",
                "when": "on_success",
                "allow_failure": False,
                "needs": [],
            }
        ],
    }
    other = runner.invoke(app, ["explain", "--var", "CI_DEFAULT_BRANCH=trunk", "--format", "json"])
    assert [j["name"] for j in json.loads(other.stdout)["jobs"]] == ["build"]
    assert runner.invoke(app, ["explain", "--on", "sometimes"]).exit_code == 2
    assert runner.invoke(app, ["explain", "--var", "NOEQUALS"]).exit_code == 2


def _graph(*args: str) -> str:
    result = CliRunner().invoke(app, ["graph", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_graph_draws_stages_in_order_and_every_need() -> None:
    """Mermaid: a box per non-empty stage in order, joined in order; an arrow per need."""
    import re

    text = compile_module(ROOT / "pipelines" / "flow.py", CONFIG).text
    every = plan(text, preset("branch:main"), every_job=True)
    drawn = _graph(str(ROOT / "pipelines" / "flow.py"))
    nodes = dict(re.findall(r'^    (j\d+)\["([^"]+?)(?: \(\w+\))?"\]$', drawn, re.M))
    assert sorted(nodes.values()) == sorted(j.name for j in every.jobs)
    by_name = {name: node for node, name in nodes.items()}
    edges = set(re.findall(r"^  (j\d+) --> (j\d+)$", drawn, re.M))
    expected = {(by_name[n], by_name[j.name]) for j in every.jobs for n in j.needs}
    assert edges == expected
    stages = re.findall(r'^  subgraph (s\d+) \["([^"]+)"\]$', drawn, re.M)
    assert [s for _, s in stages] == [
        s for s in every.stages if any(j.stage == s for j in every.jobs)
    ]
    chain = re.findall(r"^  (s\d+) --> (s\d+)$", drawn, re.M)
    assert chain == [(stages[i][0], stages[i + 1][0]) for i in range(len(stages) - 1)]


def test_graph_of_one_pipeline_kind_and_as_dot() -> None:
    """--on keeps only the jobs GitLab would create; DOT has the same nodes and needs."""
    import re

    module = str(ROOT / "pipelines" / "flow.py")
    tag = _graph(module, "--on", "tag:v1.2.3")
    assert "deploy-staging" not in tag
    assert "container-scan" in tag
    drawn = _graph(module, "--format", "dot")
    assert drawn.startswith("digraph pipeline {")
    assert drawn.endswith("}\n")
    assert drawn.count("{") == drawn.count("}")
    defined = set(re.findall(r"^    (j\d+) \[label=", drawn, re.M))
    used = {n for edge in re.findall(r"^  (j\d+) -> (j\d+)", drawn, re.M) for n in edge}
    assert used <= defined
    assert CliRunner().invoke(app, ["graph", module, "--format", "png"]).exit_code == 2


def test_docs_show_the_graph_the_command_draws() -> None:
    """docs/explain.md shows exactly what `gitlabci-dsl graph pipelines/flow.py` prints."""
    docs = (ROOT / "docs" / "explain.md").read_text(encoding="utf-8")
    assert f"```mermaid\n{_graph(str(ROOT / 'pipelines' / 'flow.py'))}```" in docs


def test_gitlab_ci_local_lists_jobs_whatever_their_only_except(
    gitlab_ci_local: Path, tmp_path: Path
) -> None:
    """gitlab-ci-local 4.73.0's --list-json does not apply only/except: it lists an
    `only: [tags]` job in a branch pipeline and an `except: [main]` job on main. GitLab creates
    neither (https://docs.gitlab.com/ci/yaml/#only--except); we follow GitLab."""
    text = "tagged:\n  script: x\n  only: [tags]\nnot-main:\n  script: x\n  except: [main]\n"
    assert plan(text, preset("branch:main")).jobs == ()
    listed = gitlab_ci_local_jobs(gitlab_ci_local, tmp_path, text, "branch:main")
    assert set(listed) == {"tagged", "not-main"}


CORPUS_PRESETS = ["branch:main", "tag:v1.2.3", "mr", "branch:feature/login"]


def _departs(job: dict[str, object], on: str) -> bool:
    """Whether gitlab-ci-local's listing of ``job`` departs from GitLab (tests above)."""
    if "only" in job or "except" in job:
        return True
    return on == "mr" and "rules" not in job


def test_explain_agrees_with_gitlab_ci_local_on_the_corpus(
    corpus: list[Path], gitlab_ci_local: Path, tmp_path: Path
) -> None:
    """For every corpus file without remote, template, project or component includes that
    gitlab-ci-local accepts, and for default-branch, tag, merge-request and feature-branch
    pipelines, our jobs are gitlab-ci-local's, apart from its two documented departures
    (only/except not applied; rule-less jobs listed in merge request pipelines)."""
    from gitlabci_dsl.gitlab.extends import resolve_extends
    from gitlabci_dsl.gitlab.reader import load

    compared = 0
    for path in corpus:
        text = path.read_text(encoding="utf-8")
        data = load(text)[-1].data
        include = str(data.get("include", "")) if isinstance(data, dict) else ""
        if any(key in include for key in ("remote", "template", "project", "component", "http")):
            continue
        jobs = {k: v for k, v in data.items() if isinstance(v, dict)}
        merged = resolve_extends(jobs).jobs
        for on in CORPUS_PRESETS:
            folder = tmp_path / f"{path.stem}-{on.replace('/', '-')}"
            listed = gitlab_ci_local_list(gitlab_ci_local, folder, text, on)
            if listed is None:
                break  # gitlab-ci-local refuses the file: nothing to compare with
            result = plan(text, preset(on), changed=[])
            theirs = set(listed)
            if not result.pipeline and any("workflow" in note for note in result.notes):
                theirs = set()  # gitlab-ci-local lists jobs even when workflow:rules stops it
            ours = {j.name for j in result.jobs}
            kept = {n for n in ours | theirs if not _departs(merged.get(_base(n), {}), on)}
            assert ours & kept == theirs & kept, (path.name, on)
            compared += 1
    assert compared > 200


def test_gitlab_ci_local_lists_jobs_when_workflow_rules_stop_the_pipeline(
    gitlab_ci_local: Path, tmp_path: Path
) -> None:
    """workflow:rules that match nothing mean GitLab creates no pipeline
    (https://docs.gitlab.com/ci/yaml/workflow/); gitlab-ci-local 4.73.0's --list-json still
    lists the jobs. We follow GitLab."""
    text = "workflow:\n  rules:\n    - if: $CI_COMMIT_TAG\njob:\n  script: x\n"
    assert not plan(text, preset("branch:main")).pipeline
    assert set(gitlab_ci_local_jobs(gitlab_ci_local, tmp_path, text, "branch:main")) == {"job"}


@pytest.mark.parametrize("on", ["branch:main", "tag:v1.2.3", "branch:feature/login", "mr"])
@pytest.mark.parametrize("module", ["docker_build", "kaniko"])
def test_explain_shows_the_images_a_build_pushes(module: str, on: str) -> None:
    """The tags explain reads from a build job are those its TagStrategy gives for the same
    variables: SHA, branch slug and latest on the default branch, the version on tags."""
    from gitlabci_dsl import TagStrategy

    text = compile_module(ROOT / "pipelines" / f"{module}.py", CONFIG).text
    variables = preset(on)
    jobs = {j.name: j for j in plan(text, variables).jobs}
    if "build" not in jobs:
        assert on == "mr"  # the builds run in branch and tag pipelines only
        return
    expected = [
        "$CI_REGISTRY_IMAGE:" + (tag or "$CI_COMMIT_SHA")
        for tag in TagStrategy().tags_for({**variables, "CI_COMMIT_SHA": ""})
    ]
    assert list(jobs["build"].pushes) == expected
    shown = CliRunner().invoke(
        app, ["explain", str(ROOT / "pipelines" / f"{module}.py"), "--on", on]
    )
    for image in expected:
        assert f"    pushes {image}\n" in shown.stdout


@pytest.mark.parametrize(
    ("glob", "changed", "expected"),
    [
        ("*.md", ["docs/a.md"], False),  # `*` does not cross `/` (fnmatch's does)
        ("docs/**/*.md", ["docs/a.md"], True),  # `**/` matches zero folders
        ("{src,lib}/**/*", ["lib/x/y.py"], True),  # braces expand (FNM_EXTGLOB)
        ("*", [".gitlab-ci.yml"], True),  # dotfiles match (FNM_DOTMATCH)
        ("Dockerfile", ["sub/Dockerfile"], False),  # the whole path must match
    ],
)
def test_rules_changes_match_as_gitlab_does(glob: str, changed: list[str], expected: bool) -> None:
    """rules:changes globs follow Ruby's File.fnmatch? with GitLab's flags, not Python's."""
    text = f"job:\n  script: x\n  rules:\n    - changes: [{json.dumps(glob)}]\n"
    result = plan(text, preset("branch:main"), changed=changed)
    assert bool(result.jobs) is expected


def test_rules_exists_matches_the_project_files(tmp_path: Path) -> None:
    """rules:exists sees the project's files, never one outside it, and matches as GitLab."""
    (tmp_path / "app" / "deep").mkdir(parents=True)
    (tmp_path / "app" / "deep" / "Dockerfile").write_text("FROM scratch\n", encoding="utf-8")
    (tmp_path / ".env").write_text("A=1\n", encoding="utf-8")

    def runs(glob: str) -> bool:
        text = f"job:\n  script: x\n  rules:\n    - exists: [{json.dumps(glob)}]\n"
        return bool(plan(text, preset("branch:main"), root=tmp_path).jobs)

    assert runs("**/Dockerfile")
    assert not runs("*/Dockerfile")  # one folder only
    assert runs("app/{deep,shallow}/Dockerfile")
    assert runs(".env")
    assert not runs("../*")
    assert not runs("/etc/passwd")


@pytest.mark.parametrize("command", ["explain", "graph"])
def test_invalid_yaml_is_one_line_with_file_line_and_column(project: Path, command: str) -> None:
    """A file that is not YAML: `file:line:column: invalid YAML: ...`, exit 1, no traceback."""
    (project / ".gitlab-ci.yml").write_text("job:\n  script: [a\n", encoding="utf-8")
    result = CliRunner().invoke(app, [command])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output.startswith("error: .gitlab-ci.yml:3:1: invalid YAML: ")
    assert result.output.count("\n") == 1


def test_an_if_gitlab_cannot_parse_is_said_to_be_refused() -> None:
    """explain still shows the rest, and says GitLab refuses such a pipeline (lint and compile
    report it as invalid-expression)."""
    result = plan("job:\n  script: x\n  rules:\n    - if: $A = 'x'\n", {})
    assert result.jobs == ()
    assert any("GitLab refuses this pipeline (lint: invalid-expression)" in n for n in result.notes)


@pytest.mark.parametrize(
    ("on", "source", "branch"),
    [("api", "api", "main"), ("web:dev", "web", "dev"), ("trigger", "trigger", "main")],
)
def test_runs_started_by_hand_are_branch_pipelines_of_their_source(
    on: str, source: str, branch: str
) -> None:
    """A run from the API, a trigger token or the web is a pipeline of its branch (GitLab sets
    CI_COMMIT_BRANCH) with its own CI_PIPELINE_SOURCE: rules on the branch match it, rules on
    `push` do not."""
    variables = preset(on)
    assert (variables["CI_PIPELINE_SOURCE"], variables["CI_COMMIT_BRANCH"]) == (source, branch)
    text = (
        "branch:\n  script: x\n  rules: [{if: $CI_COMMIT_BRANCH}]\n"
        "push:\n  script: x\n  rules: [{if: $CI_PIPELINE_SOURCE == 'push'}]\n"
    )
    assert [job.name for job in plan(text, variables).jobs] == ["branch"]
