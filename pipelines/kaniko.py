"""The article's "Using Kaniko (No Docker-in-Docker)" with KanikoBuild.

The registry credentials file is written with the password base64-encoded together with the
user (valid JSON whatever characters it holds); the image is pushed with every tag of the tag
strategy, and Kaniko's layer cache lives in `$CI_REGISTRY_IMAGE/cache`.
"""

from gitlabci_dsl import KanikoBuild, Pipeline, Stage

build = Stage("build")

image = KanikoBuild(stage=build, cache=True)

pipeline = Pipeline(stages=[build], jobs=[image.job()])
