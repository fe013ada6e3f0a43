"""The article's "Cleanup Policies", through the API GitLab really has.

`registry-cleanup` runs on scheduled pipelines only and, for every image repository of the
project, asks GitLab to delete tags older than 30 days except the 10 newest and the release,
`main` and `latest` tags. `registry-cleanup-policy` (manual) sets the standing policy GitLab
applies by itself. The API token is a project access token in a masked variable, sent on curl's
standard input, never on its command line.
"""

from gitlabci_dsl import CleanupPolicy, Pipeline, RegistryCleanup, Stage

cleanup = Stage("cleanup")

prune = RegistryCleanup(
    stage=cleanup, keep_n=10, older_than="30d", name_regex_keep="^(main|latest|v.+)$"
)
policy = CleanupPolicy(
    stage=cleanup, keep_n=10, older_than="90d", name_regex_keep="^(main|latest|v.+)$"
)

pipeline = Pipeline(stages=[cleanup], jobs=[prune.job(), policy.job()])
