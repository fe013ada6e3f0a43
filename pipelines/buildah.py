"""Daemonless builds: Buildah builds and pushes, skopeo mirrors release tags to a second
registry. No Docker daemon, no privileged service anywhere in the pipeline.

The same YAML runs on GitLab and in tests/test_e2e.py, which runs it against two real
registries on loopback: every endpoint and credential is a CI/CD variable (CI_REGISTRY,
CI_REGISTRY_IMAGE, CI_REGISTRY_USER, CI_REGISTRY_PASSWORD, MIRROR_REGISTRY, MIRROR_USER,
MIRROR_PASSWORD).
"""

from gitlabci_dsl import BuildahBuild, Mirror, Pipeline, Stage

build, publish = Stage("build"), Stage("publish")

image = BuildahBuild(stage=build)
build_job = image.job()

# Release tags (the commit SHA and the version) are copied, digests unchanged.
mirror_job = Mirror(source=image.image_ref, stage=publish, needs=[build_job]).job()

pipeline = Pipeline(stages=[build, publish], jobs=[build_job, mirror_job])
