"""The ``gitlabci-dsl`` command line.

Exit codes: 0 success; 1 a pipeline is invalid or (with ``--check`` or ``--diff``) a generated
file is stale; 2 usage error (unknown option, a path that does not exist, nothing to work on).
"""

# No ``from __future__ import annotations`` here: typer reads the command signatures at every
# start, and string annotations would make it eval() each one (measurably slower start-up).
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import __version__

if TYPE_CHECKING:
    from .evaluate.pipeline import Plan


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
        typer.Option(
            "--diff",
            help="Write nothing; print a unified diff of what would change, and exit 1 when "
            "anything would (as --check does).",
        ),
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
    [tool.gitlabci-dsl.outputs] overrides). Each module defines a module-level 'pipeline';
    each Child(pipeline, file=...) a trigger includes is written to its file too.

    Pipeline modules are code: compile imports and runs them, with --check, --diff and
    --stdout too. YAML that would be written or printed is checked against GitLab's schema
    (unless --no-validate) and the checks GitLab runs when it creates a pipeline; an output
    equal to its file on disk was checked when it was written. Outputs must be .yml files
    inside the project (not in .git/). If any module fails, nothing is written. What a module
    prints goes to standard error. Exit 0 on success, 1 when a pipeline is invalid, a file is
    stale (--check, --diff) or was written (--fail-on-write), 2 on usage errors (no such path,
    no pipeline module found).
    """
    from . import project
    from .term import detail, info, paint, safe

    with _errors():
        config = project.load_config(project.find_root(Path.cwd()))
        made = project.build(config, paths or (), schema=not no_validate, printing=stdout)
    for target in made.targets:
        detail(
            f"{project.display_path(target.module, config.root)} -> "
            f"{project.display_path(target.output, config.root)}: "
            f"{target.text.count(chr(10))} lines"
            + ("" if no_validate else ", GitLab's schema and pipeline checks passed")
        )
    if stdout:
        for target in made.targets:
            if target.parent is None:  # a child pipeline is a file of its own, not printed
                sys.stdout.write(target.text)
        return
    if diff:
        sys.stdout.writelines(safe(line) for line in project.diff(made))
    if check or diff:
        stream = sys.stderr if check else sys.stdout
        for target, old in made.stale:
            state = "missing" if old is None else "stale"
            where = project.display_path(target.output, config.root)
            stream.write(f"{paint(state + ':', 'yellow', stream)} {safe(where)}\n")
        if made.stale:
            typer.echo("run 'gitlabci-dsl compile' to regenerate", err=True)
            raise typer.Exit(1)
        if check:
            info(f"{len(made.targets)} file(s)", "up to date", "bold")
        return
    with _errors():
        project.write(made)
    changed = {id(stale.target) for stale in made.stale}
    for target in made.targets:
        where = project.display_path(target.output, config.root)
        if id(target) in changed:
            info("written:", where)
        else:
            info("unchanged:", where, "bold")
    if fail_on_write and made.stale:
        typer.echo(f"{len(made.stale)} file(s) written: review and stage them", err=True)
        raise typer.Exit(1)


_TEMPLATES_HELP = (
    "A folder of GitLab's CI templates, read for include: template (a copy of GitLab's "
    "lib/gitlab/ci/templates, or a flat folder of files named ..lib__gitlab__ci__templates__"
    "Jobs__SAST.gitlab-ci.yml). Default: [tool.gitlabci-dsl] templates."
)
Templates = Annotated[
    Path | None,
    typer.Option("--templates", help=_TEMPLATES_HELP, show_default=False, metavar="DIR"),
]


def lint(  # noqa: PLR0917 - typer reads each parameter as an option
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="GitLab CI YAML files, or folders of them (*.yml, *.yaml, searched recursively), "
            "or pipeline modules (pipelines/NAME.py: compiled in memory, findings of their jobs "
            "at the module's lines). Default: .gitlab-ci.yml, .gitlab/ci/ and the CI/CD "
            "components in templates/ of the project.",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="human (file:line:column: severity[rule] message), json, codequality "
            "(GitLab's Code Quality report) or sarif (SARIF 2.1.0, for GitHub code scanning "
            "and security dashboards; findings silenced in the source are listed as "
            "suppressed, with their reasons).",
        ),
    ] = "human",
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 on warnings too.")] = False,
    templates: Templates = None,
    shellcheck: Annotated[
        bool,
        typer.Option(
            "--shellcheck/--no-shellcheck",
            help="Run ShellCheck on each job's scripts (as the runner runs them: extends, "
            "default and !reference applied), reported at the YAML lines that wrote them.",
        ),
    ] = True,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            help="Leave out the findings this baseline file lists (see --write-baseline); "
            "a finding is known by its rule, file, job, message and line text, not its line "
            "number, so edits elsewhere keep it known.",
            show_default=False,
            metavar="FILE",
        ),
    ] = None,
    write_baseline: Annotated[
        Path | None,
        typer.Option(
            "--write-baseline",
            help="Write every finding to this baseline file instead of reporting them, and exit 0.",
            show_default=False,
            metavar="FILE",
        ),
    ] = None,
) -> None:
    """Lint GitLab CI YAML, generated or hand-written: GitLab's schema, the checks GitLab runs
    when it creates a pipeline (stages, needs, extends, !reference, includes...), duplicate
    keys, security practice (secrets on command lines or echoed, unpinned images, dind
    without TLS, only/except, scans allowed to fail, curl | sh, script injection, deprecated
    keywords) and ShellCheck on the scripts. Errors are what GitLab refuses; warnings what it
    accepts but should not. Silence a finding with '# gitlabci-dsl: ignore[RULE] -- why' on
    its line (a ShellCheck code such as SC2086 for one of its findings), or for the whole
    project with ignore = [...] in [tool.gitlabci-dsl.lint].

    Exit 0 when there is no error (with --strict: no warning either), 1 otherwise, 2 on usage
    errors.
    """
    from . import project
    from .lint.baseline import known, read, write
    from .lint.report import FORMATS, render
    from .term import detail, paint_findings

    if output_format not in FORMATS:
        _fail(f"--format {output_format!r}: use {', '.join(FORMATS)}", code=2)
    with _errors():
        config = project.load_config(project.find_root(Path.cwd()))
        run = project.lint(config, paths or (), templates=templates, shellcheck=shellcheck)
        findings, shown_known = run.linted.findings, 0
        if write_baseline is not None:
            write(write_baseline, findings, run.texts)
            typer.echo(
                f"{len(findings)} finding(s) written to {write_baseline}: lint with "
                f"--baseline {write_baseline} to see only new ones",
                err=True,
            )
            return
        if baseline is not None:
            listed = known(findings, run.texts, read(baseline))
            shown_known = sum(listed)
            findings = [f for f, old in zip(findings, listed, strict=True) if not old]
    if run.processes is not None:
        detail(f"ShellCheck: {run.processes} process(es)")
    detail(f"checked {len(run.texts)} file(s): {', '.join(run.texts)}")
    report = render(
        findings,
        output_format,
        len(run.texts),
        texts=run.texts,
        suppressed=run.linted.suppressed,
        known=shown_known,
    )
    sys.stdout.write(paint_findings(report, sys.stdout) if output_format == "human" else report)
    failing = {"error", "warning"} if strict else {"error"}
    if any(f.severity in failing for f in findings):
        raise typer.Exit(1)


def explain(  # noqa: PLR0917 - typer reads each parameter as an option
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
            help="The kind of pipeline: branch:NAME, tag:NAME, mr (or mr:BRANCH), schedule, "
            "api, trigger or web (a run on the default branch, or api:BRANCH...). Sets the "
            "variables GitLab sets for it.",
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
    templates: Templates = None,
) -> None:
    """Show which jobs GitLab would create, statically: workflow:rules, each job's rules (if,
    changes, exists, when, allow_failure) or only/except, for the variables of --on and --var,
    and the child pipelines trigger jobs start, with the variables GitLab gives them.
    The default branch is main unless --var CI_DEFAULT_BRANCH=... A YAML file is only read;
    a pipeline module is code, and is run to compile it.
    """
    from .evaluate.report import as_json, as_text
    from .term import safe

    if output_format not in ("text", "json"):
        _fail(f"--format {output_format!r}: use text or json", code=2)
    result = _plan(target, on, var, changed, templates=templates)
    typer.echo(as_json(result) if output_format == "json" else safe(as_text(result, on)))


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
            help="Only the jobs of this kind of pipeline (branch:NAME, tag:NAME, mr, schedule, "
            "api, trigger, web). "
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
    templates: Templates = None,
) -> None:
    """Draw the stages and needs of a pipeline as a Mermaid flowchart or Graphviz DOT: all
    jobs, or with --on/--var only those GitLab would create. A YAML file is only read; a
    pipeline module is code, and is run to compile it."""
    from .evaluate.graph import dot, mermaid
    from .term import safe

    if output_format not in ("mermaid", "dot"):
        _fail(f"--format {output_format!r}: use mermaid or dot", code=2)
    every = on is None and not var
    result = _plan(target, on or "branch:main", var, None, every_job=every, templates=templates)
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
    templates: Templates = None,
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
    from . import project
    from .term import detail, info, paint, safe

    with _errors():
        config = project.load_config(project.find_root(Path.cwd()))
        imported, made = project.import_file(
            config,
            file,
            output,
            force=force,
            allow_duplicates=allow_duplicates,
            templates=templates,
        )
    for warning in imported.warnings:
        sys.stderr.write(f"{paint('warning:', 'yellow', sys.stderr)} {safe(warning)}\n")
    detail(
        f"{project.display_path(file.resolve(), config.root)}: "
        f"{imported.code.count(chr(10))} lines of Python; the module compiles back to the same YAML"
    )
    if made is None:
        sys.stdout.write(imported.code)
        return
    with _errors():
        project.write(made)
    info("written:", str(output))


def vendor(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="The pipeline files whose includes to vendor (as lint finds them). Default: "
            ".gitlab-ci.yml, .gitlab/ci/ and templates/ of the project.",
            show_default=False,
        ),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            help="The GitLab instance, https://gitlab.example.com. Default: $CI_SERVER_URL.",
            show_default=False,
        ),
    ] = None,
    project_path: Annotated[
        str | None,
        typer.Option(
            "--project",
            help="This project's path, for includes that name $CI_PROJECT_PATH. Default: "
            "$CI_PROJECT_PATH.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Copy the includes of other projects (project, component, template, remote) into the
    vendored folder ([tool.gitlabci-dsl] vendor, default .gitlab/vendor), each pinned to the
    commit its ref or version resolves to now, with a lock file (vendor.lock.json: the include,
    ref, SHA and digest of each). lint, explain, graph and compile then read them offline.
    Reads GitLab's REST API; the token comes from $GITLAB_TOKEN (or $CI_JOB_TOKEN in a job),
    never from the command line. This project's own components are not vendored: they are
    read from templates/. Files the previous lock listed that no include reads any more are
    removed. Exit 0 when every include was read, 1 otherwise (nothing written).
    """
    import os
    import urllib.parse

    from . import project
    from .gitlab.components import parse
    from .gitlab.paths import read_file
    from .term import info
    from .vendor import Api, token_from, write_folder
    from .vendor import vendor as read_all

    with _errors():
        config = project.load_config(project.find_root(Path.cwd()))
        server = url or os.environ.get("CI_SERVER_URL") or ""
        if not server:
            _fail("give the GitLab instance with --url https://gitlab.example.com", code=2)
        api = Api(server, token_from(os.environ))
        split = urllib.parse.urlsplit(server)
        variables = {
            "CI_SERVER_URL": server.rstrip("/"),
            "CI_SERVER_FQDN": split.netloc,
            "CI_SERVER_HOST": split.hostname or "",
        }
        path = project_path or os.environ.get("CI_PROJECT_PATH")
        if path:
            variables["CI_PROJECT_PATH"] = path
        folder = project.vendor_folder(config)
        files = project.yaml_files(paths or (), config.root)
        texts = [read_file(f, project.display_path(f, config.root)) for f in files]

        def own(include: Any) -> bool:
            address = parse(include.location) if include.kind == "component" else None
            return address is not None and address.this_project

        made = read_all(texts, api, variables, skip=own)
        written, removed = write_folder(config.root, folder, made)
    shown = project.display_path(folder, config.root)
    info(
        "vendored:",
        f"{len(made.locked)} include(s) into {shown}/ ({len(written)} file(s) changed, "
        f"{len(removed)} no longer included removed)",
    )


def init(
    component: Annotated[
        bool,
        typer.Option(
            "--component",
            help="Start a CI/CD component project instead: pipelines/components.py (a "
            "@component with typed inputs, compiled to templates/NAME.yml and listed in "
            "README.md) and a pipelines/main.py that includes it from this project at this "
            "commit to test it and publishes a release on tags, for the CI/CD catalog.",
        ),
    ] = False,
) -> None:
    """Start a project: pipelines/main.py (DockerBuild, TrivyScan and a deploy that needs a
    clean scan), tests/test_pipelines.py (a snapshot of the generated YAML and a lint check,
    with gitlabci-dsl's pytest plugin), a .pre-commit-config.yaml whose hook regenerates
    the YAML on every commit, and the [tool.gitlabci-dsl] table of pyproject.toml, which lets
    every command find the project from any of its folders. With --component, a CI/CD
    component project.

    Never overwrites: if the pipeline or the test exists, nothing is written; an existing
    .pre-commit-config.yaml is left alone and the entry to add is printed; the table is
    appended to an existing pyproject.toml that has none, the rest of it left as it is. A hand-written
    .gitlab-ci.yml is refused too: 'gitlabci-dsl import' starts from it. Exit 0 on success,
    1 when it refuses.
    """
    from . import project
    from .scaffold import PRE_COMMIT_ENTRY, plan
    from .term import info

    with _errors():
        config = project.load_config(project.find_root(Path.cwd()))
        root = config.root
        chosen = plan(root, config.pipelines, component=component)
        if chosen.refusal is not None:
            _fail(chosen.refusal)
        made = [project.Target(module=p, output=p, text=text) for p, text in chosen.write.items()]
        existed = {path for path in chosen.write if path.exists()}
        project.write(project.files(root, made))
    for path in chosen.write:
        info("updated:" if path in existed else "written:", project.display_path(path, root))
    for path in chosen.kept:
        typer.echo(
            f"kept: {project.display_path(path, root)} exists; add this under its repos:\n"
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
    templates: Path | None = None,
) -> "Plan":
    """The plan of ``target`` for explain and graph; usage errors exit 2."""
    from . import project
    from .evaluate.pipeline import plan, preset
    from .gitlab.expand import ConfigTooBigError
    from .gitlab.reader import YamlSyntaxError

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
    with _errors():
        config = project.load_config(project.find_root(Path.cwd()))
        path = target or config.root / ".gitlab-ci.yml"
        # A module's child pipelines as it would write them, not as the disk may still hold them.
        text, shown, pending, artifacts = project.pipeline_text(path, config)
        source = project.include_source(config, templates, pending)
        try:
            return plan(
                text,
                variables,
                changed=changed,
                root=config.root,
                every_job=every_job,
                pending=pending,
                artifacts=artifacts,
                source=source,
            )
        except YamlSyntaxError as exc:
            _fail(exc.located(shown))
        except ConfigTooBigError as exc:
            _fail(f"{shown}: {exc}")
    raise AssertionError  # _fail exits


@contextmanager
def _errors() -> Iterator[None]:
    """Print a gitlabci-dsl error and exit: 2 for a usage error, 1 for any other."""
    from .errors import GitlabCIDSLError, UsageError

    try:
        yield
    except UsageError as exc:
        _fail(str(exc), code=2)
    except GitlabCIDSLError as exc:
        _fail(str(exc))


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
    "vendor": vendor,
    "init": init,
}
app = make_app()
