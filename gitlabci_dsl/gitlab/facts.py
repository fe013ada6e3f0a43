"""Facts about GitLab CI, each written once: the names and limits every command relies on.

Sources: GitLab's CI/CD YAML reference (https://docs.gitlab.com/ci/yaml/) and, where the docs
are silent, GitLab's own code (``lib/gitlab/ci/config/``).
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "DEFAULT_KEYS",
    "DEFAULT_STAGE",
    "DEFAULT_STAGES",
    "DEPRECATED_GLOBALS",
    "DOCS",
    "GLOBAL_KEYS",
    "INHERITABLE_DEFAULTS",
    "MATRIX_LIMIT",
    "MAX_CHILD_PIPELINE_DEPTH",
    "MAX_EXTENDS_DEPTH",
    "MAX_INCLUDES",
    "MAX_NEEDS",
    "MAX_PARALLEL",
    "MAX_PIPELINE_HIERARCHY",
    "MAX_YAML_DEPTH",
    "MAX_YAML_SIZE_BYTES",
    "REMOTE_SCHEMES",
    "RESERVED_JOB_NAMES",
]

DOCS: Final = "https://docs.gitlab.com/ci/yaml/"
"""GitLab's CI/CD YAML keyword reference; a keyword's section is ``DOCS + "#" + keyword``."""

GLOBAL_KEYS: Final = frozenset(
    {
        "default",
        "include",
        "stages",
        "variables",
        "workflow",
        "image",
        "services",
        "cache",
        "before_script",
        "after_script",
        "types",
        "spec",
    }
)
"""Top-level keys that are not jobs."""

RESERVED_JOB_NAMES: Final = GLOBAL_KEYS | {"true", "false", "nil"}
"""Names a job cannot have: the top-level keys, and YAML's booleans and null, which GitLab
refuses as names (https://docs.gitlab.com/ci/jobs/#job-names)."""

INHERITABLE_DEFAULTS: Final = (
    "after_script",
    "artifacts",
    "before_script",
    "cache",
    "image",
    "interruptible",
    "retry",
    "services",
    "tags",
    "timeout",
)
"""The defaults ``inherit: default: [...]`` may name (https://docs.gitlab.com/ci/yaml/#inheritdefault)."""

DEFAULT_KEYS: Final = frozenset({*INHERITABLE_DEFAULTS, "hooks", "id_tokens", "identity"})
"""The job keywords ``default:`` may set (https://docs.gitlab.com/ci/yaml/#default)."""

DEPRECATED_GLOBALS: Final = ("image", "services", "cache", "before_script", "after_script")
"""Top-level keywords GitLab still reads as defaults of every job but has deprecated in favour
of ``default:`` (https://docs.gitlab.com/ci/yaml/#globally-defined-image-services-cache-before_script-after_script)."""

DEFAULT_STAGES: Final = (".pre", "build", "test", "deploy", ".post")
"""The stages of a pipeline without ``stages:``."""

DEFAULT_STAGE: Final = "test"
"""The stage of a job without ``stage:``."""

MATRIX_LIMIT: Final = 200
"""Most jobs one ``parallel:matrix`` may create."""

MAX_PARALLEL: Final = 200
"""Most copies ``parallel: N`` may run of one job (https://docs.gitlab.com/ci/yaml/#parallel)."""

MAX_NEEDS: Final = 50
"""Most jobs one job's ``needs`` may list: an instance limit, 50 on
GitLab.com and by default (https://docs.gitlab.com/ci/yaml/#needs)."""

MAX_CHILD_PIPELINE_DEPTH: Final = 2
"""Most levels of child pipelines below a parent: a child may trigger a grandchild, no deeper
(https://docs.gitlab.com/ci/pipelines/downstream_pipelines/#nested-child-pipelines)."""

MAX_PIPELINE_HIERARCHY: Final = 1000
"""Most pipelines in one tree of a pipeline and its downstream pipelines, the default instance
limit ``pipeline_hierarchy_size`` (gitlab-org/gitlab!105119); GitLab fails the trigger job
that would start one more."""

MAX_EXTENDS_DEPTH: Final = 11
"""Most levels of inheritance ``extends`` allows."""

MAX_INCLUDES: Final = 150
"""Most files one pipeline may include, nested includes counted (the default instance limit)."""

REMOTE_SCHEMES: Final = ("http", "https", "ssh", "git")
"""URL schemes that make a string ``include:`` remote (``Gitlab::UrlSanitizer.valid?``); any
other string is a local file, even ``httpd.yml``."""

MAX_YAML_DEPTH: Final = 100
"""Deepest nesting of mappings and lists GitLab parses (the ``max_yaml_depth`` setting)."""

MAX_YAML_SIZE_BYTES: Final = 157_286_400
"""Most a configuration may weigh once parsed, aliases expanded, its includes counted
(``ci_max_total_yaml_size_bytes``, 150 MB by default; ``Gitlab::Utils::DeepSize``). GitLab
also limits each file (``max_yaml_size_bytes``, 2 MB by default); instances set both, so only
the total is held to here, with the weight estimated as 40 bytes per object plus its text."""
