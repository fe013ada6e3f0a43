"""The article's "Multi-Image Projects": three images from one declaration.

Each image is built only when its folder changed (tag pipelines build all of them). The
`matrix_build` below shows the same three images as one `parallel:matrix` job instead.
"""

from gitlabci_dsl import DockerBuild, Pipeline, Stage

build = Stage("build")

template = DockerBuild(stage=build)
images = DockerBuild.many(
    {"frontend": "./frontend", "backend": "./backend", "worker": "./worker"},
    template=template,
    only_changed=True,
)
matrix_build = DockerBuild.matrix(
    ["frontend", "backend", "worker"], template=DockerBuild(name="build-all", stage=build)
)

pipeline = Pipeline(stages=[build], jobs=[*(i.job() for i in images), matrix_build.job()])
