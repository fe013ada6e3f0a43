"""Print one of the README's two commands, as written, for ``.ci/run`` to run.

    python3 scripts/readme_commands.py main    # installs and runs the main job
    python3 scripts/readme_commands.py tests   # installs what the tests need and runs them all

The README is the one place the commands are written: they are the two command lines of the
``sh`` block that follows the marker comment ``<!-- .ci/run ... -->``, the main job first.
Standard library only: ``.ci/run`` calls this before anything is installed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
MARKER = "<!-- .ci/run runs the two commands below as written -->"
NAMES = ("main", "tests")


def commands(text: str) -> dict[str, str]:
    """``{"main": ..., "tests": ...}``: the command lines of the block after the marker."""
    _, found, rest = text.partition(MARKER)
    block = re.match(r"\s*```sh\n(.*?)```", rest, re.S) if found else None
    if block is None:
        raise ValueError(f"README.md: no ```sh block after the marker {MARKER}")
    lines = [
        line.strip()
        for line in block.group(1).splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if len(lines) != len(NAMES):
        raise ValueError(
            f"README.md: the block after {MARKER} must hold {len(NAMES)} commands "
            f"(the main job, then the tests), not {len(lines)}"
        )
    return dict(zip(NAMES, lines, strict=True))


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in NAMES:
        sys.stderr.write(f"usage: readme_commands.py {'|'.join(NAMES)}\n")
        return 2
    try:
        chosen = commands(README.read_text(encoding="utf-8"))[argv[0]]
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    sys.stdout.write(chosen + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
