"""The pytest plugin, as a user meets it: installed, found through its entry point, used from
the user's own test files (run by pytester in a fresh pytest process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitlabci_dsl.pytest_plugin import compile_path

PIPELINE = """\
from gitlabci_dsl import Job, Pipeline, Stage

build = Stage("build")
pipeline = Pipeline(stages=[build], jobs=[Job("make", stage=build, script=["make"])])
"""

USER_TESTS = """\
from gitlabci_dsl.pytest_plugin import assert_clean


def test_main_pipeline(gitlabci_compile, gitlabci_snapshot):
    assert gitlabci_compile("pipelines/main.py") == gitlabci_snapshot


def test_main_pipeline_is_clean():
    assert_clean("pipelines/main.py")
"""


@pytest.fixture
def user_project(pytester: pytest.Pytester) -> Path:
    path = pytester.path
    (path / "pyproject.toml").write_text('[project]\nname = "demo"\n', encoding="utf-8")
    (path / "pipelines").mkdir()
    (path / "pipelines/main.py").write_text(PIPELINE, encoding="utf-8")
    (path / "tests").mkdir()
    (path / "tests/test_ci.py").write_text(USER_TESTS, encoding="utf-8")
    return path


def test_snapshot_records_then_guards_the_compiled_bytes(
    pytester: pytest.Pytester, user_project: Path
) -> None:
    """--snapshot-update writes a readable .yml holding exactly what compile writes; the next
    run passes; a change to the pipeline fails the snapshot test."""
    pytester.runpytest_subprocess("--snapshot-update").assert_outcomes(passed=2)
    (snapshot,) = (user_project / "tests/__snapshots__/test_ci").glob("*.yml")
    assert snapshot.name == "test_main_pipeline.yml"
    assert snapshot.read_text(encoding="utf-8") == compile_path("pipelines/main.py", user_project)
    pytester.runpytest_subprocess().assert_outcomes(passed=2)
    main = user_project / "pipelines/main.py"
    main.write_text(PIPELINE.replace('["make"]', '["make all"]'), encoding="utf-8")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*test_main_pipeline*", "*make all*"])


def test_assert_clean_names_each_finding(pytester: pytest.Pytester, user_project: Path) -> None:
    """assert_clean fails on a pipeline lint warns about, naming the module's line that wrote
    the job, the rule, and the line and column of the YAML file it compiles to."""
    insecure = PIPELINE.replace('["make"]', '["docker login -p $CI_REGISTRY_PASSWORD"]')
    (user_project / "pipelines/main.py").write_text(insecure, encoding="utf-8")
    line = next(n for n, text in enumerate(insecure.splitlines(), 1) if "docker login" in text)
    result = pytester.runpytest_subprocess("-k", "clean")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*pipelines/main.py (.gitlab-ci.yml) is not clean:*",
            f"*pipelines/main.py:{line}: warning?secret-on-command-line? *(generated "
            ".gitlab-ci.yml:7:5)",
        ]
    )


def test_compile_fixture_refuses_what_gitlab_refuses(
    pytester: pytest.Pytester, user_project: Path
) -> None:
    """gitlabci_compile runs compile's checks: a job in an unknown stage fails the test."""
    broken = PIPELINE.replace('stage=build, script=["make"]', 'stage="nope", script=["make"]')
    (user_project / "pipelines/main.py").write_text(broken, encoding="utf-8")
    result = pytester.runpytest_subprocess("-k", "test_main_pipeline and not clean")
    result.assert_outcomes(errors=0, failed=1)
    result.stdout.fnmatch_lines(["*stage 'nope' is not in stages (.pre, build, .post)*"])


def test_compile_refuses_two_modules_writing_one_file_as_compile_does(
    pytester: pytest.Pytester, user_project: Path
) -> None:
    """The fixture builds the module with the project's others: when another module writes
    the same file, it fails with compile's message instead of passing a test of a file that
    compile would refuse to write; a module outside the pipelines folder is built with them."""
    other = PIPELINE + 'output = ".gitlab-ci.yml"\n'
    (user_project / "extra.py").write_text(other, encoding="utf-8")
    (user_project / "tests/test_ci.py").write_text(
        "import pytest\n\n\n"
        "def test_alone(gitlabci_compile):\n"
        "    assert 'make' in gitlabci_compile('pipelines/main.py')\n\n\n"
        "def test_with_another_writing_the_same_file(gitlabci_compile):\n"
        "    with pytest.raises(pytest.fail.Exception, match=r'both write \\.gitlab-ci\\.yml'):\n"
        "        gitlabci_compile('extra.py')\n",
        encoding="utf-8",
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=2)
    (user_project / "pipelines/other.py").write_text(other, encoding="utf-8")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*pipelines/other.py and pipelines/main.py both write*"])
    assert "project.py" not in result.stdout.str()  # compile's message, not our traceback
