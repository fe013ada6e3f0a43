"""Write docs/rules.md from the lint rules: each rule's severity, why, fix, and the CWE and
OWASP Top 10 CI/CD Security Risk it maps to.

    python scripts/lint_rules.py          # rewrite docs/rules.md
    python scripts/lint_rules.py --check  # exit 1 if docs/rules.md is not current

tests/test_docs.py runs the check, so the page never drifts from the code.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gitlabci_dsl.lint.findings import CWE, RISKS, RULES, Rule

PAGE = Path(__file__).resolve().parent.parent / "docs" / "rules.md"
_CWE = "https://cwe.mitre.org/data/definitions/{}.html"
_RISKS = "https://owasp.org/www-project-top-10-ci-cd-security-risks/"


def _risk_link(risk: str) -> str:
    return f"[{risk}: {RISKS[risk]}]({_RISKS})"


def _taxonomy(rule: Rule) -> str:
    cwe = f"[CWE-{rule.cwe}: {CWE[rule.cwe]}]({_CWE.format(rule.cwe)})" if rule.cwe else "none"
    risk = _risk_link(rule.risk) if rule.risk else "none"
    return f"- CWE: {cwe}\n- OWASP CI/CD risk: {risk}"


def render() -> str:
    parts = [
        "# Lint rules",
        "",
        "Every rule `gitlabci-dsl lint` reports, with the weakness it maps to: the",
        "[CWE](https://cwe.mitre.org) entry and the",
        "[OWASP Top 10 CI/CD Security Risk](https://owasp.org/www-project-top-10-ci-cd-security-risks/).",
        "Rules without either report what GitLab refuses, or a pipeline that does not do what",
        "it says; SARIF output tags the others `security`, with the CWE, so code scanning",
        "dashboards sort them. Generated from `gitlabci_dsl/lint/findings.py` by",
        "`python scripts/lint_rules.py`; a test fails when this page is not current. How to",
        "run lint, silence a finding or keep a baseline: [Linting](lint.md).",
        "",
        "| Rule | Severity | CWE | OWASP CI/CD |",
        "|---|---|---|---|",
    ]
    for rule in RULES.values():
        cwe = f"CWE-{rule.cwe}" if rule.cwe else ""
        parts.append(f"| [`{rule.id}`](#{rule.id}) | {rule.severity} | {cwe} | {rule.risk or ''} |")
    for rule in RULES.values():
        parts += [
            "",
            f"## {rule.id}",
            "",
            f"Severity: **{rule.severity}**.",
            "",
            rule.why,
            "",
            f"**Fix:** {rule.fix}",
            "",
            _taxonomy(rule),
        ]
    return "\n".join(parts) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if docs/rules.md is stale")
    args = parser.parse_args()
    text = render()
    if args.check:
        if not PAGE.exists() or PAGE.read_text(encoding="utf-8") != text:
            print(f"{PAGE}: stale; run python scripts/lint_rules.py", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
