"""Every keyword of GitLab's CI schema, once: a tour of the model (and a test fixture).

Run ``gitlabci-dsl compile docs/examples/every_keyword.py --stdout`` to see the YAML.
"""

from gitlabci_dsl import (
    AllowFailure,
    Artifacts,
    AutoCancel,
    AwsSecret,
    AzureSecret,
    Cache,
    CacheKey,
    Changes,
    CoverageReport,
    DastConfiguration,
    Default,
    DockerOptions,
    Environment,
    Exists,
    Forward,
    GcpSecret,
    GitlabSecret,
    Hooks,
    IdToken,
    Image,
    Include,
    Inherit,
    Input,
    InputRule,
    Job,
    KubernetesEnvironment,
    KubernetesOptions,
    Need,
    OnlyExcept,
    Pages,
    Parallel,
    Pipeline,
    Reference,
    Release,
    ReleaseLink,
    Reports,
    Retry,
    Rule,
    Secret,
    Service,
    Spec,
    Stage,
    Step,
    Trigger,
    Variable,
    VaultEngine,
    VaultSecret,
    Workflow,
    ci,
)

build, test, deploy = Stage("build"), Stage("test"), Stage("deploy")

setup = Job(
    ".setup",
    before_script=["echo setting up"],
    variables={"SETUP": "1"},
)

compile_ = Job(
    "compile",
    stage=build,
    image=Image(
        "docker:27.3",
        entrypoint=[""],
        docker=DockerOptions(platform="linux/amd64", user="root"),
        kubernetes=KubernetesOptions(user="1000"),
        pull_policy=["always", "if-not-present"],
    ),
    services=[
        Service(
            "docker:27.3-dind",
            alias="docker",
            entrypoint=["dockerd-entrypoint.sh"],
            command=["--tls=true"],
            variables={"DOCKER_TLS_CERTDIR": "/certs"},
            pull_policy="if-not-present",
        ),
        "postgres:16.4",
    ],
    variables={
        "DOCKER_HOST": "tcp://docker:2376",
        "LITERAL": Variable(value="$NOT_EXPANDED", expand=False),
    },
    rules=[
        Rule(
            if_=f"{ci.COMMIT_BRANCH} == {ci.DEFAULT_BRANCH}",
            changes=Changes(paths=["src/**/*"], compare_to="refs/heads/main"),
            variables={"DEPLOY": "true"},
            when="on_success",
            allow_failure=False,
            interruptible=True,
        ),
        Rule(exists=Exists(paths=["Dockerfile"], project="group/other", ref="main")),
        Rule(changes=["Dockerfile"], when="delayed", start_in="5 minutes"),
        Rule(if_=ci.COMMIT_TAG, needs=["lint"], when="manual"),
    ],
    before_script=[Reference(setup, "before_script"), "docker info"],
    script=[
        "docker build -t $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA .",
        'if [ -n "$CI_COMMIT_TAG" ]; then\n  echo tagged\nfi\n',
    ],
    after_script=["docker logout $CI_REGISTRY"],
    hooks=Hooks(pre_get_sources_script=["git config --global http.postBuffer 524288000"]),
    cache=[
        Cache(
            key=CacheKey(files=["package-lock.json"], prefix="npm"),
            paths=[".npm/"],
            policy="pull-push",
            unprotect=False,
            untracked=False,
            when="on_success",
            fallback_keys=["npm-main"],
        ),
        Cache(key="build-$CI_COMMIT_REF_SLUG", paths=["build/"], policy="pull"),
    ],
    artifacts=Artifacts(
        paths=["dist/"],
        exclude=["dist/**/*.tmp"],
        expose_as="Build output",
        name="build-$CI_COMMIT_SHORT_SHA",
        untracked=False,
        when="always",
        access="developer",
        expire_in="1 week",
        reports=Reports(
            junit=["report.xml"],
            coverage_report=CoverageReport(coverage_format="cobertura", path="coverage.xml"),
            container_scanning="gl-container-scanning-report.json",
            dotenv="build.env",
            sarif="trivy.sarif",
        ),
    ),
    coverage="/TOTAL.*\\s(\\d+)%/",
    allow_failure=AllowFailure(exit_codes=[137, 255]),
    timeout="1h 30m",
    retry=Retry(max=2, when=["runner_system_failure", "stuck_or_timeout_failure"], exit_codes=137),
    interruptible=True,
    resource_group="builder",
    tags=["docker", "linux"],
    id_tokens={"VAULT_ID_TOKEN": IdToken(aud="https://vault.example.com")},
    secrets={
        "DATABASE_PASSWORD": Secret(
            vault=VaultSecret(
                engine=VaultEngine(name="kv-v2", path="ops"), path="production/db", field="password"
            ),
            token="$VAULT_ID_TOKEN",
        ),
        "SHORT": Secret(vault="production/db/password@ops", file=False),
        "GCP": Secret(gcp_secret_manager=GcpSecret(name="db", version=2), token="$GCP_TOKEN"),
        "AZURE": Secret(azure_key_vault=AzureSecret(name="db", version="1")),
        "AWS": Secret(aws_secrets_manager=AwsSecret(secret_id="db", region="eu-west-1")),
        "GITLAB": Secret(gitlab_secrets_manager=GitlabSecret(name="DB_PASSWORD")),
    },
    identity="google_cloud",
    inherit=Inherit(default=["image", "retry"], variables=["DOCKER_HOST"]),
)

lint = Job("lint", stage=test, script="make lint", needs=[])

unit = Job(
    "unit",
    stage=test,
    extends=[setup],
    needs=[compile_, Need("lint", artifacts=False, optional=True)],
    dependencies=[compile_],
    parallel=Parallel(matrix=[{"PYTHON": ["3.11", "3.12"], "DB": "postgres"}]),
    script=["make test"],
    when="on_success",
)

sharded = Job("sharded", stage=test, script=["make shard"], parallel=3, needs=[])

steps = Job(
    "steps",
    stage=test,
    run=[
        Step(name="hello", script="echo hello"),
        Step(
            name="greet",
            step="gitlab.com/gitlab-org/ci-cd/runner-tools/echo-step@v1",
            inputs={"echo": "hi"},
        ),
    ],
)

dast = Job(
    "dast",
    stage=test,
    script=["/analyze"],
    dast_configuration=DastConfiguration(site_profile="site", scanner_profile="quick"),
    only=OnlyExcept(
        refs=["main"], variables=["$RUN_DAST"], changes=["app/**/*"], kubernetes="active"
    ),
    except_=["tags"],
)

stop_review = Job(
    "stop-review",
    stage=deploy,
    script=["make stop"],
    environment=Environment("review/$CI_COMMIT_REF_SLUG", action="stop"),
    when="manual",
    manual_confirmation="Really stop the review app?",
)

review = Job(
    "review",
    stage=deploy,
    script=["make review"],
    environment=Environment(
        "review/$CI_COMMIT_REF_SLUG",
        url="https://$CI_COMMIT_REF_SLUG.example.com",
        on_stop=stop_review,
        auto_stop_in="1 day",
        deployment_tier="development",
        kubernetes=KubernetesEnvironment(agent="group/agents:review", namespace="review"),
    ),
    needs=[Need(compile_, artifacts=True)],
)

release = Job(
    "release",
    stage=deploy,
    image="registry.gitlab.com/gitlab-org/release-cli:v0.20.0",
    script=["echo releasing $CI_COMMIT_TAG"],
    release=Release(
        tag_name=ci.COMMIT_TAG,
        description="Release $CI_COMMIT_TAG",
        name="v$CI_COMMIT_TAG",
        ref=ci.COMMIT_SHA,
        milestones=["m1"],
        released_at="2026-03-15T08:00:00Z",
        assets=[ReleaseLink(name="binary", url="https://example.com/bin", link_type="package")],
    ),
    rules=[Rule(if_=ci.COMMIT_TAG)],
)

pages = Job(
    "pages",
    stage=deploy,
    script=["make site"],
    pages=Pages(path_prefix="$CI_COMMIT_BRANCH", expire_in="1 week", publish="public"),
)

downstream = Job(
    "downstream",
    stage=deploy,
    trigger=Trigger(
        project="group/deployer",
        branch="main",
        strategy="depend",
        forward=Forward(yaml_variables=True, pipeline_variables=False),
        inputs={"environment": "production"},
    ),
)

child = Job(
    "child",
    stage=deploy,
    trigger=Trigger(
        include=[
            Include(local="ci/child.yml", inputs={"mode": "fast"}),
            Include(artifact="generated.yml", job="compile"),
        ],
        strategy="mirror",
    ),
)

delayed = Job("delayed", stage=deploy, script=["make later"], when="delayed", start_in="30 minutes")

pipeline = Pipeline(
    spec=Spec(
        inputs={
            "environment": Input(
                type="string",
                description="Where to deploy",
                options=["staging", "production"],
                default="staging",
            ),
            "replicas": Input(type="number", default=2),
            "verbose": Input(type="boolean", default=False, rules=None),
            "paths": Input(type="array", default=["a", "b"]),
            "region": Input(
                regex="^[a-z]+-[a-z]+-[0-9]$",
                rules=[
                    InputRule(
                        if_='$[[ inputs.environment ]] == "production"',
                        options=["eu-west-1"],
                        default="eu-west-1",
                    )
                ],
            ),
            "token": None,
        },
        description="The whole keyword inventory",
    ),
    include=[
        Include(local="ci/common.yml", rules=[Rule(if_=ci.COMMIT_BRANCH, when="always")]),
        Include(project="group/templates", file=["docker.yml", "lint.yml"], ref="v1.2.0"),
        Include(
            remote="https://example.com/ci.yml", integrity="sha256-" + "A" * 43 + "=", cache="1 day"
        ),
        Include(template="Jobs/SAST.gitlab-ci.yml"),
        Include(
            component="$CI_SERVER_FQDN/group/components/build@1.0.0", inputs={"stage": "build"}
        ),
    ],
    stages=[build, test, deploy],
    variables={
        "GLOBAL": "value",
        "DEPLOY_TARGET": Variable(
            value="staging", description="Where to deploy", options=["staging", "production"]
        ),
        "NUMBER": 3,
    },
    workflow=Workflow(
        name="Pipeline for $CI_COMMIT_REF_NAME",
        auto_cancel=AutoCancel(on_new_commit="interruptible", on_job_failure="all"),
        rules=[
            Rule(
                if_=f'{ci.PIPELINE_SOURCE} == "merge_request_event"',
                auto_cancel=AutoCancel(on_new_commit="none"),
            ),
            Rule(if_=ci.COMMIT_BRANCH, variables={"IS_BRANCH": "true"}, when="always"),
            Rule(when="never"),
        ],
    ),
    default=Default(
        image=Image("alpine:3.20"),
        services=["redis:7.4"],
        before_script=["echo default before"],
        after_script=["echo default after"],
        hooks=Hooks(pre_get_sources_script="echo hook"),
        cache=Cache(key="default", paths=[".cache/"]),
        artifacts=Artifacts(expire_in="3 days"),
        interruptible=False,
        id_tokens={"ID": IdToken(aud=["a", "b"])},
        identity="google_cloud",
        retry=1,
        tags=["shared"],
        timeout="20 minutes",
    ),
    jobs=[
        setup,
        compile_,
        lint,
        unit,
        sharded,
        steps,
        dast,
        stop_review,
        review,
        release,
        pages,
        downstream,
        child,
        delayed,
    ],
)
