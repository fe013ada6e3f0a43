"""The ``gitlabci-dsl`` command line.

Exit codes: 0 success; 1 a pipeline is invalid or (with ``--check``) a generated file is stale;
2 usage error (unknown option, a path that does not exist).
"""

# No ``from __future__ import annotations`` here: typer reads the command signatures at every
# start, and string annotations would make it eval() each one (measurably slower start-up).
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from . import __version__

if TYPE_CHECKING:
    from .project import Target

app = typer.Typer(
    name="gitlabci-dsl",
    help="GitLab CI pipelines as typed Python objects, compiled to .gitlab-ci.yml.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gitlabci-dsl {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """GitLab CI pipelines as typed Python objects, compiled to .gitlab-ci.yml."""


@app.command("compile")
def compile_(
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
) -> None:
    """Compile pipeline modules to YAML: pipelines/main.py -> .gitlab-ci.yml,
    pipelines/NAME.py -> .gitlab/ci/NAME.yml (a module-level 'output' or
    [tool.gitlabci-dsl.outputs] overrides). Each module defines a module-level 'pipeline'.

    If any module fails, nothing is written. Exit 0 on success, 1 when a pipeline is invalid
    or a file is stale (--check), 2 on usage errors.
    """
    from .errors import GitlabCIDSLError
    from .project import (
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
    except GitlabCIDSLError as exc:
        _fail(str(exc))

    if stdout:
        for target in targets:
            sys.stdout.write(target.text)
        return
    stale: list[tuple[Target, str | None]] = []
    for target in targets:
        old = current_text(target.output)
        if old != target.text:
            stale.append((target, old))
    if diff:
        _print_diff(stale, config.root)
    if check or diff:
        for target, old in stale:
            state = "missing" if old is None else "stale"
            typer.echo(f"{state}: {display_path(target.output, config.root)}", err=check)
        if check and stale:
            typer.echo("run 'gitlabci-dsl compile' to regenerate", err=True)
            raise typer.Exit(1)
        if check:
            typer.echo(f"{len(targets)} file(s) up to date")
        return
    write_all([target for target, _ in stale])
    changed = {id(t) for t, _ in stale}
    for target in targets:
        state = "written" if id(target) in changed else "unchanged"
        typer.echo(f"{state}: {display_path(target.output, config.root)}")


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

    for target, old in stale:
        name = display_path(target.output, root)
        new = target.text
        sys.stdout.writelines(
            difflib.unified_diff(
                (old or "").splitlines(keepends=True),
                new.splitlines(keepends=True),
                fromfile=f"a/{name}",
                tofile=f"b/{name}",
            )
        )


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}".replace("\n", "\nerror: "), err=True)
    raise typer.Exit(code)
