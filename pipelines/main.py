"""This repository's own GitLab CI pipeline, written with gitlabci-dsl.

Compiled to ``.gitlab-ci.yml`` by ``gitlabci-dsl compile``.
"""

from gitlabci_dsl import (
    Artifacts,
    Cache,
    CacheKey,
    Default,
    Job,
    Parallel,
    Pipeline,
    Reports,
    Rule,
    Stage,
    Workflow,
    ci,
)

check = Stage("check")
test = Stage("test")

# Images are pinned to a patch release; bump them deliberately.
PYTHON_VERSIONS = ["3.11.14", "3.12.12", "3.13.9"]
PYTHON_IMAGE = "python:3.12.12-slim"

# Branch and tag pipelines. Merge request pipelines would create no job here: a job without
# rules or only/except runs in branch and tag pipelines only (`gitlabci-dsl explain --on mr`
# showed it), so the workflow that preferred them left branches with an open MR untested.
workflow = Workflow(rules=[Rule(if_=ci.COMMIT_BRANCH), Rule(if_=ci.COMMIT_TAG)])

default = Default(
    image=PYTHON_IMAGE,
    interruptible=True,
    cache=Cache(key=CacheKey(files=["pyproject.toml"], prefix="pip"), paths=[".cache/pip"]),
    before_script=['python -m pip install -e ".[test]"'],  # ruff, mypy and stubs too
)

lint = Job("lint", stage=check, script=["ruff check .", "ruff format --check ."])

typecheck = Job("typecheck", stage=check, script=["mypy --strict"])

generated_yaml = Job(
    "generated-yaml",
    stage=check,
    script=["gitlabci-dsl compile --check"],
)

# Lint the generated YAML (GitLab's schema, pipeline checks, security practice) and show the
# findings in merge requests through GitLab's Code Quality report.
lint_ci = Job(
    "lint-ci",
    stage=check,
    script=["gitlabci-dsl lint --strict --format codequality > gl-code-quality-report.json"],
    artifacts=Artifacts(
        when="always",
        expire_in="1 week",
        reports=Reports(codequality="gl-code-quality-report.json"),
    ),
)

tests = Job(
    "tests",
    stage=test,
    image="python:${PYTHON_VERSION}-slim",
    needs=[lint],
    parallel=Parallel(matrix=[{"PYTHON_VERSION": PYTHON_VERSIONS}]),
    script=["python -m pytest --junitxml=report.xml"],
    artifacts=Artifacts(when="always", expire_in="1 week", reports=Reports(junit="report.xml")),
)

pipeline = Pipeline(
    stages=[check, test],
    variables={"PIP_CACHE_DIR": f"{ci.PROJECT_DIR}/.cache/pip"},
    workflow=workflow,
    default=default,
    jobs=[lint, typecheck, generated_yaml, lint_ci, tests],
)
