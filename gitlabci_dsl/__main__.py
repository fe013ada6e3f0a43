"""The ``gitlabci-dsl`` command: entry point of the console script and of ``python -m gitlabci_dsl``."""

import gc
import os
import sys


def main() -> None:
    """Run the CLI as a short-lived process: no cyclic garbage collection, no interpreter teardown.

    A run's data (frozen nodes, then plain dicts and strings) holds no reference cycles, so
    collections free nothing; during start-up they rescan every class and function just
    imported. Tearing the interpreter down at exit frees every module and object one by one,
    which costs more than a tenth of a ``compile --check``. Both are skipped here, and only here:
    importing :mod:`gitlabci_dsl.cli` (as the tests do) changes nothing. Files are written and
    closed before the CLI returns; standard output and error are flushed below. ``atexit``
    handlers do not run.
    """
    gc.disable()
    from .cli import COMMANDS, make_app

    # Only the command being run is registered with typer (each costs start-up time); any
    # other argument list (--help, --version, a typo) gets every command.
    words = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
    command = words[0] if words and words[0] in COMMANDS else None
    try:
        make_app(command)()
    except SystemExit as exc:
        code = exc.code
    else:
        code = None
    _exit(code)


def _exit(code: object) -> None:
    """End the process with ``code`` as ``SystemExit`` would, without the interpreter's teardown."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # e.g. the reader of a pipe went away; Python itself exits 120 then
        status = status or 120
    os._exit(status)


if __name__ == "__main__":
    main()
