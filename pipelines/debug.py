"""The article's "Debugging Registry Issues": a manual job that checks each step.

It reports whether the registry answers, whether the job's credentials get a token (without
printing it), which tags exist and what `latest` points to — asking for OCI and Docker v2
manifests. Credentials reach curl on stdin; the article's `curl --user user:password` and
`docker login -p` show them to anyone who can list processes.
"""

from gitlabci_dsl import Pipeline, RegistryDebug, Stage

build = Stage("build")

pipeline = Pipeline(stages=[build], jobs=[RegistryDebug(stage=build).job()])
