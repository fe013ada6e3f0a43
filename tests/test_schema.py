"""GitLab's official CI schema accepts what we generate (in process and through its CLI)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT
from gitlab_schema import schema_errors
from gitlabci_dsl.project import compile_module, discover, load_config


def test_schema_check_can_fail() -> None:
    """The in-process check really rejects what GitLab rejects (unknown key, bad enum)."""
    errors = schema_errors("job:\n  script: [make]\n  when: later\n  tgas: [docker]\n")
    assert any("later" in e for e in errors)
    assert any("tgas" in e for e in errors)


def test_check_jsonschema_cli_accepts_every_compiled_file(tmp_path: Path) -> None:
    """check-jsonschema's builtin vendor.gitlab-ci schema (GitLab's own) accepts our output."""
    config = load_config(ROOT)
    modules = discover(config) + discover(config, [ROOT / "docs" / "examples"])
    files = []
    for module in modules:
        # The CLI reads one document per file: a spec header and its body are checked apart.
        documents = compile_module(module, config).text.split("\n---\n")
        for number, document in enumerate(documents):
            target = tmp_path / f"{module.stem}.{number}.yml"
            target.write_text(document, encoding="utf-8")
            files.append(str(target))
    assert len(files) > len(modules)  # the every_keyword example has a spec header
    exe = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    result = subprocess.run(
        [
            exe,
            "--builtin-schema",
            "vendor.gitlab-ci",
            "--data-transform",
            "gitlab-ci",
            "--regex-variant",
            "nonunicode",
            *files,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout
