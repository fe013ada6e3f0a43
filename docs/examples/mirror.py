"""The article's "Registry Mirroring": copy each release image to another registry.

The target comes from CI/CD variables ($MIRROR_REGISTRY, $MIRROR_USER, $MIRROR_PASSWORD), never
hard-coded; both logins read the password on stdin; skopeo copies registry to registry with no
Docker daemon (the article pulls and pushes through Docker-in-Docker) and keeps every platform.
`rules:` replaces the article's deprecated `only: [tags]`.
"""

from gitlabci_dsl import DockerBuild, Mirror, Pipeline, Stage

build, publish = Stage("build"), Stage("publish")

image = DockerBuild(stage=build)
build_job = image.job()

mirror = Mirror(source=image.image_ref, stage=publish, needs=[build_job])

pipeline = Pipeline(stages=[build, publish], jobs=[build_job, mirror.job()])
