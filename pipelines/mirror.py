"""The article's "Registry Mirroring": copy each release image to other registries.

The targets come from CI/CD variables ($MIRROR_REGISTRY, $MIRROR_USER, $MIRROR_PASSWORD and
$ECR_REGISTRY), never hard-coded; every login reads the password on stdin. skopeo copies
registry to registry with no Docker daemon and keeps every platform of the image. The article's
pull/tag/push through Docker-in-Docker is `tool="docker"`, here for Amazon ECR, whose password
comes from `aws ecr get-login-password` (the job installs the AWS CLI in the pinned Docker
image). `rules:` replaces the article's deprecated `only: [tags]`.
"""

from gitlabci_dsl import DockerBuild, Mirror, Pipeline, Registry, Stage

build, publish = Stage("build"), Stage("publish")

image = DockerBuild(stage=build)
build_job = image.job()

mirror = Mirror(source=image.image_ref, stage=publish, needs=[build_job])

ecr = Mirror(
    name="mirror-to-ecr",
    source=image.image_ref,
    target="$ECR_REGISTRY/app",
    target_registry=Registry.ecr(region="eu-west-1"),
    tool="docker",
    stage=publish,
    needs=[build_job],
)

pipeline = Pipeline(stages=[build, publish], jobs=[build_job, mirror.job(), ecr.job()])
