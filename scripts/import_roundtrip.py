"""Round-trip every GitLab CI YAML file of a folder through ``import`` and ``compile``.

    python scripts/import_roundtrip.py [FOLDER] [--json]

FOLDER defaults to ``$GITLABCI_DSL_CORPUS``. For each ``*.yml``/``*.yaml`` file (recursively):

1. ``gitlabci-dsl import`` it (``--allow-duplicates``: GitLab's reading of a repeated key);
2. import it a second time: the module must be identical;
3. ``gitlabci-dsl compile`` the module in a scratch project (the real command, with its
   checks) and load the YAML it writes: it must equal the input after loading (anchors
   expanded, key order free, ``!reference`` compared as tags);
4. import that YAML: the module must be the same again.

Prints one line per file that fails, with the first difference, then the pass rate over all
files and over the files GitLab's schema accepts. Exit 1 if any file the schema accepts fails.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, NamedTuple


class Outcome(NamedTuple):
    file: str
    accepted: bool  # by GitLab's schema
    problem: str | None  # None: the round trip holds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default=os.environ.get("GITLABCI_DSL_CORPUS"))
    parser.add_argument("--json", action="store_true", help="print the outcomes as JSON")
    args = parser.parse_args(argv)
    if not args.folder:
        parser.error("give a folder or set GITLABCI_DSL_CORPUS")
    folder = Path(args.folder)
    if not folder.is_dir():
        parser.error(f"{folder}: not a folder")
    outcomes = roundtrip_folder(folder)
    if args.json:
        print(json.dumps([o._asdict() for o in outcomes], indent=1))
    else:
        print(summary(outcomes))
    return 1 if any(o.accepted and o.problem for o in outcomes) else 0


def roundtrip_folder(folder: Path) -> list[Outcome]:
    files = sorted(p for p in folder.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
    with tempfile.TemporaryDirectory(prefix="gitlabci-dsl-roundtrip-") as scratch:
        project = Path(scratch)
        (project / "pipelines").mkdir()
        # The files come without their repositories: what they include locally is not there.
        (project / "pyproject.toml").write_text(
            '[tool.gitlabci-dsl.lint]\nignore = ["include-local-missing"]\n', encoding="utf-8"
        )
        return [roundtrip(file, folder, project) for file in files]


def roundtrip(file: Path, folder: Path, project: Path) -> Outcome:
    from gitlabci_dsl.errors import GitlabCIDSLError
    from gitlabci_dsl.importer import import_yaml
    from gitlabci_dsl.lint import WHOLE_PIPELINE_RULES, lint_text

    name = file.relative_to(folder).as_posix()
    text = file.read_text(encoding="utf-8")
    # What GitLab accepts, as far as one file can tell: its schema and the checks GitLab runs
    # on a pipeline, leaving out those that need the files this one includes or is part of.
    accepted = not any(
        f.severity == "error" and f.rule not in WHOLE_PIPELINE_RULES
        for f in lint_text(text, name, practice=False, ignore=("include-local-missing",))
    )
    try:
        first = import_yaml(text, source=name, allow_duplicates=True).code
        if import_yaml(text, source=name, allow_duplicates=True).code != first:
            return Outcome(name, accepted, "importing twice gives different modules")
    except GitlabCIDSLError as exc:
        return Outcome(name, accepted, f"import: {exc}")
    compiled = compile_module(first, project)
    if compiled.startswith("error"):
        return Outcome(name, accepted, f"compile: {compiled}")
    problem = difference(text, compiled)
    if problem:
        return Outcome(name, accepted, f"compiled YAML differs: {problem}")
    try:
        again = import_yaml(compiled, source=name).code
    except GitlabCIDSLError as exc:
        return Outcome(name, accepted, f"import of the compiled YAML: {exc}")
    if again != first:
        return Outcome(name, accepted, "importing the compiled YAML gives a different module")
    return Outcome(name, accepted, None)


def compile_module(code: str, project: Path) -> str:
    """The YAML ``gitlabci-dsl compile --stdout`` writes for the module, or ``error: ...``."""
    from typer.testing import CliRunner

    from gitlabci_dsl.cli import make_app

    module = project / "pipelines" / "main.py"
    module.write_text(code, encoding="utf-8")
    here = Path.cwd()
    os.chdir(project)
    try:
        result = CliRunner().invoke(make_app("compile"), ["compile", "--stdout", str(module)])
    finally:
        os.chdir(here)
    if result.exit_code != 0:
        message = (result.stderr or result.stdout).strip().replace("\n", " | ")
        return message if message.startswith("error") else f"error: {message}"
    return result.stdout


def difference(want_text: str, got_text: str) -> str | None:
    from gitlabci_dsl.gitlab.reader import load
    from gitlabci_dsl.importer import first_difference

    want, got = _documents(load(want_text)), _documents(load(got_text))
    if len(want) != len(got):
        return f"{len(want)} documents in, {len(got)} out"
    for a, b in zip(want, got, strict=True):
        problem = first_difference(a, b)
        if problem:
            return problem
    return None


def _documents(documents: list[Any]) -> list[Any]:
    from gitlabci_dsl.importer import as_data

    return [as_data(d.data) for d in documents]


def summary(outcomes: list[Outcome]) -> str:
    lines = [f"FAIL {o.file}: {o.problem}" for o in outcomes if o.problem]
    passed = sum(o.problem is None for o in outcomes)
    accepted = [o for o in outcomes if o.accepted]
    accepted_passed = sum(o.problem is None for o in accepted)
    lines.append(
        f"{passed}/{len(outcomes)} files round-trip ({_percent(passed, len(outcomes))}); "
        f"{accepted_passed}/{len(accepted)} of those GitLab's schema accepts "
        f"({_percent(accepted_passed, len(accepted))})"
    )
    return "\n".join(lines)


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


if __name__ == "__main__":
    sys.exit(main())
