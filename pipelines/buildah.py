"""Daemonless builds: Buildah builds and pushes, skopeo mirrors release tags to a second
registry and, on schedules, prunes the tags nobody keeps. No Docker daemon, no privileged
service anywhere in the pipeline.

The same YAML runs on GitLab and in tests/test_e2e.py, which runs it against two real
registries on loopback: every endpoint and credential is a CI/CD variable (CI_REGISTRY,
CI_REGISTRY_IMAGE, CI_REGISTRY_USER, CI_REGISTRY_PASSWORD, MIRROR_REGISTRY, MIRROR_USER,
MIRROR_PASSWORD).
"""

from gitlabci_dsl import BuildahBuild, Mirror, Pipeline, RegistryPrune, Stage

build, publish, cleanup = Stage("build"), Stage("publish"), Stage("cleanup")

image = BuildahBuild(stage=build)
build_job = image.job()

# Release tags (the commit SHA and the version) are copied, digests unchanged.
mirror_job = Mirror(source=image.image_ref, stage=publish, needs=[build_job]).job()

# Scheduled pipelines (which build nothing) delete the commit and feature-branch tags,
# keeping main, latest and versions (and any tag whose digest one of those still uses).
prune_job = RegistryPrune(stage=cleanup).job()

pipeline = Pipeline(
    stages=[build, publish, cleanup],
    jobs=[build_job, mirror_job, prune_job],
)
