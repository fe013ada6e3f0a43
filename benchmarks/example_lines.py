"""Lines of Python each example pipeline needs against the lines of YAML it compiles to.

    python benchmarks/example_lines.py

Python lines are the module's code: blank lines, comments and the module docstring are not
counted. YAML lines are the generated file without its header line and without blank lines.
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

from gitlabci_dsl.project import compile_module, discover, load_config

ROOT = Path(__file__).resolve().parent.parent


def code_lines(source: str) -> int:
    """Lines holding code: not blank, not only a comment, not the module docstring."""
    tree = ast.parse(source)
    docstring: set[int] = set()
    first = tree.body[0] if tree.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        docstring = set(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (
            tokenize.COMMENT,
            tokenize.NL,
            tokenize.NEWLINE,
            tokenize.INDENT,
            tokenize.DEDENT,
            tokenize.ENDMARKER,
        ):
            continue
        lines.update(range(token.start[0], token.end[0] + 1))
    return len(lines - docstring)


def yaml_lines(text: str) -> int:
    """Non-blank lines of generated YAML, without the header line."""
    return sum(1 for line in text.splitlines()[1:] if line.strip())


def table() -> str:
    """A Markdown table: example, Python lines, YAML lines, ratio; and the totals."""
    config = load_config(ROOT)
    rows = [
        "| example | Python lines | YAML lines | YAML per Python line |",
        "|---|---:|---:|---:|",
    ]
    total_py = total_yaml = 0
    for module in discover(config):
        if module.stem == "main":
            continue
        python = code_lines(module.read_text(encoding="utf-8"))
        generated = yaml_lines(compile_module(module, config).text)
        total_py, total_yaml = total_py + python, total_yaml + generated
        rows.append(f"| `{module.name}` | {python} | {generated} | {generated / python:.1f} |")
    rows.append(f"| all | {total_py} | {total_yaml} | {total_yaml / total_py:.1f} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(table(), end="")
