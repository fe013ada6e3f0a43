"""Write docs/cli.md from the typer app: every command's --help, as the command prints it.

    python scripts/cli_reference.py          # rewrite docs/cli.md
    python scripts/cli_reference.py --check  # exit 1 if docs/cli.md is not current

tests/test_docs.py runs the check, so the page never drifts from the code.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import typer

from gitlabci_dsl.cli import COMMANDS, app

PAGE = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
WIDTH = 88


def _help(command: Any, name: str, parent: Any) -> str:
    # typer carries its own copy of click: take the context class from the command itself.
    context = command.context_class(
        command, info_name=name, parent=parent, terminal_width=WIDTH, max_content_width=WIDTH
    )
    return str(command.get_help(context))


def render() -> str:
    group: Any = typer.main.get_command(app)
    root = group.context_class(group, info_name="gitlabci-dsl", terminal_width=WIDTH)
    parts = [
        "# CLI reference",
        "",
        "Every command's `--help`, as it prints it. Generated from the typer app by",
        "`python scripts/cli_reference.py`; a test fails when this page is not current.",
        "",
        "## gitlabci-dsl",
        "",
        "```",
        _help(group, "gitlabci-dsl", None),
        "```",
    ]
    for name in COMMANDS:
        command = group.commands[name]
        parts += ["", f"## gitlabci-dsl {name}", "", "```", _help(command, name, root), "```"]
    return "\n".join(parts) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if docs/cli.md is stale")
    args = parser.parse_args()
    text = render()
    if args.check:
        if PAGE.read_text(encoding="utf-8") != text:
            print(f"{PAGE}: stale; run python scripts/cli_reference.py", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
