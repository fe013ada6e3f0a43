"""What the linter reports: findings, and the rules they come from."""

from __future__ import annotations

from typing import Literal, NamedTuple

from ..gitlab.facts import DEPRECATED_GLOBALS, MATRIX_LIMIT, MAX_INCLUDES

__all__ = ["CWE", "RISKS", "RULES", "Finding", "Rule", "Severity"]

# error: GitLab refuses the file. warning: GitLab accepts it, but it is insecure, fragile or
# deprecated. info: something the linter could not check.
Severity = Literal["error", "warning", "info"]


class Rule(NamedTuple):
    """A check: its id, how serious a finding is, why it matters and how to fix it; for a
    weakness, the CWE it is an instance of and the OWASP Top 10 CI/CD Security Risk
    (``CICD-SEC-4``) it opens."""

    id: str
    severity: Severity
    why: str
    fix: str
    cwe: int | None = None
    risk: str | None = None


CWE: dict[int, str] = {
    78: "Improper Neutralization of Special Elements used in an OS Command "
    "('OS Command Injection')",
    214: "Invocation of Process Using Visible Sensitive Information",
    319: "Cleartext Transmission of Sensitive Information",
    477: "Use of Obsolete Function",
    494: "Download of Code Without Integrity Check",
    532: "Insertion of Sensitive Information into Log File",
    693: "Protection Mechanism Failure",
    829: "Inclusion of Functionality from Untrusted Control Sphere",
}
"""The CWE entries rules map to (https://cwe.mitre.org/data/definitions/N.html)."""

RISKS: dict[str, str] = {
    "CICD-SEC-1": "Insufficient Flow Control Mechanisms",
    "CICD-SEC-3": "Dependency Chain Abuse",
    "CICD-SEC-4": "Poisoned Pipeline Execution (PPE)",
    "CICD-SEC-6": "Insufficient Credential Hygiene",
    "CICD-SEC-7": "Insecure System Configuration",
    "CICD-SEC-9": "Improper Artifact Integrity Validation",
}
"""The OWASP Top 10 CI/CD Security Risks rules map to
(https://owasp.org/www-project-top-10-ci-cd-security-risks/)."""


class Finding(NamedTuple):
    """One problem in one file; ``code`` is the checker's own id where a rule runs another
    checker (ShellCheck's ``SC2086``)."""

    rule: str
    severity: Severity
    message: str
    file: str
    job: str | None = None
    line: int | None = None
    column: int | None = None
    code: str | None = None

    def human(self) -> str:
        """``file:line:column: severity[rule] job 'x': message``."""
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        job = f"job {self.job!r}: " if self.job else ""
        return f"{where}: {self.severity}[{self.rule}] {job}{self.message}"


_ALL = [
    Rule("yaml-syntax", "error", "GitLab cannot read the file at all.", "Fix the YAML syntax."),
    Rule(
        "schema",
        "error",
        "GitLab's CI schema rejects the value; GitLab refuses the pipeline.",
        "Use the keyword's documented form (https://docs.gitlab.com/ci/yaml/).",
    ),
    Rule(
        "duplicate-key",
        "warning",
        "A key written twice in one mapping: GitLab silently keeps the last one.",
        "Remove or rename one of them.",
    ),
    Rule(
        "undefined-stage",
        "error",
        "GitLab refuses a job whose stage is not in `stages:`.",
        "Add the stage to `stages:` or fix the job's `stage:`.",
    ),
    Rule(
        "needs-undefined",
        "error",
        "GitLab refuses a pipeline where a job needs a job that does not exist.",
        "Fix the name, or mark the need `optional: true`.",
    ),
    Rule(
        "needs-later-stage",
        "error",
        "A job can only need jobs of its own or earlier stages.",
        "Move one of the jobs to another stage.",
    ),
    Rule(
        "needs-limit",
        "error",
        "GitLab refuses a job whose `needs` lists more than 50 jobs (the default instance limit).",
        "Need fewer jobs: a job that needs a whole stage can use `dependencies` or stage order.",
    ),
    Rule(
        "on-stop-undefined",
        "error",
        "GitLab refuses an `environment:on_stop` that names no job of the pipeline.",
        "Name the job that stops the environment, or define it.",
    ),
    Rule(
        "needs-cycle",
        "error",
        "Jobs that need each other in a circle can never start.",
        "Break the cycle.",
    ),
    Rule(
        "needs-never",
        "error",
        "A job with `when: never` is never created, so a job needing it cannot be.",
        "Mark the need `optional: true` or change the needed job's `when`.",
    ),
    Rule(
        "needs-left-out",
        "warning",
        "In a default-branch, other-branch, tag, merge request or scheduled pipeline, a job "
        "needs a job that its rules leave out of that pipeline, and GitLab refuses to create "
        "it.",
        "Give the job the rules of the job it needs (`rules=runs_on(...)` in a pipeline "
        "module), or mark the need `optional: true`.",
    ),
    Rule(
        "dependencies-undefined",
        "error",
        "`dependencies` can only name jobs of earlier stages.",
        "Fix the name or the stages.",
    ),
    Rule(
        "dependencies-not-in-needs",
        "error",
        "With `needs`, every job in `dependencies` must also be needed.",
        "Add the job to `needs` or drop it from `dependencies`.",
    ),
    Rule(
        "extends-undefined",
        "error",
        "GitLab refuses `extends` of a job or template that does not exist.",
        "Fix the name or include the file that defines it.",
    ),
    Rule(
        "extends-cycle",
        "error",
        "Templates that extend each other in a circle cannot be resolved.",
        "Break the cycle.",
    ),
    Rule(
        "extends-too-deep",
        "error",
        "GitLab refuses an `extends` chain more than 11 levels deep (nesting too deep).",
        "Extend fewer templates in a row: merge some of them, or list several in one `extends`.",
    ),
    Rule(
        "reference-undefined",
        "error",
        "GitLab refuses a `!reference` to a key that does not exist.",
        "Fix the job or key names in the `!reference`.",
    ),
    Rule(
        "job-without-script",
        "error",
        "GitLab refuses a job without `script`, `trigger` or `run` (after `extends`).",
        "Add a `script:`, or make it a template by starting its name with a dot.",
    ),
    Rule(
        "invalid-expression",
        "error",
        "GitLab refuses a `rules:if` it cannot parse (for example `$A = 'x'`, a single `=`).",
        "Write a GitLab expression: `$VAR == 'value'`, `$VAR =~ /regex/`, joined by `&&` and `||`.",
    ),
    Rule(
        "trigger-with-script",
        "error",
        "GitLab refuses a trigger job with `script` or `run`: it starts a pipeline, not commands.",
        "Move the commands to a job of their own, or drop `trigger`.",
    ),
    Rule(
        "trigger-include-missing",
        "error",
        "A trigger job whose child pipeline file is not in the project fails: GitLab cannot "
        "create the child pipeline.",
        "Fix the path (from the project's root), or add the file.",
    ),
    Rule(
        "needs-trigger-without-depend",
        "warning",
        "A trigger job without `strategy: depend` succeeds as soon as its downstream pipeline is "
        "created, so a job that needs it does not wait for that pipeline.",
        "Give the trigger `strategy: depend` (or `mirror`) if the job must wait for the "
        "downstream pipeline's result.",
        risk="CICD-SEC-1",
    ),
    Rule(
        "child-too-deep",
        "error",
        "GitLab nests child pipelines two levels below the parent at most: a trigger job of a "
        "child pipeline's child fails instead of starting one.",
        "Trigger the pipeline from a level higher up, or merge it into this one.",
    ),
    Rule(
        "child-merge-request-rule",
        "warning",
        "In a child pipeline `CI_PIPELINE_SOURCE` is `parent_pipeline`, so a rule on "
        "`merge_request_event` never matches there.",
        "Have the trigger job pass the parent's source (`variables: {PARENT_PIPELINE_SOURCE: "
        "$CI_PIPELINE_SOURCE}`) and test `$PARENT_PIPELINE_SOURCE` in the child.",
    ),
    Rule(
        "changes-match-nothing",
        "warning",
        "A `rules:changes` path that matches no file of the repository (checked in a git work "
        "tree) never sees a change: the job runs only where `changes` is always true (tags, "
        "new branches), as if the path were misspelt.",
        "Fix the path (globs are relative to the project's root), or drop it.",
    ),
    Rule(
        "matrix-limit",
        "error",
        f"A `parallel:matrix` may create at most {MATRIX_LIMIT} jobs.",
        "Split the matrix or drop combinations.",
    ),
    Rule(
        "include-local-missing",
        "error",
        "GitLab refuses a pipeline that includes a local file that does not exist.",
        "Fix the path (it is relative to the repository root).",
    ),
    Rule(
        "include-limit",
        "error",
        f"GitLab refuses a pipeline that includes more than {MAX_INCLUDES} files, the includes of "
        "included files counted (the instance's default limit).",
        "Merge small included files into fewer ones, or move part of the pipeline into a child "
        "pipeline, which has a limit of its own.",
    ),
    Rule(
        "include-unresolved",
        "info",
        "An include that is not a file of the project, and that no offline source holds "
        "(a vendored folder, a folder of GitLab's templates, a component of this project); "
        "names it defines are not checked.",
        "Run `gitlabci-dsl vendor` to vendor it, or give `--templates DIR` for GitLab's templates.",
    ),
    Rule(
        "include-unpinned",
        "warning",
        "A component or project include that follows a branch, `~latest` or a partial version "
        "changes the pipeline without a commit of this project: a compromised or broken "
        "release of the other project runs here at once.",
        "Pin a release version (`@1.2.3`, `ref: v1.2.3`) or a commit SHA.",
        cwe=829,
        risk="CICD-SEC-3",
    ),
    Rule(
        "input-undeclared",
        "error",
        "GitLab refuses an include that gives an input the included file's `spec:inputs` "
        "does not declare (or that has no `spec:` header).",
        "Remove the input or fix its name (the message lists the declared ones).",
    ),
    Rule(
        "input-missing",
        "error",
        "GitLab refuses an include that does not give an input declared without a `default`.",
        "Give the input under `inputs:`.",
    ),
    Rule(
        "input-invalid",
        "error",
        "GitLab refuses an input whose value is not of its `type`, not one of its `options`, "
        "or does not match its `regex`.",
        "Give a value of the declared type and options (numbers and booleans unquoted).",
    ),
    Rule(
        "suppression-without-reason",
        "info",
        "A `# gitlabci-dsl: ignore[...]` comment that does not say why the finding is "
        "acceptable leaves the next reader to guess whether it still is.",
        "Say why after the brackets: `# gitlabci-dsl: ignore[unpinned-image] -- mirrored, "
        "pinned upstream by digest`.",
    ),
    Rule(
        "secret-on-command-line",
        "warning",
        "A password or token in a command's arguments shows in the process list and in logs.",
        "Pipe it to the command's stdin option (--password-stdin, --config -, --header @-).",
        cwe=214,
        risk="CICD-SEC-6",
    ),
    Rule(
        "script-injection",
        "error",
        "A commit message, merge request title or branch name is chosen by whoever pushes or "
        "opens the merge request. A message or title expanded unquoted is split and globbed "
        "into arguments; any of them in `eval` or `sh -c` runs as code with the job's secrets.",
        'Quote the expansion ("$CI_COMMIT_TITLE"); never build code for eval or sh -c from it.',
        cwe=78,
        risk="CICD-SEC-4",
    ),
    Rule(
        "shellcheck",
        "warning",
        "ShellCheck finds a script line that fails, misbehaves or is fragile at run time "
        "(a syntax error, an unquoted expansion split into words, a command in the wrong "
        "dialect for the image's shell). GitLab accepts the file; the job breaks when it runs. "
        "Its errors and warnings are warnings here, its notes infos.",
        "Fix the line as ShellCheck's page for the code explains "
        "(https://www.shellcheck.net/wiki/SC2086 for SC2086), or put "
        "`# shellcheck disable=SC2086` in the script when the line is right.",
    ),
    Rule(
        "secret-echoed",
        "warning",
        "A secret printed with echo or printf lands in the job log.",
        "Pipe it to the command that needs it; never print it.",
        cwe=532,
        risk="CICD-SEC-6",
    ),
    Rule(
        "unpinned-image",
        "warning",
        "An image without a version (or :latest) changes under the job without notice.",
        "Pin a version tag or a digest.",
        cwe=829,
        risk="CICD-SEC-3",
    ),
    Rule(
        "dind-without-tls",
        "warning",
        "Docker-in-Docker without TLS lets any container on the job's network use the daemon.",
        "Set DOCKER_TLS_CERTDIR: /certs and DOCKER_HOST: tcp://docker:2376.",
        cwe=319,
        risk="CICD-SEC-7",
    ),
    Rule(
        "only-except",
        "warning",
        "only/except are deprecated and cannot express what rules: can.",
        "Rewrite them as rules:.",
        cwe=477,
    ),
    Rule(
        "scan-allow-failure",
        "warning",
        "A security scan allowed to fail never blocks the deployments after it.",
        "Remove allow_failure: true (or gate the deploy some other way).",
        cwe=693,
        risk="CICD-SEC-1",
    ),
    Rule(
        "curl-pipe-shell",
        "warning",
        "Piping a download into a shell runs whatever the server sends.",
        "Download to a file, verify its checksum, then run it.",
        cwe=494,
        risk="CICD-SEC-9",
    ),
    Rule(
        "deprecated-keyword",
        "warning",
        f"Deprecated keywords (global {'/'.join(DEPRECATED_GLOBALS)}, type) "
        "may be removed from GitLab.",
        "Use default: for global settings and stage: for type.",
        cwe=477,
    ),
]
RULES: dict[str, Rule] = {rule.id: rule for rule in _ALL}
