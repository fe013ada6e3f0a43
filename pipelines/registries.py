"""The article's "GitLab Container Registry Basics", "Private Registry Authentication" and
"Cross-Project Image Access": the credentials each registry takes, and a job that runs in
another project's image.

Every password comes from a CI/CD variable and reaches `docker login` on standard input (the
article passes `-p $CI_REGISTRY_PASSWORD` on the command line, visible in the process list).
For another project's image the article runs `docker login` in `before_script`, which cannot
work: the runner pulls the job's `image:` before the script starts. The runner reads
`DOCKER_AUTH_CONFIG` instead, here made of references to a `read_registry` deploy token.
"""

from gitlabci_dsl import DockerBuild, Job, Mirror, Pipeline, Registry, Stage, ci

build, test, release = Stage("build"), Stage("test"), Stage("release")

# This project's registry with the job's own credentials ($CI_REGISTRY_USER and
# $CI_REGISTRY_PASSWORD): the default of every block.
app = DockerBuild(stage=build)
build_job = app.job()

# Releases are copied (never rebuilt) to Docker Hub, with an access token, and to Google
# Artifact Registry, with a service-account key in a file variable; skopeo needs no Docker
# daemon. Amazon ECR, through `aws ecr get-login-password`, is in mirror.py.
releases = [
    Mirror(
        name=f"release-{name}",
        source=app.image_ref,
        target=target,
        target_registry=registry,
        stage=release,
        needs=[build_job],
    )
    for name, target, registry in [
        ("dockerhub", "docker.io/acme/app", Registry.dockerhub()),
        ("gar", "$GAR_REGISTRY/acme/images/app", Registry.gar()),
    ]
]

# Another project's image, pulled by the runner with a deploy token of that project
# (read_registry scope) stored as masked variables of this one.
shared = Registry.deploy_token(user="$SHARED_IMAGE_USER", password="$SHARED_IMAGE_TOKEN")
use_shared_image = Job(
    "use-shared-image",
    stage=test,
    image=f"{ci.REGISTRY}/shared/base-image:1.4.2",
    variables=shared.runner_auth(),
    script=["./run-tests.sh"],
)

pipeline = Pipeline(
    stages=[build, test, release],
    jobs=[build_job, use_shared_image, *(mirror.job() for mirror in releases)],
)
