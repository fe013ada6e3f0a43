"""The ``gitlabci-dsl`` command: entry point of the console script and of ``python -m gitlabci_dsl``."""

import gc
import sys


def main() -> None:
    """Run the CLI, tuned for the short-lived process it is.

    Two settings of the garbage collector, made here because this function owns the process
    (importing :mod:`gitlabci_dsl.cli` or calling :func:`gitlabci_dsl.to_yaml`, as tests and
    users' code do, changes nothing):

    * Collections come every 100,000 allocations instead of every 700. Start-up creates tens
      of thousands of long-lived objects (classes, functions) and compiling creates plain,
      acyclic data, so frequent collections rescan a growing heap and free nothing. The
      collector stays on: a pipeline module's cycles are still collected.
    * Once the CLI is imported, and again at the end, the heap is frozen (:func:`gc.freeze`):
      objects that live until the process ends are not rescanned, nor walked once more by
      the interpreter's final collections. Teardown, ``atexit`` handlers and flushing happen
      as in any Python process.
    """
    gc.set_threshold(100_000, 20, 100)
    from .cli import COMMANDS, make_app

    gc.freeze()
    # Only the command being run is registered with typer (each costs start-up time); any
    # other argument list (--help, --version, a typo) gets every command.
    words = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
    command = words[0] if words and words[0] in COMMANDS else None
    try:
        make_app(command)()
    finally:
        gc.freeze()


if __name__ == "__main__":
    main()
