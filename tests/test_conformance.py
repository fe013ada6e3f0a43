"""One answer from every consumer of GitLab's semantics.

The same inputs go through the GitLab core directly, ``explain``, ``graph``, ``lint``, the
compile-time checks (``validation``) and ``import`` (YAML -> module -> compiled YAML), and each
must see the same pipeline: the same jobs (parallel instances named as GitLab names them), the
same stages, the same needs, the same jobs after ``extends``/``default``/``!reference``, the
same include set, and the same problems GitLab would refuse. Inputs: hand-written cases that
exercise includes, extends, references, parallel matrices and broken references, and every
file of the corpus.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from gitlabci_dsl.emitter import to_yaml
from gitlabci_dsl.errors import GitlabCIDSLError
from gitlabci_dsl.evaluate.graph import dot
from gitlabci_dsl.evaluate.pipeline import plan
from gitlabci_dsl.gitlab.expand import gitlab_view, pipeline_data
from gitlabci_dsl.gitlab.extends import resolve_extends
from gitlabci_dsl.gitlab.facts import GLOBAL_KEYS
from gitlabci_dsl.gitlab.includes import resolve
from gitlabci_dsl.gitlab.needs import needed_names
from gitlabci_dsl.gitlab.parallel import instances
from gitlabci_dsl.gitlab.reader import load
from gitlabci_dsl.gitlab.stages import stages_of
from gitlabci_dsl.importer import import_yaml
from gitlabci_dsl.lint import RULES, lint_text
from gitlabci_dsl.validation import problems, validate


class View(NamedTuple):
    jobs: tuple[str, ...]  # every job GitLab creates, in file order
    stages: tuple[str, ...]
    needs: frozenset[tuple[str, str]]  # (needed, job)
    includes: tuple[str, ...]


def core_view(text: str, root: Path | None) -> tuple[View, dict[str, Any]]:
    """The pipeline as the core's resolvers give it, and its jobs after ``extends``."""
    data = pipeline_data(load(text))
    data = data if isinstance(data, dict) else {}
    included = resolve(data, root)
    config = gitlab_view(included.config)
    jobs = {
        k: v
        for k, v in config.items()
        if isinstance(k, str) and k not in GLOBAL_KEYS and isinstance(v, dict)
    }
    merged = {n: j for n, j in resolve_extends(jobs).jobs.items() if not n.startswith(".")}
    names: list[str] = []
    needs: set[tuple[str, str]] = set()
    for name, job in merged.items():
        for instance in instances(name, job):
            names.append(instance.name)
            needs |= {(need, instance.name) for need in needed_names(job, merged)}
    view = View(tuple(names), tuple(stages_of(config)), frozenset(needs), included.files)
    return view, merged


def explain_view(text: str, root: Path | None) -> View:
    result = plan(text, {}, root=root, every_job=True)
    needs = frozenset((need, job.name) for job in result.jobs for need in job.needs)
    return View(tuple(j.name for j in result.jobs), result.stages, needs, result.files)


def graph_edges(text: str, root: Path | None) -> tuple[set[str], set[tuple[str, str]]]:
    """The jobs and the needs arrows ``graph --format dot`` draws."""
    drawn = dot(plan(text, {}, root=root, every_job=True))
    labels = dict(re.findall(r'^    (j\d+) \[label="((?:[^"\\]|\\.)*)"\];$', drawn, re.M))
    when = r" \((?:manual|always|delayed|never|on_failure)\)$"  # the label's (when) suffix
    names = {key: re.sub(when, "", re.sub(r"\\(.)", r"\1", label)) for key, label in labels.items()}
    arrows = re.findall(r"^  (j\d+) -> (j\d+);$", drawn, re.M)
    return set(names.values()), {(names[a], names[b]) for a, b in arrows}


def refusals(text: str, root: Path | None) -> set[tuple[str, str | None]]:
    """(rule, job) of what the compile-time checks refuse in ``text``'s data."""
    data = pipeline_data(load(text))
    return {(p.rule, p.job) for p in problems(data if isinstance(data, dict) else {}, root=root)}


def lint_refusals(text: str, root: Path | None) -> set[tuple[str, str | None]]:
    """(rule, job) of lint's errors from GitLab's pipeline checks (not schema, YAML or
    practice rules, which the compile-time checks leave to the schema and lint)."""
    core_rules = {"schema", "yaml-syntax", "duplicate-key"}
    return {
        (f.rule, f.job)
        for f in lint_text(text, "ci.yml", root=root, schema=False, practice=False)
        if f.severity == "error" and f.rule not in core_rules and f.rule in RULES
    }


def same_answer(text: str, root: Path | None) -> bool:
    """Assert one answer; True when the import was compared too (False: import refused)."""
    view, merged = core_view(text, root)
    explained = explain_view(text, root)
    # explain lists jobs stage by stage; the set, stages, needs and includes are the same.
    assert sorted(explained.jobs) == sorted(view.jobs)
    assert explained._replace(jobs=()) == view._replace(jobs=())
    drawn, arrows = graph_edges(text, root)
    assert drawn == set(view.jobs)
    assert arrows == {(a, b) for a, b in view.needs if a in drawn}
    assert lint_refusals(text, root) == refusals(text, root)
    try:
        imported = import_yaml(text, source="ci.yml", allow_duplicates=True)
    except GitlabCIDSLError:
        return False  # a file import refuses (it says why); nothing to compare
    namespace: dict[str, Any] = {}
    exec(compile(imported.code, "pipelines/main.py", "exec"), namespace)  # noqa: S102 - ours
    pipeline = namespace["pipeline"]
    validate(pipeline)  # the objects themselves are consistent
    again = to_yaml(pipeline, check=False)
    view_again, merged_again = core_view(again, root)
    assert view_again == view
    assert merged_again == merged
    assert refusals(again, root) == refusals(text, root)
    return True


CASES: dict[str, tuple[str, dict[str, str]]] = {
    "stages, needs and defaults": (
        "stages: [build, test, deploy]\n"
        "default:\n  image: alpine:3.20\n"
        "build:\n  stage: build\n  script: [make]\n"
        "unit:\n  needs: [build]\n  script: [make test]\n"
        "deploy:\n  stage: deploy\n  needs: [{job: unit, artifacts: false}]\n  script: [x]\n",
        {},
    ),
    "extends chains and !reference": (
        ".base:\n  variables: {A: '1'}\n  script: [echo base]\n"
        ".setup:\n  before_script: [echo setup]\n"
        "job:\n  extends: [.base, .setup]\n  after_script: [!reference [.setup, before_script]]\n"
        "other:\n  extends: job\n  variables: {B: '2'}\n",
        {},
    ),
    "parallel matrix and needs on it": (
        "build:\n  stage: build\n  script: [make]\n"
        "  parallel:\n    matrix:\n      - ARCH: [amd64, arm64]\n        OS: [alpine]\n"
        "test:\n  parallel: 3\n  needs: [build]\n  script: [t]\n"
        "one:\n  needs:\n    - job: build\n      parallel:\n        matrix:\n"
        "          - ARCH: amd64\n            OS: alpine\n  script: [x]\n",
        {},
    ),
    "local includes, nested and wildcard": (
        "include:\n  - local: ci/base.yml\n  - 'ci/parts/*.yml'\n"
        "job:\n  extends: .from-base\n  needs: [lint]\n",
        {
            "ci/base.yml": "include: ci/deep.yml\n.from-base:\n  script: [base]\n",
            "ci/deep.yml": "stages: [lint, test]\n",
            "ci/parts/lint.yml": "lint:\n  stage: lint\n  script: [ruff]\n",
        },
    ),
    "what GitLab refuses": (
        "stages: [build]\n"
        "a:\n  stage: nope\n  script: [x]\n  needs: [ghost, b]\n"
        "b:\n  stage: build\n  needs: [a]\n  script: [x]\n"
        "c:\n  extends: .missing\n"
        "d:\n  script: [x]\n  environment: {name: prod, on_stop: gone}\n"
        "e:\n  trigger: {include: child.yml}\n  script: [x]\n",
        {},
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_consumer_gives_one_answer(case: str, tmp_path: Path) -> None:
    text, files = CASES[case]
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content, encoding="utf-8")
    assert same_answer(text, tmp_path)


def test_the_refusing_case_is_refused_by_every_consumer(tmp_path: Path) -> None:
    """The cases are not vacuous: the broken one gives the same non-empty set everywhere."""
    text = CASES["what GitLab refuses"][0]
    expected = {
        ("undefined-stage", "a"),
        ("needs-undefined", "a"),
        ("needs-cycle", "b"),
        ("extends-undefined", "c"),
        ("on-stop-undefined", "d"),
        ("trigger-with-script", "e"),
    }
    assert expected <= refusals(text, tmp_path)
    assert lint_refusals(text, tmp_path) == refusals(text, tmp_path)


def test_every_corpus_file_gives_one_answer(corpus: list[Path]) -> None:
    """Each real file: one answer from every consumer (files read as they are, includes of
    the corpus folder resolved from it)."""
    checked = imported = 0
    for path in corpus:
        text = path.read_text(encoding="utf-8")
        try:
            load(text)
        except GitlabCIDSLError:
            continue  # not readable YAML: lint says so; there is no pipeline to compare
        try:
            imported += same_answer(text, path.parent)
        except AssertionError as exc:
            raise AssertionError(f"{path.name}: {exc}") from exc
        checked += 1
    assert checked >= 120
    assert imported >= 120  # all 125 import today (duplicate keys allowed)
