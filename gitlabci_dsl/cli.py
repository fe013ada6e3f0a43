"""The ``gitlabci-dsl`` command line.

Exit codes: 0 success; 1 a pipeline is invalid or (with ``--check``) a generated file is stale;
2 usage error (unknown option, a path that does not exist).
"""

# No ``from __future__ import annotations`` here: typer reads the command signatures at every
# start, and string annotations would make it eval() each one (measurably slower start-up).
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from . import __version__

if TYPE_CHECKING:
    from .evaluate.pipeline import Plan
    from .project import Target


def make_app(only: str | None = None) -> typer.Typer:
    """The typer app, with every command or only ``only``.

    typer turns every registered command's signature into click parameters on each start;
    the console script registers just the command it runs (see ``__main__``), which keeps
    ``gitlabci-dsl compile`` from paying for lint, explain and graph.
    """
    new = typer.Typer(
        name="gitlabci-dsl",
        help="GitLab CI pipelines as typed Python objects, compiled to .gitlab-ci.yml.",
        add_completion=True,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    new.callback()(_root)
    for name, function in COMMANDS.items():
        if only is None or name == only:
            new.command(name)(function)
    return new


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gitlabci-dsl {__version__}")
        raise typer.Exit


def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="Print only errors, warnings and the output asked for (no 'written:' lines).",
        ),
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Also say what each step did, on standard error."),
    ] = False,
) -> None:
    """GitLab CI pipelines as typed Python objects, compiled to .gitlab-ci.yml.

    Colour is used only on a terminal, and never when NO_COLOR is set.
    """
    from .term import set_level

    if quiet and verbose:
        _fail("--quiet and --verbose cannot be used together", code=2)
    set_level(quiet, verbose)


def compile_(  # noqa: PLR0917 - typer reads each parameter as an option
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Pipeline modules or folders of them. Default: the 'pipelines' folder set in "
            "[tool.gitlabci-dsl] of pyproject.toml (pipelines/ if unset).",
            show_default=False,
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Write nothing; exit 1 and name every stale or missing file."),
    ] = False,
    diff: Annotated[
        bool,
        typer.Option("--diff", help="Write nothing; print a unified diff of what would change."),
    ] = False,
    stdout: Annotated[
        bool,
        typer.Option("--stdout", help="Write nothing; print the generated YAML instead."),
    ] = False,
    fail_on_write: Annotated[
        bool,
        typer.Option(
            "--fail-on-write",
            help="Exit 1 when a file was written (created or changed), as a pre-commit hook "
            "must: pre-commit does not see a new, untracked file.",
        ),
    ] = False,
    no_validate: Annotated[
        bool,
        typer.Option(
            "--no-validate",
            help="Skip GitLab's schema (the checks GitLab runs when it creates a pipeline "
            "always run).",
        ),
    ] = False,
) -> None:
    """Compile pipeline modules to YAML: pipelines/main.py -> .gitlab-ci.yml,
    pipelines/NAME.py -> .gitlab/ci/NAME.yml (a module-level 'output' or
    [tool.gitlabci-dsl.outputs] overrides). Each module defines a module-level 'pipeline'.

    Pipeline modules are code: compile imports and runs them, with --check, --diff and
    --stdout too. YAML that would be written or printed is checked against GitLab's schema
    (unless --no-validate) and the checks GitLab runs when it creates a pipeline; an output
    equal to its file on disk was checked when it was written. Outputs must be .yml files
    inside the project (not in .git/). If any module fails, nothing is written. Exit 0 on
    success, 1 when a pipeline is invalid, a file is stale (--check) or was written
    (--fail-on-write), 2 on usage errors.
    """
    from .errors import GitlabCIDSLError
    from .project import (
        check_output,
        compile_module,
        current_text,
        discover,
        display_path,
        find_root,
        load_config,
        write_all,
    )

    missing = [str(path) for path in paths or () if not path.exists()]
    if missing:
        _fail(f"no such file or folder: {', '.join(missing)}", code=2)
    try:
        config = load_config(find_root(Path.cwd()))
        modules = discover(config, paths or ())
        if not modules:
            _fail(f"no pipeline modules found in {config.pipelines}/")
        targets: list[Target] = []
        errors: list[str] = []
        for module in modules:
            try:
                targets.append(compile_module(module, config))
            except GitlabCIDSLError as exc:
                errors.append(str(exc))
        if errors:
            _fail("\n".join(errors))
        _check_unique(targets, config.root)
        current = {id(target): current_text(target.output) for target in targets}
        # An output whose bytes equal the file on disk is what an earlier compile checked and
        # wrote; only the text that would be written or printed is checked again.
        fresh = [t for t in targets if stdout or current[id(t)] != t.text]
        check_output(fresh, config.root, schema=not no_validate, ignore=config.lint_ignore)
    except GitlabCIDSLError as exc:
        _fail(str(exc))

    from .term import detail, info, paint, safe

    for target in targets:
        detail(
            f"{display_path(target.module, config.root)} -> "
            f"{display_path(target.output, config.root)}: {target.text.count(chr(10))} lines"
            + ("" if no_validate else ", GitLab's schema and pipeline checks passed")
        )
    if stdout:
        for target in targets:
            sys.stdout.write(target.text)
        return
    stale: list[tuple[Target, str | None]] = []
    for target in targets:
        old = current[id(target)]
        if old != target.text:
            stale.append((target, old))
    if diff:
        _print_diff(stale, config.root)
    if check or diff:
        stream = sys.stderr if check else sys.stdout
        for target, old in stale:
            state = "missing" if old is None else "stale"
            where = display_path(target.output, config.root)
            stream.write(f"{paint(state + ':', 'yellow', stream)} {safe(where)}\n")
        if check and stale:
            typer.echo("run 'gitlabci-dsl compile' to regenerate", err=True)
            raise typer.Exit(1)
        if check:
            info(f"{len(targets)} file(s)", "up to date", "bold")
        return
    try:
        write_all([target for target, _ in stale], leftovers_of=targets)
    except GitlabCIDSLError as exc:
        _fail(str(exc))
    changed = {id(t) for t, _ in stale}
    for target in targets:
        where = display_path(target.output, config.root)
        if id(target) in changed:
            info("written:", where)
        else:
            info("unchanged:", where, "bold")
    if fail_on_write and stale:
        typer.echo(f"{len(stale)} file(s) written: review and stage them", err=True)
        raise typer.Exit(1)


def lint(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="GitLab CI YAML files, or folders of them (*.yml, *.yaml, searched recursively). "
            "Default: .gitlab-ci.yml and .gitlab/ci/ of the project.",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="human (file:line:column: severity[rule] message), json, or codequality "
            "(GitLab's Code Quality report).",
        ),
    ] = "human",
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 on warnings too.")] = False,
) -> None:
    """Lint GitLab CI YAML, generated or hand-written: GitLab's schema, the checks GitLab runs
    when it creates a pipeline (stages, needs, extends, !reference, includes...), duplicate
    keys, and security practice (secrets on command lines or echoed, unpinned images, dind
    without TLS, only/except, scans allowed to fail, curl | sh, deprecated keywords). Errors
    are what GitLab refuses; warnings what it accepts but should not. Silence a finding with '# gitlabci-dsl: ignore[RULE]' on its line, or for the whole
    project with ignore = [...] in [tool.gitlabci-dsl.lint].

    Exit 0 when there is no error (with --strict: no warning either), 1 otherwise, 2 on usage
    errors.
    """
    from .errors import GitlabCIDSLError
    from .lint import RULES, lint_text
    from .lint.report import render
    from .project import display_path, find_root, load_config

    if output_format not in ("human", "json", "codequality"):
        _fail(f"--format {output_format!r}: use human, json or codequality", code=2)
    missing = [str(path) for path in paths or () if not path.exists()]
    if missing:
        _fail(f"no such file or folder: {', '.join(missing)}", code=2)
    try:
        config = load_config(find_root(Path.cwd()))
    except GitlabCIDSLError as exc:
        _fail(str(exc))
    unknown = sorted(set(config.lint_ignore) - set(RULES))
    if unknown:
        _fail(
            f"pyproject.toml: [tool.gitlabci-dsl.lint] ignore: unknown rule(s) "
            f"{', '.join(unknown)}; known rules: {', '.join(sorted(RULES))}"
        )
    files = _yaml_files(paths or (), config.root)
    if not files:
        _fail("no GitLab CI YAML found: give files or folders to lint", code=2)
    from .gitlab.paths import read_file

    findings = []
    for file in files:
        try:
            text = read_file(file, display_path(file, config.root))
        except GitlabCIDSLError as exc:
            _fail(str(exc))
        findings += lint_text(
            text, display_path(file, config.root), root=config.root, ignore=config.lint_ignore
        )
    from .term import detail, paint_findings

    detail(
        f"checked {len(files)} file(s): {', '.join(display_path(f, config.root) for f in files)}"
    )
    report = render(findings, output_format, len(files))
    sys.stdout.write(paint_findings(report, sys.stdout) if output_format == "human" else report)
    failing = {"error", "warning"} if strict else {"error"}
    if any(f.severity in failing for f in findings):
        raise typer.Exit(1)


def _yaml_files(paths: "list[Path] | tuple[()]", root: Path) -> list[Path]:
    if not paths:
        defaults = [root / ".gitlab-ci.yml", *sorted((root / ".gitlab" / "ci").glob("*.yml"))]
        return [p for p in defaults if p.is_file()]
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(_yaml_in(path))
        else:
            files.append(path)  # named on the command line: read_file says if it is not one
    return [f.resolve() for f in files]


def _yaml_in(folder: Path) -> list[Path]:
    """The regular ``*.yml``/``*.yaml`` files under ``folder``, links and ``.git`` left out: a
    link may lead out of the project, or to a FIFO or device; name it to lint it."""
    import os

    found = []
    for parent, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if d != ".git" and not Path(parent, d).is_symlink()]
        for name in names:
            path = Path(parent, name)
            if path.suffix in (".yml", ".yaml") and not path.is_symlink() and path.is_file():
                found.append(path)
    return sorted(found)


def explain(
    target: Annotated[
        Path | None,
        typer.Argument(
            help="A GitLab CI YAML file, or a pipeline module (pipelines/NAME.py) to compile "
            "first. Default: the project's .gitlab-ci.yml.",
            show_default=False,
        ),
    ] = None,
    on: Annotated[
        str,
        typer.Option(
            "--on",
            help="The kind of pipeline: branch:NAME, tag:NAME, mr (or mr:BRANCH), schedule. "
            "Sets the variables GitLab sets for it.",
        ),
    ] = "branch:main",
    var: Annotated[
        list[str] | None,
        typer.Option("--var", help="KEY=VALUE, more or overriding variables (repeatable)."),
    ] = None,
    changed: Annotated[
        list[str] | None,
        typer.Option(
            "--changed",
            help="A changed file, for rules:changes (repeatable). Without any, rules:changes "
            "is true, as in pipelines GitLab has no diff for.",
        ),
    ] = None,
    output_format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Show which jobs GitLab would create, statically: workflow:rules, each job's rules (if,
    changes, exists, when, allow_failure) or only/except, for the variables of --on and --var.
    The default branch is main unless --var CI_DEFAULT_BRANCH=... A YAML file is only read;
    a pipeline module is code, and is run to compile it.
    """
    import json

    from .term import safe

    if output_format not in ("text", "json"):
        _fail(f"--format {output_format!r}: use text or json", code=2)
    result = _plan(target, on, var, changed)
    if output_format == "json":
        listed = [
            {
                "name": j.name,
                "stage": j.stage,
                "when": j.when,
                "allow_failure": j.allow_failure,
                "needs": list(j.needs),
            }
            for j in result.jobs
        ]
        typer.echo(json.dumps({"pipeline": result.pipeline, "jobs": listed}, indent=2))
        return
    lines = [f"{on}: {'pipeline created' if result.pipeline else 'no pipeline'}"]
    for stage in result.stages:
        jobs = [j for j in result.jobs if j.stage == stage]
        if jobs:
            lines.append(f"stage {stage}:")
        for j in jobs:
            extra = " (may fail)" if j.allow_failure else ""
            needs = f", needs {', '.join(j.needs)}" if j.needs else ""
            lines.append(f"  {j.name}: {j.when}{extra}{needs}")
            lines += [f"    pushes {image}" for image in j.pushes]
    lines += [f"note: {note}" for note in result.notes]
    typer.echo(safe("\n".join(lines)))


def graph(
    target: Annotated[
        Path | None,
        typer.Argument(
            help="A GitLab CI YAML file, or a pipeline module (pipelines/NAME.py). Default: "
            "the project's .gitlab-ci.yml.",
            show_default=False,
        ),
    ] = None,
    on: Annotated[
        str | None,
        typer.Option(
            "--on",
            help="Only the jobs of this kind of pipeline (branch:NAME, tag:NAME, mr, schedule). "
            "Default: every job.",
            show_default=False,
        ),
    ] = None,
    var: Annotated[
        list[str] | None,
        typer.Option(
            "--var", help="KEY=VALUE for the rules (repeatable); implies --on branch:main."
        ),
    ] = None,
    output_format: Annotated[str, typer.Option("--format", help="mermaid or dot.")] = "mermaid",
) -> None:
    """Draw the stages and needs of a pipeline as a Mermaid flowchart or Graphviz DOT: all
    jobs, or with --on/--var only those GitLab would create. A YAML file is only read; a
    pipeline module is code, and is run to compile it."""
    from .evaluate.graph import dot, mermaid
    from .term import safe

    if output_format not in ("mermaid", "dot"):
        _fail(f"--format {output_format!r}: use mermaid or dot", code=2)
    every = on is None and not var
    result = _plan(target, on or "branch:main", var, None, every_job=every)
    typer.echo(safe(mermaid(result) if output_format == "mermaid" else dot(result)), nl=False)


def import_(
    file: Annotated[
        Path,
        typer.Argument(
            help="The GitLab CI YAML file to import.", show_default=False, metavar="FILE.yml"
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Write the module here (e.g. pipelines/main.py) instead of printing it. An "
            "existing file is left alone unless --force.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the --output file if it exists.")
    ] = False,
    allow_duplicates: Annotated[
        bool,
        typer.Option(
            "--allow-duplicates",
            help="Import a file with a key written twice in one mapping the way GitLab reads "
            "it (the last one wins) instead of refusing it.",
        ),
    ] = False,
) -> None:
    """Turn a GitLab CI YAML file into a pipeline module that compiles back to the same YAML.

    Stages become Stage objects, jobs Job objects that refer to each other, hidden templates
    stay templates, !reference stays a Reference, and jobs that a building block writes become
    that block. Anything the typed model cannot say exactly is kept in 'extra' (unknown keys
    with a warning). The import runs the module it wrote and fails rather than return one
    whose YAML differs from the input. With -o, the module compiles to FILE: when FILE is not
    where 'gitlabci-dsl compile' would write, the module sets 'output'; a FILE outside the
    project compiles to the module's own output in the project instead. Exit 0 on success,
    1 when the file cannot be imported, 2 on usage errors.
    """
    from .errors import GitlabCIDSLError
    from .gitlab.paths import read_file
    from .importer import import_yaml
    from .project import display_path, find_root, load_config, output_path

    if not file.exists():
        _fail(f"no such file: {file}", code=2)
    try:
        config = load_config(find_root(Path.cwd()))
        source = display_path(file.resolve(), config.root)
        compiles_to = None
        if output is not None:
            if output.suffix != ".py":
                _fail(f"{output}: the module's name must end in .py", code=2)
            if output.exists() and not force:
                _fail(f"{output}: already exists; pass --force to overwrite it")
            inside = file.resolve().is_relative_to(config.root)
            # A file of the project compiles back to where it is; a file from elsewhere to
            # the module's own output in this project: compile never writes outside it.
            if inside and output_path(output.resolve(), config) != file.resolve():
                compiles_to = source
        text = read_file(file, source)
        imported = import_yaml(
            text, source=source, output=compiles_to, allow_duplicates=allow_duplicates
        )
    except GitlabCIDSLError as exc:
        _fail(str(exc))
    from .term import detail, info, paint, safe

    for warning in imported.warnings:
        sys.stderr.write(f"{paint('warning:', 'yellow', sys.stderr)} {safe(warning)}\n")
    detail(
        f"{source}: {imported.code.count(chr(10))} lines of Python; the module compiles back "
        "to the same YAML"
    )
    if output is None:
        sys.stdout.write(imported.code)
        return
    from .project import Target, write_all

    try:
        write_all([Target(module=output, output=output.resolve(), text=imported.code)])
    except GitlabCIDSLError as exc:
        _fail(str(exc))
    info("written:", str(output))


def init() -> None:
    """Start a project: pipelines/main.py (DockerBuild, TrivyScan and a deploy that needs a
    clean scan), tests/test_pipelines.py (a snapshot of the generated YAML and a lint check,
    with gitlabci-dsl's pytest plugin) and a .pre-commit-config.yaml whose hook regenerates
    the YAML on every commit.

    Never overwrites: if the pipeline or the test exists, nothing is written; an existing
    .pre-commit-config.yaml is left alone and the entry to add is printed. A hand-written
    .gitlab-ci.yml is refused too: 'gitlabci-dsl import' starts from it. Exit 0 on success,
    1 when it refuses.
    """
    from .errors import GitlabCIDSLError
    from .project import Target, display_path, find_root, load_config, write_all
    from .scaffold import PRE_COMMIT_ENTRY, plan
    from .term import info

    config = load_config(find_root(Path.cwd()))
    root = config.root
    chosen = plan(root, config.pipelines)
    if chosen.refusal is not None:
        _fail(chosen.refusal)
    try:
        write_all(
            [Target(module=path, output=path, text=text) for path, text in chosen.write.items()]
        )
    except GitlabCIDSLError as exc:
        _fail(str(exc))
    for path in chosen.write:
        info("written:", display_path(path, root))
    for path in chosen.kept:
        typer.echo(
            f"kept: {display_path(path, root)} exists; add this under its repos:\n"
            f"{PRE_COMMIT_ENTRY}",
            err=True,
        )
    info(
        "next:",
        "gitlabci-dsl compile (writes .gitlab-ci.yml), then pytest --snapshot-update, "
        "then pre-commit install",
        "bold",
    )


def _plan(
    target: Path | None,
    on: str,
    var: list[str] | None,
    changed: list[str] | None,
    *,
    every_job: bool = False,
) -> "Plan":
    """The plan of ``target`` for explain and graph; usage errors exit 2."""
    from .errors import GitlabCIDSLError
    from .evaluate.pipeline import plan, preset
    from .gitlab.expand import ConfigTooBigError
    from .gitlab.paths import read_file
    from .gitlab.reader import YamlSyntaxError
    from .project import compile_module, display_path, find_root, load_config

    overrides = {}
    for item in var or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            _fail(f"--var {item!r}: write KEY=VALUE", code=2)
        overrides[key] = value
    try:
        variables = {**preset(on, overrides.get("CI_DEFAULT_BRANCH", "main")), **overrides}
    except ValueError as exc:
        _fail(str(exc), code=2)
    try:
        config = load_config(find_root(Path.cwd()))
        path = target or config.root / ".gitlab-ci.yml"
        if not path.exists():
            _fail(f"no such file: {path}", code=2)
        shown = display_path(path.resolve(), config.root)
        if path.suffix == ".py":
            text = compile_module(path.resolve(), config).text
        else:
            text = read_file(path, shown)
        try:
            return plan(text, variables, changed=changed, root=config.root, every_job=every_job)
        except YamlSyntaxError as exc:
            _fail(exc.located(shown))
        except ConfigTooBigError as exc:
            _fail(f"{shown}: {exc}")
    except GitlabCIDSLError as exc:
        _fail(str(exc))
    raise AssertionError  # _fail exits


def _check_unique(targets: "list[Target]", root: Path) -> None:
    from .errors import LoadError
    from .project import display_path

    seen: dict[Path, Path] = {}
    for target in targets:
        output, module = target.output, target.module
        if output in seen:
            raise LoadError(
                f"{display_path(module, root)} and {display_path(seen[output], root)} both write "
                f"{display_path(output, root)}; set a different module-level 'output' in one of them"
            )
        seen[output] = module


def _print_diff(stale: "list[tuple[Target, str | None]]", root: Path) -> None:
    import difflib

    from .project import display_path
    from .term import safe

    for target, old in stale:
        name = display_path(target.output, root)
        new = target.text
        sys.stdout.writelines(
            safe(line)
            for line in difflib.unified_diff(
                (old or "").splitlines(keepends=True),
                new.splitlines(keepends=True),
                fromfile=f"a/{name}",
                tofile=f"b/{name}",
            )
        )


def _fail(message: str, code: int = 1) -> None:
    from .term import paint, safe

    label = paint("error:", "red", sys.stderr)
    sys.stderr.write(f"{label} {safe(message)}".replace("\n", f"\n{label} ") + "\n")
    raise typer.Exit(code)


COMMANDS: dict[str, Callable[..., None]] = {
    "compile": compile_,
    "lint": lint,
    "explain": explain,
    "graph": graph,
    "import": import_,
    "init": init,
}
app = make_app()
