"""`gitlabci-dsl lint`: one failing fixture and one near miss per rule, suppression, output
formats, our own examples, and the shared corpus against GitLab's schema and gitlab-ci-local."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import ROOT, git_repo
from gitlabci_dsl.cli import app
from gitlabci_dsl.gitlab.reader import Tagged, load
from gitlabci_dsl.lint import RULES, Suppressed, _as_json, lint_text, lint_texts
from gitlabci_dsl.lint.shell import ShellCheck
from gitlabci_dsl.project import compile_module, discover, load_config
from gitlabci_dsl.sources import OwnComponents

# A fixture that starts with this is linted as a child pipeline (another file triggers it).
CHILD = "# a child pipeline\n"
GRANDCHILD = "# a child pipeline's child\n"

# A component of the project the fixtures are linted in (templates/build.yml, COMPONENT).
OWN = "$CI_SERVER_FQDN/$CI_PROJECT_PATH"
COMPONENT = (
    "spec:\n  inputs:\n    stage:\n      default: test\n    env:\n      options: [dev, prod]\n"
    "---\nbuild-$[[ inputs.env ]]:\n  stage: $[[ inputs.stage ]]\n  script: echo $[[ inputs.env ]]\n"
)

# rule -> (YAML that must trigger it, a near miss that must not)
FIXTURES: dict[str, tuple[str, str]] = {
    "yaml-syntax": ("job:\n  script: [a\n", "job:\n  script: [a]\n"),
    "schema": ("job:\n  script: a\n  when: sometimes\n", "job:\n  script: a\n  when: manual\n"),
    "duplicate-key": (
        "job:\n  script: a\n  script: b\n",
        "job:\n  script: a\nother:\n  script: a\n",
    ),
    "undefined-stage": (
        "stages: [build]\njob:\n  stage: deploy\n  script: a\n",
        "stages: [build]\njob:\n  stage: .post\n  script: a\n",
    ),
    "needs-undefined": (
        "a:\n  script: x\n  needs: [b]\n",
        "a:\n  script: x\n  needs: [{job: b, optional: true}]\n",
    ),
    "needs-later-stage": (
        "a:\n  stage: build\n  script: x\n  needs: [b]\nb:\n  stage: test\n  script: x\n",
        "a:\n  stage: test\n  script: x\n  needs: [b]\nb:\n  stage: test\n  script: x\n",
    ),
    "needs-cycle": (
        "a:\n  script: x\n  needs: [b]\nb:\n  script: x\n  needs: [a]\n",
        "a:\n  script: x\n  needs: [b]\nb:\n  script: x\n",
    ),
    "needs-limit": (
        "".join(f"j{i}:\n  stage: build\n  script: x\n" for i in range(51))
        + "last:\n  needs: ["
        + ", ".join(f"j{i}" for i in range(51))
        + "]\n  script: x\n",
        "".join(f"j{i}:\n  stage: build\n  script: x\n" for i in range(50))
        + "last:\n  needs: ["
        + ", ".join(f"j{i}" for i in range(50))
        + "]\n  script: x\n",
    ),
    "on-stop-undefined": (
        "deploy:\n  script: x\n  environment: {name: prod, on_stop: stop-prod}\n",
        "deploy:\n  script: x\n  environment: {name: prod, on_stop: stop-prod}\n"
        "stop-prod:\n  script: x\n  when: manual\n  environment: {name: prod, action: stop}\n",
    ),
    "invalid-expression": (
        "job:\n  script: x\n  rules:\n    - if: $CI_COMMIT_BRANCH = 'main'\n",
        "job:\n  script: x\n  rules:\n    - if: $CI_COMMIT_BRANCH == 'main'\n",
    ),
    "trigger-with-script": (
        "child:\n  trigger: {include: present.yml}\n  script: [make]\n",
        "child:\n  trigger: {include: present.yml}\n",
    ),
    "needs-never": (
        "a:\n  script: x\n  when: never\nb:\n  script: x\n  needs: [a]\n",
        "a:\n  script: x\n  when: never\nb:\n  script: x\n  needs: [{job: a, optional: true}]\n",
    ),
    "trigger-include-missing": (
        "app:\n  trigger:\n    include: missing.yml\n",
        "app:\n  trigger:\n    include: present.yml\n    strategy: depend\n",
    ),
    "needs-trigger-without-depend": (
        "app:\n  trigger: {include: present.yml}\nafter:\n  script: x\n  needs: [app]\n",
        "app:\n  trigger: {include: present.yml, strategy: depend}\nafter:\n  script: x\n"
        "  needs: [app]\n",
    ),
    "child-too-deep": (
        f"{GRANDCHILD}app:\n  trigger: {{include: present.yml, strategy: depend}}\n",
        f"{CHILD}app:\n  trigger: {{include: present.yml, strategy: depend}}\n",
    ),
    "child-merge-request-rule": (
        f"{CHILD}unit:\n  script: x\n  rules: [{{if: $CI_PIPELINE_SOURCE == 'merge_request_event'}}]\n",
        f"{CHILD}unit:\n  script: x\n  rules: [{{if: $PARENT_PIPELINE_SOURCE == 'merge_request_event'}}]\n",
    ),
    "changes-match-nothing": (
        "job:\n  script: x\n  rules: [{changes: [srcs/**/*.py]}]\n",
        "job:\n  script: x\n  rules: [{changes: {paths: ['*.yml', '$DIR/**/*']}}]\n",
    ),
    "needs-left-out": (
        "build:\n  script: x\n  rules: [{if: $CI_COMMIT_TAG}]\ntest:\n  script: x\n"
        "  needs: [build]\n",
        "build:\n  script: x\n  rules: [{if: $CI_COMMIT_TAG}]\ntest:\n  script: x\n"
        "  rules: [{if: $CI_COMMIT_TAG}]\n  needs: [build]\n",
    ),
    "dependencies-undefined": (
        "a:\n  stage: build\n  script: x\n  dependencies: [b]\nb:\n  stage: test\n  script: x\n",
        "a:\n  stage: test\n  script: x\n  dependencies: [b]\nb:\n  stage: build\n  script: x\n",
    ),
    "dependencies-not-in-needs": (
        "a:\n  stage: build\n  script: x\nb:\n  script: x\n  needs: []\n  dependencies: [a]\n",
        "a:\n  stage: build\n  script: x\nb:\n  script: x\n  needs: [a]\n  dependencies: [a]\n",
    ),
    "extends-undefined": (
        "job:\n  extends: .base\n  script: a\n",
        ".base:\n  image: alpine:3.20\njob:\n  extends: .base\n  script: a\n",
    ),
    "extends-cycle": (
        ".a:\n  extends: .b\n.b:\n  extends: .a\njob:\n  extends: .a\n  script: x\n",
        ".a:\n  extends: .b\n.b:\n  image: alpine:3.20\njob:\n  extends: .a\n  script: x\n",
    ),
    "extends-too-deep": (
        "".join(f".t{i}:\n  extends: .t{i + 1}\n" for i in range(12))
        + ".t12:\n  image: alpine:3.20\njob:\n  extends: .t0\n  script: x\n",
        "".join(f".t{i}:\n  extends: .t{i + 1}\n" for i in range(10))
        + ".t10:\n  image: alpine:3.20\njob:\n  extends: .t0\n  script: x\n",
    ),
    "reference-undefined": (
        ".setup:\n  script: [a]\njob:\n  script: !reference [.setup, before_script]\n",
        ".setup:\n  script: [a]\njob:\n  script: !reference [.setup, script]\n",
    ),
    "job-without-script": (
        "job:\n  image: alpine:3.20\n",
        ".template:\n  image: alpine:3.20\njob:\n  extends: .template\n  script: a\n",
    ),
    "matrix-limit": (
        "job:\n  script: a\n  parallel:\n    matrix:\n      - A: ["
        + ", ".join(str(i) for i in range(15))
        + "]\n        B: ["
        + ", ".join(str(i) for i in range(14))
        + "]\n",
        "job:\n  script: a\n  parallel:\n    matrix:\n      - A: ["
        + ", ".join(str(i) for i in range(20))
        + "]\n        B: ["
        + ", ".join(str(i) for i in range(10))
        + "]\n",
    ),
    "include-local-missing": (
        "include: missing.yml\njob:\n  script: a\n",
        "include: present.yml\njob:\n  script: a\n",
    ),
    "include-limit": (
        "include: [" + ", ".join(["present.yml"] * 151) + "]\njob:\n  script: a\n",
        "include: [" + ", ".join(["present.yml"] * 150) + "]\njob:\n  script: a\n",
    ),
    "include-unresolved": (
        "include:\n  - template: Jobs/Build.gitlab-ci.yml\njob:\n  script: a\n",
        "job:\n  script: a\n",
    ),
    "include-unpinned": (
        f"include:\n  - component: {OWN}/build@~latest\n    inputs: {{env: dev}}\n",
        f"include:\n  - component: {OWN}/build@$CI_COMMIT_SHA\n    inputs: {{env: dev}}\n",
    ),
    "input-undeclared": (
        f"include:\n  - component: {OWN}/build@1.0.0\n    inputs: {{env: dev, stge: test}}\n",
        f"include:\n  - component: {OWN}/build@1.0.0\n    inputs: {{env: dev, stage: test}}\n",
    ),
    "input-missing": (
        f"include:\n  - component: {OWN}/build@1.0.0\n    inputs: {{stage: test}}\n",
        f"include:\n  - component: {OWN}/build@1.0.0\n    inputs: {{stage: test, env: prod}}\n",
    ),
    "input-invalid": (
        f"include:\n  - component: {OWN}/build@1.0.0\n    inputs: {{env: staging}}\n",
        f"include:\n  - component: {OWN}/build@1.0.0\n    inputs: {{env: prod}}\n",
    ),
    "secret-on-command-line": (
        "job:\n  script: docker login -u $U -p $CI_REGISTRY_PASSWORD $CI_REGISTRY\n",
        'job:\n  script: echo "$CI_REGISTRY_PASSWORD" | docker login -u $U --password-stdin $R\n',
    ),
    "script-injection": (
        'job:\n  script:\n    - echo $CI_COMMIT_TITLE\n    - eval "deploy $CI_COMMIT_BRANCH"\n',
        'job:\n  script:\n    - echo "$CI_COMMIT_TITLE"\n    - deploy $CI_COMMIT_BRANCH\n',
    ),
    "shellcheck": (
        # Arrays are bash's: an Alpine image runs the script in BusyBox's sh.
        'job:\n  image: alpine:3.20\n  script:\n    - a=(1 2); echo "${a[@]}"\n',
        'job:\n  image: debian:12\n  script:\n    - a=(1 2); echo "${a[@]}"\n',
    ),
    "suppression-without-reason": (
        "job:\n  image: alpine:latest  # gitlabci-dsl: ignore[unpinned-image]\n  script: a\n",
        "job:\n  image: alpine:latest  # gitlabci-dsl: ignore[unpinned-image] -- a mirror\n"
        "  script: a\n",
    ),
    "secret-echoed": (
        "job:\n  script:\n    - |\n      set -e\n      echo $DEPLOY_TOKEN\n",
        "job:\n  script:\n    - |\n      set -e\n      echo $DEPLOY_TOKEN | ./deploy --token-stdin\n",
    ),
    "unpinned-image": (
        "job:\n  image: alpine:latest\n  script: a\n",
        "job:\n  image: alpine:3.20\n  services: [postgres@sha256:" + "0" * 64 + "]\n  script: a\n",
    ),
    "dind-without-tls": (
        "job:\n  services: [docker:27.3.1-dind]\n  variables:\n    DOCKER_TLS_CERTDIR: ''\n"
        "  script: a\n",
        "job:\n  services: [docker:27.3.1-dind]\n  variables:\n    DOCKER_TLS_CERTDIR: /certs\n"
        "  script: a\n",
    ),
    "only-except": (
        "job:\n  script: a\n  only: [main]\n",
        "job:\n  script: a\n  rules: [{if: $CI_COMMIT_BRANCH}]\n",
    ),
    "scan-allow-failure": (
        "scan:\n  script: trivy image --exit-code 1 app:1\n  allow_failure: true\n",
        "scan:\n  script: trivy image --exit-code 1 app:1\n",
    ),
    "curl-pipe-shell": (
        "job:\n  script: curl -sSL https://get.example.com/install | sh\n",
        "job:\n  script: curl -sSLo install.sh https://get.example.com/install\n",
    ),
    "deprecated-keyword": (
        "before_script: [a]\njob:\n  script: a\n",
        "default:\n  before_script: [a]\njob:\n  script: a\n",
    ),
}


def gitlab_ci_local_accepts(gitlab_ci_local: Path, folder: Path, text: str) -> bool:
    """Whether gitlab-ci-local lists the pipeline ``text`` (a one-commit repository in folder)."""
    listed = subprocess.run(
        [str(gitlab_ci_local), "--list-json"],
        cwd=git_repo(folder, text),
        capture_output=True,
        text=True,
        check=False,
    )
    return listed.returncode == 0


def rules_of(text: str, root: Path | None = None, *, scripts: bool = False) -> set[str]:
    depth = 1 if text.startswith(CHILD) else 2 if text.startswith(GRANDCHILD) else 0
    source = OwnComponents(root) if root is not None else None
    checker = ShellCheck() if scripts else None
    found = lint_text(
        text, "test.yml", root=root, child_depth=depth, source=source, scripts=checker
    )
    if checker is not None:
        found += checker.run()["test.yml"]
    return {f.rule for f in found}


def test_every_rule_has_a_fixture() -> None:
    """A new rule cannot be added without its two fixtures."""
    assert set(FIXTURES) == set(RULES)


@pytest.mark.parametrize("rule", sorted(FIXTURES))
def test_rule_triggers_on_its_fixture_and_not_on_the_near_miss(rule: str, tmp_path: Path) -> None:
    """The bad fixture gives the rule's finding; the near miss gives no finding at all (in a
    git work tree: changes-match-nothing reads the repository's files)."""
    import shutil
    import subprocess

    (tmp_path / "present.yml").write_text("other:\n  script: a\n", encoding="utf-8")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "build.yml").write_text(COMPONENT, encoding="utf-8")
    subprocess.run([shutil.which("git") or "git", "init", "-q"], cwd=tmp_path, check=True)
    bad, near_miss = FIXTURES[rule]
    scripts = rule == "shellcheck"  # ShellCheck's own findings are tested on its fixtures
    assert rule in rules_of(bad, tmp_path, scripts=scripts)
    assert rules_of(near_miss, tmp_path, scripts=scripts) == set()


def test_findings_name_the_file_job_line_and_column() -> None:
    """A finding points at the offending key."""
    (finding,) = lint_text("a:\n  script: x\nb:\n  script: x\n  needs: [c]\n", "ci.yml")
    assert (
        finding.human()
        == "ci.yml:5:11: error[needs-undefined] job 'b': needs 'c', which is not a job"
    )


def test_schema_errors_point_into_the_job_and_say_what_is_wrong() -> None:
    """The schema finding names the key path, the value and the rule."""
    (finding,) = lint_text("build:\n  script: a\n  scirpt: b\n", "ci.yml")
    assert (finding.rule, finding.job, finding.line) == ("schema", "build", 1)
    assert "unknown key(s) 'scirpt'" in finding.message


def test_gitlab_idioms_the_schema_rejects_are_accepted() -> None:
    """`key: null` dropping an inherited key (https://docs.gitlab.com/ci/yaml/#extends),
    `rules: !reference [...]` (https://docs.gitlab.com/ci/yaml/yaml_optimization/), nested
    script lists from anchors and spec inputs (https://docs.gitlab.com/ci/inputs/) are read the
    way GitLab reads them, while a wrong input default is still an error."""
    text = (
        ".rules:\n  rules:\n    - if: $CI_COMMIT_TAG\n"
        ".base:\n  parallel: 3\n  script: &s [a, b]\n"
        "job:\n  extends: .base\n  parallel: null\n  rules: !reference [.rules, rules]\n"
        "  script: [*s, c]\n"
    )
    assert lint_text(text, "ci.yml") == []
    spec = (
        "spec:\n  inputs:\n    allow:\n      type: boolean\n      default: false\n---\n"
        "job:\n  script: a\n  allow_failure: $[[ inputs.allow ]]\n"
    )
    assert lint_text(spec, "ci.yml") == []
    wrong = spec.replace("default: false", "default: maybe")
    assert {f.rule for f in lint_text(wrong, "ci.yml")} == {"schema"}


def test_merge_keys_follow_gitlabs_parser() -> None:
    """Several `<<:` merges in one mapping are accepted; a later merge overrides earlier keys,
    as in Ruby's Psych."""
    text = (
        ".a: &a {image: 'alpine:3.20'}\n.b: &b {tags: [docker]}\n"
        "job:\n  <<: *a\n  <<: *b\n  script: x\n"
    )
    assert lint_text(text, "ci.yml") == []


def test_inline_and_configured_suppression(project: Path) -> None:
    """`# gitlabci-dsl: ignore[rule]` silences that rule on its line; [tool.gitlabci-dsl.lint]
    ignore silences it everywhere; an unknown rule there is an error. A comment without a
    reason still silences, and says it gave none."""
    text = "job:\n  script: a\n  script: b  # gitlabci-dsl: ignore[duplicate-key] -- kept\n"
    assert lint_text(text, "ci.yml") == []
    assert lint_text(text.replace("[duplicate-key]", "[schema]"), "ci.yml") != []
    assert lint_text(text.replace("ignore[duplicate-key]", "ignore"), "ci.yml") == []
    silenced: list[Suppressed] = []
    bare = text.replace(" -- kept", "")
    (unexplained,) = lint_text(bare, "ci.yml", suppressed=silenced)
    assert (unexplained.rule, unexplained.line, unexplained.column) == (
        "suppression-without-reason",
        3,
        bare.splitlines()[2].index("#") + 1,
    )
    assert [(s.finding.rule, s.reason) for s in silenced] == [("duplicate-key", "")]
    silenced.clear()
    assert lint_text(text, "ci.yml", suppressed=silenced) == []
    assert [s.reason for s in silenced] == ["kept"]
    (project / "ci.yml").write_text("job:\n  script: a\n  script: b\n", encoding="utf-8")
    assert CliRunner().invoke(app, ["lint", "ci.yml", "--strict"]).exit_code == 1
    (project / "pyproject.toml").write_text(
        '[tool.gitlabci-dsl.lint]\nignore = ["duplicate-key"]\n', encoding="utf-8"
    )
    assert CliRunner().invoke(app, ["lint", "ci.yml", "--strict"]).exit_code == 0
    (project / "pyproject.toml").write_text(
        '[tool.gitlabci-dsl.lint]\nignore = ["no-such-rule"]\n', encoding="utf-8"
    )
    result = CliRunner().invoke(app, ["lint", "ci.yml"])
    assert result.exit_code == 1
    assert "unknown rule(s) no-such-rule" in result.stderr


def test_output_formats_and_exit_codes(project: Path) -> None:
    """human, json and codequality carry the same findings; errors exit 1, warnings only
    with --strict, a bad --format or path exits 2."""
    (project / "bad.yml").write_text("a:\n  script: x\n  needs: [zz]\n", encoding="utf-8")
    (project / "warn.yml").write_text("a:\n  script: x\n  script: y\n", encoding="utf-8")
    runner = CliRunner()
    human = runner.invoke(app, ["lint", "bad.yml"])
    assert human.exit_code == 1
    assert "bad.yml:3:11: error[needs-undefined] job 'a': needs 'zz'" in human.stdout
    as_json = json.loads(runner.invoke(app, ["lint", "bad.yml", "--format", "json"]).stdout)
    assert as_json[0]["rule"] == "needs-undefined"
    assert {"rule", "severity", "message", "file", "job", "line"} <= set(as_json[0])
    quality = json.loads(runner.invoke(app, ["lint", "bad.yml", "--format", "codequality"]).stdout)
    assert quality[0]["check_name"] == "needs-undefined"
    assert quality[0]["severity"] == "major"
    assert quality[0]["location"] == {"path": "bad.yml", "lines": {"begin": 3}}
    digest, occurrence = quality[0]["fingerprint"].split(":")
    assert (len(digest), occurrence) == (40, "1")
    assert runner.invoke(app, ["lint", "warn.yml"]).exit_code == 0
    assert runner.invoke(app, ["lint", "warn.yml", "--strict"]).exit_code == 1
    assert runner.invoke(app, ["lint", "bad.yml", "--format", "xml"]).exit_code == 2
    assert runner.invoke(app, ["lint", "nope.yml"]).exit_code == 2


CONFIG = load_config(ROOT)

# Rules where gitlab-ci-local accepts what GitLab refuses; each is documented by a test below.
GITLAB_CI_LOCAL_DIFFERS = {"needs-cycle"}


def test_a_job_needing_itself_is_a_cycle_though_gitlab_ci_local_accepts_it(
    gitlab_ci_local: Path, tmp_path: Path
) -> None:
    """GitLab refuses a job that needs itself ("The pipeline has circular dependencies",
    https://gitlab.com/gitlab-org/gitlab/-/merge_requests/134673); gitlab-ci-local 4.73.0 lists
    the pipeline. We follow GitLab."""
    text = "job:\n  script: x\n  needs: [job]\n"
    assert rules_of(text) == {"needs-cycle"}
    assert gitlab_ci_local_accepts(gitlab_ci_local, tmp_path, text)


@pytest.mark.parametrize("module", [m.stem for m in discover(CONFIG)])
def test_every_pipeline_we_ship_is_lint_clean(module: str) -> None:
    """Our compiled pipelines have no finding at all, but that the folders their
    rules:changes name (frontend/, libs/core/...) are not in this repository: the examples are
    pipelines of users' projects (pyproject.toml ignores the rule for this repository)."""
    target = compile_module(ROOT / "pipelines" / f"{module}.py", CONFIG)
    found = lint_texts(
        {target.output.name: target.text},
        root=ROOT,
        ignore=CONFIG.lint_ignore,
        scripts=ShellCheck(),
    ).findings
    assert CONFIG.lint_ignore == ("changes-match-nothing",)
    assert found == []


def test_corpus_errors_are_errors_for_gitlabs_schema_or_gitlab_ci_local(
    corpus: list[Path], gitlab_ci_local: Path, tmp_path: Path
) -> None:
    """On the shared corpus, a file gets an error finding only if GitLab's schema (through the
    jsonschema library) or gitlab-ci-local rejects it: files both accept lint without errors."""
    from gitlab_schema import schema_errors

    flagged = {}
    for path in corpus:
        findings = lint_text(path.read_text(encoding="utf-8"), path.name)
        errors = [
            f for f in findings if f.severity == "error" and f.rule not in GITLAB_CI_LOCAL_DIFFERS
        ]
        if errors:
            flagged[path] = errors
    assert flagged  # the corpus has broken fragments: the linter must see some
    accepted_by_both = []
    for path, errors in flagged.items():
        text = path.read_text(encoding="utf-8")
        if schema_errors(text):
            continue
        if gitlab_ci_local_accepts(gitlab_ci_local, tmp_path / path.stem, text):
            accepted_by_both.append((path.name, [e.human() for e in errors]))
    assert accepted_by_both == []


def test_lint_the_whole_corpus_in_one_process(corpus: list[Path]) -> None:
    """The CLI lints every corpus file in one run and reports each file's problems."""
    result = CliRunner().invoke(app, ["lint", *map(str, corpus), "--format", "json"])
    findings = json.loads(result.stdout)
    assert {Path(f["file"]).name for f in findings} <= {p.name for p in corpus}
    assert result.exit_code == (1 if any(f["severity"] == "error" for f in findings) else 0)


def test_gitlab_ci_local_rejects_what_we_call_undefined(
    gitlab_ci_local: Path, tmp_path: Path
) -> None:
    """Cross-check of the semantic rules with an independent implementation: gitlab-ci-local
    refuses each semantic fixture that we report as an error (and accepts each near miss)."""
    if shutil.which("rsync") is None:
        pytest.skip("gitlab-ci-local needs rsync")
    for rule in ("undefined-stage", "needs-undefined", "extends-undefined", "job-without-script"):
        bad, near_miss = FIXTURES[rule]
        for text, accepted in ((bad, False), (near_miss, True)):
            where = tmp_path / f"{rule}-{accepted}"
            assert gitlab_ci_local_accepts(gitlab_ci_local, where, text) is accepted, (rule, text)


def _inside_an_idiom(data: Any, path: Sequence[Any]) -> bool:
    """Whether the node at ``path`` is, or lies inside, a value GitLab rewrites before it
    validates: a ``!reference``, a ``null`` (a key dropped from ``extends``) or an input."""
    node = data
    for step in [None, *path]:
        if step is not None:
            node = node[step]
        if isinstance(node, Tagged) or node is None:
            return True
        if isinstance(node, str) and "$[[" in node:
            return True
    return False


def test_schema_errors_we_do_not_report_are_gitlab_idioms(corpus: list[Path]) -> None:
    """Where the raw schema (jsonschema on the YAML as written) rejects a corpus file that lint
    accepts, every dropped error lies in an idiom GitLab resolves before validating:
    `!reference` tags (https://docs.gitlab.com/ci/yaml/yaml_optimization/#reference-tags),
    `key: null` removing a key inherited through `extends`
    (https://docs.gitlab.com/ci/yaml/#extends), and `$[[ inputs.x ]]` interpolation
    (https://docs.gitlab.com/ci/inputs/)."""
    from gitlab_schema import validator

    explained = 0
    for path in corpus:
        text = path.read_text(encoding="utf-8")
        if any(f.rule in ("schema", "yaml-syntax") for f in lint_text(text, path.name)):
            continue
        for document in load(text):
            data = _as_json(document.data)
            for error in validator().iter_errors(data):
                assert _inside_an_idiom(document.data, list(error.absolute_path)), (
                    path.name,
                    error.message,
                )
                explained += 1
    assert explained > 0  # the corpus uses these idioms: the test has teeth


def test_a_missing_local_include_is_reported_once(tmp_path: Path) -> None:
    """The names the missing file would define are not reported one by one as well."""
    text = "include: [{local: missing.yml}]\njob:\n  extends: .base\n  needs: [build]\n"
    found = rules_of(text, root=tmp_path)
    assert "include-local-missing" in found
    assert not found & {"extends-undefined", "needs-undefined", "job-without-script"}


def test_every_finding_has_a_line_and_a_column(corpus: list[Path]) -> None:
    """A line inside a block scalar points at its first character; a job named by an input
    (`$[[ inputs.job_name ]]:`) keeps its position under the name it gets. Over the corpus,
    no finding lacks either."""
    text = (
        "spec:\n  inputs:\n    job_name: {default: scan}\n---\n"
        "$[[ inputs.job_name ]]:\n  script:\n    - |\n      echo hi\n"
        "      docker login -p $CI_REGISTRY_PASSWORD\n  allow_failure: true\n"
        "  artifacts: {reports: {sast: gl-sast-report.json}}\n"
    )
    placed = {f.rule: (f.line, f.column) for f in lint_text(text, "ci.yml")}
    assert placed["secret-on-command-line"] == (9, 7)
    assert placed["scan-allow-failure"] == (10, 3)
    for path in corpus:
        for finding in lint_text(path.read_text(encoding="utf-8"), path.name, root=path.parent):
            assert finding.line is not None, (path.name, finding)
            assert finding.column is not None, (path.name, finding)


def test_a_part_of_the_pipeline_is_linted_as_compile_checks_it(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module with Pipeline(included=True) (a stage its includer defines) compiles; lint of
    the project then agrees, since the file it wrote is included by the main file: both check
    a part with the file that includes it. Alone, it is still reported."""
    from typer.testing import CliRunner

    from gitlabci_dsl.cli import app

    (project / "pipelines/main.py").write_text(
        "from gitlabci_dsl import Include, Job, Pipeline\n"
        "pipeline = Pipeline(stages=['build', 'release'], include=[Include(local="
        "'.gitlab/ci/release.yml')], jobs=[Job('make', stage='build', script=['make'])])\n",
        encoding="utf-8",
    )
    (project / "pipelines/release.py").write_text(
        "from gitlabci_dsl import Job, Pipeline\n"
        "pipeline = Pipeline(included=True, jobs=[Job('publish', stage='release', "
        "needs=['make'], script=['publish'])])\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    assert runner.invoke(app, ["compile"]).exit_code == 0
    linted = runner.invoke(app, ["lint"])
    assert linted.exit_code == 0, linted.stdout
    alone = runner.invoke(app, ["lint", ".gitlab/ci/release.yml"])
    assert alone.exit_code == 1
    assert "undefined-stage" in alone.stdout
    # Found by the include, a module without included=True compiles too, as lint reads it.
    release = project / "pipelines/release.py"
    release.write_text(release.read_text(encoding="utf-8").replace("included=True, ", ""))
    (project / ".gitlab/ci/release.yml").write_text("# stale\n", encoding="utf-8")
    assert runner.invoke(app, ["compile"]).exit_code == 0


def test_changes_paths_are_checked_against_a_repository_only(tmp_path: Path) -> None:
    """A folder that is not a git work tree (a corpus, a download) holds none of the files a
    pipeline's rules name: no changes-match-nothing there."""
    bad = FIXTURES["changes-match-nothing"][0]
    assert "changes-match-nothing" not in rules_of(bad, tmp_path)
