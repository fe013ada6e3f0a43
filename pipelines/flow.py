"""The article's "Container Registry Flow" and "Pulling Images in Later Jobs", end to end.

Build once and push the immutable commit tag; test *inside* that image; scan it; then deploy
the same image to staging and, by hand, to production. The cluster pulls it with a pull secret
made from a deploy token (`read_registry`), created idempotently and never with the token on a
command line.
"""

from gitlabci_dsl import (
    DockerBuild,
    InlineCache,
    Job,
    KubeDeploy,
    Pipeline,
    PullSecret,
    Stage,
    TrivyScan,
    runs_on,
)

build, test, scan, deploy = Stage("build"), Stage("test"), Stage("scan"), Stage("deploy")

image = DockerBuild(stage=build, cache=InlineCache())
build_job = image.job()

# The job runs in the image it tests: the tag just pushed, not a mutable `latest`; and in the
# pipelines the build runs in (not schedules), as a job that needs another must.
unit = Job(
    "test",
    stage=test,
    image=str(image.image_ref),
    needs=[build_job],
    rules=build_job.rules,
    script=["npm test"],
)

scan_job = TrivyScan(image=image.image_ref, stage=scan, needs=[build_job]).job()

pull_secret = PullSecret(namespace="app", context="group/app:production").job()

staging = KubeDeploy(
    name="deploy-staging",
    image=image.image_ref,
    deployment="app",
    container="app",
    namespace="app-staging",
    context="group/app:staging",
    environment="staging",
    url="https://staging.example.com",
    tier="staging",
    needs=[build_job, unit, scan_job],
).job()

production = KubeDeploy(
    name="deploy-production",
    image=image.image_ref,
    deployment="app",
    container="app",
    namespace="app",
    context="group/app:production",
    url="https://example.com",
    needs=[staging, pull_secret],
    # By hand, and the pipeline waits for it (blocked) until someone deploys.
    rules=runs_on("default_branch", when="manual", allow_failure=False),
).job()

pipeline = Pipeline(
    stages=[build, test, scan, deploy],
    jobs=[build_job, unit, scan_job, pull_secret, staging, production],
)
