"""How many files of a corpus lint and explain resolve fully offline, without and with a
folder of GitLab's templates (``--templates``), over the files that include something other
than a file of their own project.

    python scripts/include_coverage.py CORPUS [TEMPLATES]

TEMPLATES defaults to CORPUS (the shared corpus holds GitLab's templates under their
flattened ``gitlabhq__gitlabhq__lib__gitlab__ci__templates__*`` names). A file counts as
resolved when no include is left unread: for lint, no ``include-unresolved`` finding; for
explain, no "include not resolved offline" note on the default branch. Local includes count
as unread (the corpus has none of its projects' other files). Prints one line per count;
``.ci/run`` shows them.
"""

from __future__ import annotations

import sys
from pathlib import Path

from gitlabci_dsl.evaluate.pipeline import plan, preset
from gitlabci_dsl.gitlab.includes import Source, entries
from gitlabci_dsl.gitlab.reader import YamlSyntaxError, load
from gitlabci_dsl.lint import lint_text
from gitlabci_dsl.sources import Templates


def _lint_resolves(text: str, name: str, source: Source | None) -> bool:
    findings = lint_text(text, name, schema=False, practice=False, source=source)
    return not any(f.rule == "include-unresolved" for f in findings)


def _explain_resolves(text: str, source: Source | None) -> bool:
    try:
        found = plan(text, preset("branch:main"), source=source)
    except YamlSyntaxError:
        return False
    return not any("include not resolved offline" in note for note in found.notes)


def _includes_others(text: str) -> bool:
    try:
        documents = load(text)
    except YamlSyntaxError:
        return False
    data = documents[-1].data if documents else None
    listed = data.get("include") if isinstance(data, dict) else None
    return any(entry.kind != "local" for entry in entries(listed))


def main(corpus: Path, templates: Path) -> int:
    files = sorted(p for p in corpus.iterdir() if p.suffix in (".yml", ".yaml"))
    texts = {p.name: p.read_text(encoding="utf-8") for p in files}
    chosen = {name: text for name, text in texts.items() if _includes_others(text)}
    source = Templates(templates)
    counts = {
        "lint": (
            sum(_lint_resolves(t, n, None) for n, t in chosen.items()),
            sum(_lint_resolves(t, n, source) for n, t in chosen.items()),
        ),
        "explain": (
            sum(_explain_resolves(t, None) for t in chosen.values()),
            sum(_explain_resolves(t, source) for t in chosen.values()),
        ),
    }
    print(f"{len(chosen)} of {len(texts)} files include more than files of their own project")
    for command, (before, after) in counts.items():
        print(
            f"{command}: resolves every include of {before} of them offline, "
            f"{after} with --templates {templates.name}"
        )
    return 0


if __name__ == "__main__":
    arguments = [Path(a) for a in sys.argv[1:]]
    if not 1 <= len(arguments) <= 2:
        sys.exit(__doc__)
    sys.exit(main(arguments[0], arguments[-1]))
