"""The article's "Security Scanning": build, scan with Trivy, deploy only a clean image.

The scanner image is pinned (the article uses `aquasec/trivy:latest`), its report appears in
merge requests (GitLab's container_scanning report), and the deploy job needs both the build
and the scan, so a CRITICAL or HIGH finding stops the deployment.
"""

from gitlabci_dsl import DockerBuild, Job, Pipeline, Stage, TrivyScan, runs_on

build, scan, deploy = Stage("build"), Stage("scan"), Stage("deploy")

image = DockerBuild(stage=build)
build_job = image.job()

trivy = TrivyScan(image=image.image_ref, stage=scan, needs=[build_job])
scan_job = trivy.job()

release = Job(
    "deploy",
    stage=deploy,
    image="alpine:3.20",
    needs=[build_job, scan_job],
    rules=runs_on("default_branch"),
    script=[f'./deploy.sh "{image.image_ref}"'],
)

pipeline = Pipeline(stages=[build, scan, deploy], jobs=[build_job, scan_job, release])
