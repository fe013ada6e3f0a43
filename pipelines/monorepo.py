"""The article's multi-image section at monorepo scale: one child pipeline per package.

A shared library and two services that use it; each package's child pipeline builds its image
and tests it, and starts only when the package, or the library it depends on, changed (tag
pipelines build every package). The services' pipelines wait for the library's.
"""

from gitlabci_dsl import DockerBuild, Job, Monorepo, Package, Pipeline, Stage, ci

packages = [
    Package("lib", "libs/core"),
    Package("api", "services/api", depends=["lib"]),
    Package("web", "services/web", depends=["lib"]),
]


def child(package: Package) -> Pipeline:
    build, test = Stage("build"), Stage("test")
    # rules=None: the package's trigger job decided that this pipeline runs. The jobs are
    # named after the package, so that the pipelines' jobs read apart in logs and reports.
    image = DockerBuild(
        name=f"build-{package.name}",
        image=f"{ci.REGISTRY_IMAGE}/{package.name}",
        context=package.path,
        stage=build,
        rules=None,
    )
    unit = Job(
        f"test-{package.name}",
        stage=test,
        image=str(image.image_ref),
        needs=[image.job()],
        script=["./run-tests.sh"],
    )
    return Pipeline(stages=[build, test], jobs=[image.job(), unit])


pipeline = Pipeline(
    stages=["packages"],
    jobs=Monorepo(packages=packages, child=child).jobs(),
)
