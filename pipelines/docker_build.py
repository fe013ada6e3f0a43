"""The article's "Building and Pushing Images", "Image Tagging Strategies" and "Multi-Stage
Builds with Caching", done with DockerBuild.

Differences from the article, on purpose: the password goes to `docker login --password-stdin`
(never `-p`, which shows it in the process list), `latest` is pushed only on the default branch
(`$CI_DEFAULT_BRANCH`, not a hard-coded `main`), the Docker image is pinned to a release, and
the block's `rules:` replace the deprecated `only:`: branch and tag pipelines (and merge
request pipelines, with `Workflow.merge_request_pipelines()`), never schedules.
"""

from gitlabci_dsl import DockerBuild, InlineCache, Pipeline, Stage

build = Stage("build")

image = DockerBuild(stage=build, cache=InlineCache(from_tag="latest"))

pipeline = Pipeline(stages=[build], jobs=[image.job()])
