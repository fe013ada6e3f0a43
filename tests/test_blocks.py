"""Container-registry building blocks: references, credentials, tags, builds and scans."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Literal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitlabci_dsl import (
    BuildahBuild,
    CleanupPolicy,
    DockerBuild,
    ImageRef,
    InlineCache,
    KanikoBuild,
    KubeDeploy,
    Mirror,
    Pipeline,
    PullSecret,
    Registry,
    RegistryCache,
    RegistryCleanup,
    RegistryDebug,
    RegistryPrune,
    Rule,
    TagStrategy,
    TrivyScan,
    ValidationError,
    ci,
    runs_on,
    to_dict,
    to_yaml,
)
from gitlabci_dsl.blocks._shell import escape, literal, quote, word
from gitlabci_dsl.blocks.kaniko import CONFIG
from gitlabci_dsl.compiler import compile_value
from gitlabci_dsl.evaluate.pipeline import plan, preset
from gitlabci_dsl.model.base import FrozenDict

SH = shutil.which("sh") or "/bin/sh"


def run_sh(script: str, env: dict[str, str]) -> str:
    """Run shell text as GitLab's runner would (errexit), with only the given variables."""
    result = subprocess.run(
        [SH, "-ec", script],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


RECORDER = '#!/bin/sh\necho "$*" >> {log}\ncat > /dev/null\n'
"""A fake tool that records its arguments (and swallows standard input)."""


def run_with_fake(
    tmp_path: Path, tool: str, fake: str, script: str, env: dict[str, str]
) -> tuple[str, list[str]]:
    """Run ``script`` under sh with a fake ``tool`` first on PATH (``{log}`` in ``fake`` is the
    call log); return standard output and the logged lines."""
    log = tmp_path / "log"
    path = tmp_path / tool
    path.write_text(fake.format(log=log), encoding="utf-8")
    path.chmod(0o755)
    result = subprocess.run(
        [SH, "-ec", script],
        env={"PATH": f"{tmp_path}:{os.environ['PATH']}", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout, log.read_text(encoding="utf-8").splitlines() if log.exists() else []


# --- image references -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "repository", "tag", "digest"),
    [
        ("alpine", "alpine", None, None),
        ("alpine:3.20", "alpine", "3.20", None),
        (
            "registry.example.com:5000/group/app:v1",
            "registry.example.com:5000/group/app",
            "v1",
            None,
        ),
        ("$CI_REGISTRY_IMAGE/api:$CI_COMMIT_SHA", "$CI_REGISTRY_IMAGE/api", "$CI_COMMIT_SHA", None),
        ("${CI_REGISTRY_IMAGE}:latest", "${CI_REGISTRY_IMAGE}", "latest", None),
        ("localhost:5000/a__b/c-d.e", "localhost:5000/a__b/c-d.e", None, None),
        ("app@sha256:" + "a" * 64, "app", None, "sha256:" + "a" * 64),
    ],
)
def test_image_references_parse(
    text: str, repository: str, tag: str | None, digest: str | None
) -> None:
    """Valid references split into repository, tag and digest, and print back unchanged."""
    ref = ImageRef.parse(text)
    assert (ref.repository, ref.tag, ref.digest) == (repository, tag, digest)
    assert str(ref) == text


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Group/App", "must be lowercase"),
        ("group//app", "must be lowercase"),
        ("group/app-", "must be lowercase"),
        ("app:" + "t" * 129, "1 to 128"),
        ("app:.hidden", "not starting with '.'"),
        ("app:-x", "not starting with '.' or '-'"),
        ("app@sha256:xyz", "sha256:<64 hex digits>"),
        ("bad_host!.com/app", "not a valid registry host"),
        ("", "non-empty"),
    ],
)
def test_invalid_image_references(text: str, fragment: str) -> None:
    """Invalid references name the reference and the rule broken."""
    with pytest.raises(ValidationError) as info:
        ImageRef.parse(text)
    assert fragment in str(info.value)
    assert repr(text) in str(info.value)


# --- registries -----------------------------------------------------------------------------------


def test_registry_passwords_are_variables_never_literals() -> None:
    """A literal secret in the pipeline is refused."""
    with pytest.raises(ValidationError, match="never the secret itself"):
        Registry.basic(host="registry.example.com", user="$U", password="hunter2")


def test_unknown_registry_kind() -> None:
    """Only known registry kinds are accepted."""
    with pytest.raises(ValidationError, match="not a known registry kind"):
        Registry(kind="quay", host="quay.io", user="$U", password="$P")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("registry", "expected"),
    [
        (
            Registry.deploy_token(user="$SHARED_USER", password="$SHARED_TOKEN"),
            {"auths": {"$CI_REGISTRY": {"username": "$SHARED_USER", "password": "$SHARED_TOKEN"}}},
        ),
        (
            Registry.dockerhub(),
            {
                "auths": {
                    "https://index.docker.io/v1/": {
                        "username": "$DOCKERHUB_USER",
                        "password": "$DOCKERHUB_TOKEN",
                    }
                }
            },
        ),
        (Registry.ecr(host="$ECR"), {"credHelpers": {"$ECR": "ecr-login"}}),
        (
            Registry.basic(host="r.example.com", user='od"d\\user', password="$P"),
            {"auths": {"r.example.com": {"username": 'od"d\\user', "password": "$P"}}},
        ),
    ],
)
def test_runner_auth_is_docker_auth_config_json_of_variable_references(
    registry: Registry, expected: dict[str, Any]
) -> None:
    """DOCKER_AUTH_CONFIG is valid JSON naming the credential variables (the runner expands
    them), never their values."""
    assert json.loads(registry.runner_auth()["DOCKER_AUTH_CONFIG"]) == expected


def test_runner_auth_refuses_a_key_file_registry() -> None:
    """Artifact Registry's key is a file the runner cannot read when it pulls images."""
    with pytest.raises(ValidationError, match="DOCKER_AUTH_CONFIG"):
        Registry.gar().runner_auth()


def test_ecr_logins_install_the_aws_cli_or_are_refused() -> None:
    """The docker: image gets the AWS CLI before an ECR login; skopeo/crane mirrors, whose
    images lack it, are refused with the fix."""
    build = DockerBuild(image="$ECR_REGISTRY/app", registry=Registry.ecr()).job()
    assert isinstance(build.before_script, tuple)
    setup, login = build.before_script
    assert setup == "apk add --no-cache aws-cli"
    assert str(login).startswith("aws ecr get-login-password | docker login")
    with pytest.raises(ValidationError, match="tool='docker'"):
        Mirror(source="$CI_REGISTRY_IMAGE:1", target_registry=Registry.ecr())
    mirror = Mirror(source="$CI_REGISTRY_IMAGE:1", target_registry=Registry.ecr(), tool="docker")
    before = mirror.job().before_script
    assert isinstance(before, tuple)
    assert before[0] == "apk add --no-cache aws-cli"


@pytest.mark.parametrize(
    ("registry", "expected"),
    [
        (
            Registry.gitlab(),
            'printf \'%s\' "$CI_REGISTRY_PASSWORD" | docker login --username "$CI_REGISTRY_USER" '
            '--password-stdin "$CI_REGISTRY"',
        ),
        (
            Registry.deploy_token(),
            'printf \'%s\' "$CI_DEPLOY_PASSWORD" | docker login --username "$CI_DEPLOY_USER" '
            '--password-stdin "$CI_REGISTRY"',
        ),
        (
            Registry.job_token(),
            'printf \'%s\' "$CI_JOB_TOKEN" | docker login --username "gitlab-ci-token" '
            '--password-stdin "$CI_REGISTRY"',
        ),
        (
            Registry.ecr(region="eu-west-1"),
            'aws ecr get-login-password --region eu-west-1 | docker login --username "AWS" '
            '--password-stdin "$ECR_REGISTRY"',
        ),
        (
            Registry.gar(host="europe-docker.pkg.dev"),
            'cat "$GCP_SERVICE_ACCOUNT_KEY" | docker login --username "_json_key" '
            '--password-stdin "europe-docker.pkg.dev"',
        ),
    ],
)
def test_logins_pass_the_secret_on_stdin(registry: Registry, expected: str) -> None:
    """Every login reads the secret from standard input; printf is a shell builtin."""
    assert registry.docker_login() == expected
    assert " -p " not in expected
    assert "--password " not in expected


def test_login_really_reads_stdin(tmp_path: Path) -> None:
    """Run the rendered login with a recording `docker`: the password arrives on stdin only."""
    env = {
        "CI_REGISTRY_PASSWORD": "s3cr3t",
        "CI_REGISTRY_USER": "gitlab-ci-token",
        "CI_REGISTRY": "r.example",
    }
    fake = '#!/bin/sh\necho "argv: $*" >> {log}\necho "stdin: $(cat)" >> {log}\n'
    _, (argv, stdin) = run_with_fake(
        tmp_path, "docker", fake, Registry.gitlab().docker_login(), env
    )
    assert argv == "argv: login --username gitlab-ci-token --password-stdin r.example"
    assert stdin == "stdin: s3cr3t"


# --- tags -----------------------------------------------------------------------------------------

SHA = "0123456789abcdef0123456789abcdef01234567"
SOURCES = {
    "default branch": {"CI_COMMIT_BRANCH": "main", "CI_COMMIT_REF_SLUG": "main"},
    "tag": {"CI_COMMIT_TAG": "v1.2.3", "CI_COMMIT_REF_SLUG": "v1-2-3"},
    "feature branch": {"CI_COMMIT_BRANCH": "feature/login", "CI_COMMIT_REF_SLUG": "feature-login"},
    "merge request": {"CI_MERGE_REQUEST_IID": "7", "CI_COMMIT_REF_SLUG": "feature-login"},
}
# What the issue and the article ask for, per pipeline source.
EXPECTED = {
    "default branch": {SHA, "main", "latest"},
    "tag": {SHA, "v1.2.3"},
    "feature branch": {SHA, "feature-login"},
    "merge request": {SHA},
}


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_tag_strategy_shell_pushes_the_right_tags(source: str) -> None:
    """Executed by sh, the tag lines give {SHA, slug, latest} on the default branch, the version
    and never latest on a tag, no latest on other branches."""
    env = {"CI_COMMIT_SHA": SHA, "CI_DEFAULT_BRANCH": "main", **SOURCES[source]}
    strategy = TagStrategy()
    shell = "\n".join(strategy.shell()) + '\necho "$TAGS"'
    pushed = run_sh(shell, env).split()
    assert set(pushed) == EXPECTED[source]
    assert pushed == strategy.tags_for(env)


def test_default_branch_is_not_hard_coded() -> None:
    """A project whose default branch is `trunk` gets latest on trunk, not on main."""
    env = {
        "CI_COMMIT_SHA": SHA,
        "CI_DEFAULT_BRANCH": "trunk",
        "CI_COMMIT_BRANCH": "main",
        "CI_COMMIT_REF_SLUG": "main",
    }
    assert "latest" not in run_sh("\n".join(TagStrategy().shell()) + '\necho "$TAGS"', env).split()
    env |= {"CI_COMMIT_BRANCH": "trunk", "CI_COMMIT_REF_SLUG": "trunk"}
    assert "latest" in run_sh("\n".join(TagStrategy().shell()) + '\necho "$TAGS"', env).split()


def test_tag_strategy_composes() -> None:
    """Parts can be switched off and custom tags added; the short SHA is an option."""
    strategy = TagStrategy(short=True, latest=False, branch=False, custom=["stable"])
    env = {
        "CI_COMMIT_SHORT_SHA": "0123abcd",
        "CI_COMMIT_BRANCH": "main",
        "CI_DEFAULT_BRANCH": "main",
    }
    assert run_sh("\n".join(strategy.shell()) + '\necho "$TAGS"', env).split() == [
        "0123abcd",
        "stable",
    ]
    with pytest.raises(ValidationError, match="custom tag"):
        _ = TagStrategy(sha=False).primary


# --- DockerBuild ----------------------------------------------------------------------------------


def build_job(build: DockerBuild) -> dict[str, Any]:
    job: dict[str, Any] = to_dict(Pipeline(stages=["build"], jobs=[build.job()]))[build.name]
    return job


def test_docker_build_is_pinned_tls_and_stdin() -> None:
    """docker:<version> with the matching dind, TLS on, login on stdin, build then push each tag."""
    job = build_job(DockerBuild())
    assert job["image"] == "docker:27.3.1"
    assert job["services"] == ["docker:27.3.1-dind"]
    variables = job["variables"]
    assert isinstance(variables, dict)
    assert variables["DOCKER_HOST"] == "tcp://docker:2376"
    assert variables["DOCKER_TLS_CERTDIR"] == "/certs"
    assert job["before_script"] == [Registry.gitlab().docker_login()]
    script = "\n".join(job["script"])
    assert '--tag "$IMAGE:$CI_COMMIT_SHA"' in script
    assert 'docker push "$IMAGE:$tag"' in script
    assert "$CI_REGISTRY_PASSWORD" not in script


def test_docker_build_options() -> None:
    """Context, Dockerfile, build args, target and OCI labels reach `docker build`."""
    job = build_job(
        DockerBuild(
            context="api",
            dockerfile="api/Dockerfile.prod",
            build_args={"VERSION": "$CI_COMMIT_TAG"},
            target="runtime",
        )
    )
    script = "\n".join(job["script"])
    for flag in (
        '--file "api/Dockerfile.prod"',
        '--target "runtime"',
        '--build-arg "VERSION=$CI_COMMIT_TAG"',
        '"api"',
    ):
        assert flag in script
    assert '--label "org.opencontainers.image.revision=$CI_COMMIT_SHA"' in script


def test_inline_cache_pulls_tolerantly() -> None:
    """The article's cache: pull the previous image or carry on, then --cache-from it."""
    script = "\n".join(build_job(DockerBuild(cache=InlineCache()))["script"])
    assert 'docker pull "$IMAGE:latest" || true' in script
    assert '--cache-from "$IMAGE:latest"' in script
    assert "--build-arg BUILDKIT_INLINE_CACHE=1" in script


def test_registry_cache_uses_buildx() -> None:
    """A registry cache builds with buildx and exports the cache with --cache-to."""
    script = "\n".join(
        build_job(DockerBuild(cache=RegistryCache(), platform="linux/amd64,linux/arm64"))["script"]
    )
    assert "docker buildx create --use --driver docker-container" in script
    assert '--cache-to "type=registry,ref=$CI_REGISTRY_IMAGE/cache,mode=max"' in script
    assert '--platform "linux/amd64,linux/arm64"' in script
    assert "--push" in script


@pytest.mark.parametrize(
    ("factory", "fragment"),
    [
        (lambda: DockerBuild(image="$CI_REGISTRY_IMAGE:latest"), "leave the tag out"),
        (lambda: DockerBuild(docker_version="latest"), "never 'latest'"),
        (lambda: DockerBuild(image="Registry/App"), "lowercase"),
        (lambda: RegistryCache(mode="all"), "'min' or 'max'"),
    ],
)
def test_docker_build_rejects_bad_input(factory: object, fragment: str) -> None:
    """Bad input is refused when the block is built, naming the field."""
    with pytest.raises(ValidationError, match=fragment):
        factory()  # type: ignore[operator]


def test_many_images_with_changes_and_matrix() -> None:
    """One declaration builds several images; only changed folders rebuild; or one matrix job."""
    builds = DockerBuild.many({"frontend": "./frontend", "api": "services/api/"}, only_changed=True)
    jobs = [build_job(b) for b in builds]
    assert [b.name for b in builds] == ["build-frontend", "build-api"]
    assert jobs[0]["variables"]["IMAGE"] == "$CI_REGISTRY_IMAGE/frontend"
    text = to_yaml(Pipeline(stages=["build"], jobs=[b.job() for b in builds]))

    def built(on: str, changed: list[str] | None = None) -> set[str]:
        return {job.name for job in plan(text, preset(on), changed=changed).jobs}

    assert built("branch:feature", ["services/api/main.go"]) == {"build-api"}
    assert built("branch:feature", ["frontend/app.ts", "README.md"]) == {"build-frontend"}
    assert built("branch:feature", ["README.md"]) == set()
    assert built("tag:v1.0.0", ["README.md"]) == {"build-frontend", "build-api"}
    assert built("schedule") == set()
    no_rules = DockerBuild.many({"api": "api"}, template=DockerBuild(rules=None), only_changed=True)
    text = to_yaml(Pipeline(stages=["build"], jobs=[b.job() for b in no_rules]))
    assert built("tag:v1.0.0", []) == {"build-api"}
    assert built("branch:main", ["docs/x.md"]) == set()
    assert built("branch:main", ["api/x.go"]) == {"build-api"}
    matrix = build_job(DockerBuild.matrix(["frontend", "api"]))
    assert matrix["parallel"] == {"matrix": [{"IMAGE_NAME": ["frontend", "api"]}]}
    assert matrix["variables"]["IMAGE"] == "$CI_REGISTRY_IMAGE/$IMAGE_NAME"


def _template() -> DockerBuild:
    """A DockerBuild whose every field differs from its default."""
    from gitlabci_dsl import Need, Rule, TagStrategy
    from gitlabci_dsl.blocks.docker import RegistryCache

    return DockerBuild(
        name="image",
        image="$CI_REGISTRY_IMAGE/base",
        stage="package",
        context="services",
        dockerfile="Containerfile",
        build_args={"PYTHON": "3.12"},
        target="runtime",
        platform=["linux/amd64", "linux/arm64"],
        labels=False,
        image_tags=TagStrategy(latest=False),
        docker_version="27.2",
        cache=RegistryCache(),
        rules=[Rule(if_="$CI_COMMIT_BRANCH"), Rule(if_="$NIGHTLY", when="never")],
        needs=[Need("lint")],
        tags=["docker", "amd64"],
        timeout="30 minutes",
        retry=1,
        interruptible=True,
        variables={"BUILDKIT_PROGRESS": "plain"},
    )


def test_many_and_matrix_keep_every_field_of_the_template() -> None:
    """A property over all of DockerBuild's fields: many() and matrix() change only what they
    say they set (name, image, context; rules with only_changed; parallel for matrix)."""
    template = _template()
    defaults = DockerBuild()
    fields = [f.name for f in attrs.fields(DockerBuild)]
    unset = [n for n in fields if getattr(template, n) == getattr(defaults, n)]
    assert unset == ["registry", "parallel"]  # the template sets every other field
    (many,) = DockerBuild.many({"api": "services/api"}, template=template)
    (changed,) = DockerBuild.many({"api": "services/api"}, template=template, only_changed=True)
    matrix = DockerBuild.matrix(["api", "web"], template=template)
    for field in fields:
        kept = getattr(template, field)
        if field not in ("name", "image", "context"):
            assert getattr(many, field) == kept, field
        if field not in ("name", "image", "context", "rules"):
            assert getattr(changed, field) == kept, field
        if field not in ("image", "context", "parallel"):
            assert getattr(matrix, field) == kept, field
    assert (many.name, many.context) == ("image-api", "services/api")
    assert matrix.context == "services/$IMAGE_NAME"
    # Each rule of the template that can let the job run gains the folder's changes.
    rules = [r for r in changed.rules or () if isinstance(r, Rule)]
    assert [(r.if_, r.when, r.changes) for r in rules] == [
        ("$CI_COMMIT_BRANCH", None, ("services/api/**/*",)),
        ("$NIGHTLY", "never", None),
    ]


# --- KanikoBuild ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password", ['p"a\\s:s w{o}rd', "ünïcødé-🔑", "$(reboot)`id`", "line\nbreak"]
)
def test_kaniko_config_is_valid_json_whatever_the_password(tmp_path: Path, password: str) -> None:
    """The credentials file is valid JSON and holds base64(user:password), for any password."""
    script = KanikoBuild(registries=[Registry.gitlab(), Registry.ecr()])._config()
    config = tmp_path / "config.json"
    script = script.replace("/kaniko/.docker", str(tmp_path)).replace(CONFIG, str(config))
    env = {
        "CI_REGISTRY": "registry.example.com",
        "CI_REGISTRY_USER": "gitlab-ci-token",
        "CI_REGISTRY_PASSWORD": password,
        "ECR_REGISTRY": "1.dkr.ecr.eu-west-1.amazonaws.com",
    }
    run_sh(script, env)
    data = json.loads(config.read_text(encoding="utf-8"))
    auth = data["auths"]["registry.example.com"]["auth"]
    assert base64.b64decode(auth).decode("utf-8") == f"gitlab-ci-token:{password}"
    assert data["credHelpers"] == {"1.dkr.ecr.eu-west-1.amazonaws.com": "ecr-login"}


def test_kaniko_job() -> None:
    """Executor image with an empty entrypoint, one destination per tag, optional cache."""
    job = to_dict(
        Pipeline(
            stages=["build"],
            jobs=[KanikoBuild(cache=True, destinations=["$MIRROR/app:$CI_COMMIT_SHA"]).job()],
        )
    )["build"]
    assert job["image"] == {
        "name": "gcr.io/kaniko-project/executor:v1.19.0-debug",
        "entrypoint": [""],
    }
    script = "\n".join(job["script"])
    assert "--cache=true" in script
    assert '--cache-repo "$CI_REGISTRY_IMAGE/cache"' in script
    assert '--destination "$MIRROR/app:$CI_COMMIT_SHA"' in script
    assert 'set -- "$@" --destination "$IMAGE:$tag"' in script
    assert script.endswith('"$@"')  # each destination one argument, whatever the image holds
    with pytest.raises(ValidationError, match="needs a tag"):
        KanikoBuild(destinations=["$MIRROR/app"])
    with pytest.raises(ValidationError, match="at least one registry"):
        KanikoBuild(registries=[])


# --- TrivyScan ------------------------------------------------------------------------------------


def test_trivy_scan_gates_by_default() -> None:
    """Pinned scanner, credentials as TRIVY_* variables, exit code 1 on CRITICAL/HIGH, report
    artifact even on failure, and no allow_failure."""
    job = to_dict(
        Pipeline(stages=["scan"], jobs=[TrivyScan(image="$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA").job()])
    )["container-scan"]
    assert job["image"] == {"name": "aquasec/trivy:0.57.1", "entrypoint": [""]}
    assert job["variables"]["TRIVY_USERNAME"] == "$CI_REGISTRY_USER"
    assert job["variables"]["TRIVY_PASSWORD"] == "$CI_REGISTRY_PASSWORD"
    gate = job["script"][-1]
    assert "--exit-code 1" in gate
    assert "--severity CRITICAL,HIGH" in gate
    assert "allow_failure" not in job
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"] == {
        "container_scanning": "gl-container-scanning-report.json"
    }


def test_trivy_options_and_validation() -> None:
    """--ignore-unfixed, JSON/SARIF reports and allow_failure only when asked; bad severities refused."""
    job = to_dict(
        Pipeline(
            stages=["scan"],
            jobs=[
                TrivyScan(
                    image="app:1",
                    ignore_unfixed=True,
                    reports=["json", "sarif"],
                    allow_failure=True,
                ).job()
            ],
        )
    )["container-scan"]
    assert "--ignore-unfixed" in job["script"][-1]
    assert job["artifacts"]["paths"] == ["trivy-report.json", "trivy-report.sarif"]
    assert "reports" not in job["artifacts"]
    assert job["allow_failure"] is True
    with pytest.raises(ValidationError, match="not a Trivy severity"):
        TrivyScan(image="app:1", severity=["SEVERE"])
    with pytest.raises(ValidationError, match="lowercase"):
        TrivyScan(image="App:1")


# --- Mirror ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("tool", ["skopeo", "crane", "docker"])
def test_mirror_copies_every_tag_with_logins_on_stdin(
    tool: Literal["skopeo", "crane", "docker"],
) -> None:
    """Both registries are logged in with --password-stdin; each tag is copied to $TARGET."""
    from gitlabci_dsl import Mirror

    job = to_dict(
        Pipeline(
            stages=["publish"],
            jobs=[Mirror(source="$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA", tool=tool).job()],
        )
    )["mirror"]
    assert job["variables"]["TARGET"] == "$MIRROR_REGISTRY/$CI_PROJECT_NAME"
    assert job["rules"] == [{"if": "$CI_COMMIT_TAG"}]
    logins = job["before_script"]
    if tool == "skopeo":  # skopeo logs in to a credentials file of the job's own
        private, *logins = logins
        assert private.startswith('REGISTRY_AUTH_FILE="$(mktemp)"\nexport REGISTRY_AUTH_FILE\n')
    for login in logins:
        assert "--password-stdin" in login
    assert logins[1].startswith("printf '%s' \"$MIRROR_PASSWORD\" |")
    loop = job["script"][-1]
    assert loop.startswith("for tag in $TAGS; do")
    assert '$TARGET:$tag"' in loop
    if tool == "docker":
        assert job["services"] == ["docker:27.3.1-dind"]
    else:
        assert "services" not in job


def test_mirror_daemonless_copy_really_runs(tmp_path: Path) -> None:
    """Run the skopeo job's script with a recording skopeo: one copy per tag, on a tag pipeline."""
    from gitlabci_dsl import Mirror

    job = to_dict(
        Pipeline(
            stages=["publish"], jobs=[Mirror(source="$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA").job()]
        )
    )["mirror"]
    env = {
        "CI_REGISTRY_IMAGE": "registry.example.com/g/app",
        "CI_COMMIT_SHA": SHA,
        "CI_COMMIT_TAG": "v1.2.3",
        "CI_REGISTRY": "registry.example.com",
        "CI_REGISTRY_USER": "u",
        "CI_REGISTRY_PASSWORD": "p",
        "MIRROR_REGISTRY": "mirror.example.com",
        "MIRROR_USER": "m",
        "MIRROR_PASSWORD": "mp",
        "TARGET": "mirror.example.com/app",
    }
    script = "\n".join([*job["before_script"], *job["script"]])
    _, calls = run_with_fake(tmp_path, "skopeo", RECORDER, script, env)
    assert calls == [
        "login --username u --password-stdin registry.example.com",
        "login --username m --password-stdin mirror.example.com",
        f"copy --all docker://registry.example.com/g/app:{SHA} docker://mirror.example.com/app:{SHA}",
        f"copy --all docker://registry.example.com/g/app:{SHA} docker://mirror.example.com/app:v1.2.3",
    ]


def test_mirror_rejects_bad_input() -> None:
    """Unknown tools and tagged targets are refused."""
    from gitlabci_dsl import Mirror

    with pytest.raises(ValidationError, match="'skopeo', 'crane' or 'docker'"):
        Mirror(source="app:1", tool="rsync")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="leave the tag out"):
        Mirror(source="app:1", target="$MIRROR_REGISTRY/app:1")


# --- Kubernetes -----------------------------------------------------------------------------------


def test_kube_deploy_sets_the_image_and_waits() -> None:
    """kubectl set image deployment/<d> <c>=<image>, rollout status, environment, default branch."""
    from gitlabci_dsl import KubeDeploy

    deploy = KubeDeploy(
        image="$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA",
        deployment="web",
        container="app",
        namespace="shop",
        context="group/app:prod",
        url="https://shop.example.com",
    )
    job = to_dict(Pipeline(stages=["deploy"], jobs=[deploy.job()]))["deploy"]
    assert job["script"] == [
        'kubectl config use-context "group/app:prod"',
        'kubectl --namespace "shop" set image deployment/web "app=$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA"',
        'kubectl --namespace "shop" rollout status deployment/web --timeout=300s',
    ]
    assert job["environment"] == {
        "name": "production",
        "url": "https://shop.example.com",
        "kubernetes": {"agent": "group/app:prod"},
        "deployment_tier": "production",
    }
    assert job["rules"] == [compile_value(rule) for rule in runs_on("default_branch")]
    with pytest.raises(ValidationError, match="Kubernetes name"):
        KubeDeploy(image="app:1", deployment="Web_App", container="app")


def test_pull_secret_never_puts_the_token_on_a_command_line(tmp_path: Path) -> None:
    """The secret is created from a private temporary file written by printf and removed when
    the shell exits; kubectl never sees the token."""
    from gitlabci_dsl import PullSecret

    job = to_dict(Pipeline(stages=["deploy"], jobs=[PullSecret(namespace="shop").job()]))[
        "registry-pull-secret"
    ]
    temp = tmp_path / "temp"
    temp.mkdir()
    env = {
        "CI_DEPLOY_USER": "gitlab+deploy-token-1",
        "CI_DEPLOY_PASSWORD": "tok3n",
        "CI_REGISTRY": "registry.example.com",
        "TMPDIR": str(temp),
    }
    # The fake kubectl keeps a copy of the file it is given, with its permissions.
    keeper = (
        '#!/bin/sh\necho "$*" >> {log}\n'
        'for a in "$@"; do case "$a" in --from-file=*) f="${{a#*=*=}}";'
        ' cp -p "$f" "$(dirname {log})/seen.json";; esac; done\ncat > /dev/null\n'
    )
    _, lines = run_with_fake(tmp_path, "kubectl", keeper, "\n".join(job["script"]), env)
    calls = "\n".join(lines)
    assert "tok3n" not in calls
    assert "create secret generic gitlab-registry --type=kubernetes.io/dockerconfigjson" in calls
    assert "--dry-run=client --output yaml" in calls
    assert "apply -f -" in calls
    seen = tmp_path / "seen.json"
    assert seen.stat().st_mode & 0o777 == 0o600
    config = json.loads(seen.read_text(encoding="utf-8"))
    auth = config["auths"]["registry.example.com"]["auth"]
    assert base64.b64decode(auth).decode() == "gitlab+deploy-token-1:tok3n"
    assert list(temp.iterdir()) == []  # removed when the job's shell exited
    assert "after_script" not in job
    with pytest.raises(ValidationError, match="IAM role"):
        PullSecret(registry=Registry.ecr())


def test_image_pull_secrets_snippet() -> None:
    """The manifest snippet lists the secrets by name."""
    from gitlabci_dsl import image_pull_secrets

    assert image_pull_secrets("gitlab-registry") == "imagePullSecrets:\n- name: gitlab-registry\n"
    with pytest.raises(ValidationError, match="not a Kubernetes name"):
        image_pull_secrets("Bad_Name")


# --- Registry cleanup -----------------------------------------------------------------------------

FAKE_CURL = """#!/bin/sh
echo "$*" >> {log}
echo "stdin: $(cat)" >> {log}
case "$*" in
  *"--request DELETE"*) echo '{{"message":"202 Accepted"}}' ;;
  *) echo '[{{"id":11,"name":"","path":"g/app","project_id":9}},{{"id":12,"name":"api","path":"g/app/api","project_id":9}}]' ;;
esac
"""


def run_cleanup_job(tmp_path: Path, job: dict[str, Any]) -> list[str]:
    env = {
        "API": "https://gitlab.example.com/api/v4/projects/9/registry/repositories",
        "GITLAB_API_TOKEN": "glpat-s3cret",
    }
    out, calls = run_with_fake(tmp_path, "curl", FAKE_CURL, "\n".join(job["script"]), env)
    return [*calls, *out.splitlines()]


def test_registry_cleanup_calls_gitlabs_bulk_delete_per_repository(tmp_path: Path) -> None:
    """List repositories, then DELETE .../repositories/:id/tags for each, token on stdin only."""
    from gitlabci_dsl import RegistryCleanup

    cleanup = RegistryCleanup(keep_n=5, older_than="14d", name_regex_keep="^(main|v.+)$")
    job = to_dict(Pipeline(stages=["cleanup"], jobs=[cleanup.job()]))["registry-cleanup"]
    assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]
    lines = run_cleanup_job(tmp_path, job)
    argv = [line for line in lines if not line.startswith("stdin: ")]
    assert all("glpat-s3cret" not in line for line in argv)
    assert [line for line in lines if line.startswith("stdin: ")] == [
        "stdin: PRIVATE-TOKEN: glpat-s3cret"
    ] * 3
    deletes = [line for line in argv if "--request DELETE" in line]
    assert [d.split()[-1] for d in deletes] == [
        "https://gitlab.example.com/api/v4/projects/9/registry/repositories/11/tags",
        "https://gitlab.example.com/api/v4/projects/9/registry/repositories/12/tags",
    ]
    for flag in (
        "name_regex_delete=.*",
        "name_regex_keep=^(main|v.+)$",
        "keep_n=5",
        "older_than=14d",
    ):
        assert f"--data-urlencode {flag}" in deletes[0]


def test_registry_cleanup_dry_run_deletes_nothing(tmp_path: Path) -> None:
    """dry_run lists the requests it would make and sends no DELETE."""
    from gitlabci_dsl import RegistryCleanup

    job = to_dict(Pipeline(stages=["cleanup"], jobs=[RegistryCleanup(dry_run=True).job()]))[
        "registry-cleanup"
    ]
    lines = run_cleanup_job(tmp_path, job)
    assert not any("--request DELETE" in line for line in lines)
    assert sum(line.startswith("dry run: would DELETE") for line in lines) == 2


def test_cleanup_policy_and_validation() -> None:
    """The standing policy goes through PUT /projects/:id; bad values are refused."""
    from gitlabci_dsl import CleanupPolicy, RegistryCleanup

    job = to_dict(Pipeline(stages=["cleanup"], jobs=[CleanupPolicy(keep_n=5).job()]))[
        "registry-cleanup-policy"
    ]
    script = job["script"][0]
    assert "--request PUT" in script
    assert "'container_expiration_policy_attributes[keep_n]=5'" in script
    assert '"$CI_API_V4_URL/projects/$CI_PROJECT_ID"' in script
    for bad, fragment in [
        ({"keep_n": -1}, "≥ 0"),
        ({"older_than": "a month"}, "'30d'"),
        ({"name_regex_keep": "(unclosed"}, "not a regex GitLab.s RE2 accepts"),
        ({"token": "glpat-literal"}, "never the token"),
    ]:
        with pytest.raises(ValidationError, match=fragment):
            RegistryCleanup(**bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="cadence"):
        CleanupPolicy(cadence="hourly")
    # GitLab's policy keeps 1, 5, 10, 25, 50 or 100 tags and nothing else.
    with pytest.raises(ValidationError, match="only values GitLab's cleanup policy takes"):
        CleanupPolicy(keep_n=3)


# --- Registry debugging ---------------------------------------------------------------------------

FAKE_REGISTRY_CURL = """#!/bin/sh
echo "$*" >> {log}
echo "stdin: $(cat)" >> {log}
case "$*" in
  *--write-out*) printf 401 ;;
  *jwt/auth*) echo '{{"token":"t0k3n","expires_in":300}}' ;;
  *tags/list*) echo '{{"name":"g/app","tags":["latest","0123abcd"]}}' ;;
  *--head*) printf 'HTTP/2 200\\ncontent-type: application/vnd.oci.image.index.v1+json\\ndocker-content-digest: sha256:{digest}\\n' ;;
esac
"""


def test_registry_debug_checks_each_step_without_echoing_secrets(tmp_path: Path) -> None:
    """Reachability, a token (printed as ok only), tags and the manifest digest; credentials on stdin."""
    from gitlabci_dsl import RegistryDebug

    job = to_dict(Pipeline(stages=["build"], jobs=[RegistryDebug().job()]))["registry-debug"]
    env = {
        "CI_REGISTRY": "registry.example.com",
        "CI_REGISTRY_IMAGE": "registry.example.com/g/app",
        "CI_REGISTRY_USER": "gitlab-ci-token",
        "CI_REGISTRY_PASSWORD": "pa55",
        "CI_SERVER_URL": "https://gitlab.example.com",
    }
    fake = FAKE_REGISTRY_CURL.replace("{digest}", "a" * 64)
    out, calls = run_with_fake(tmp_path, "curl", fake, "\n".join(job["script"]), env)
    assert out.splitlines() == [
        "GET https://registry.example.com/v2/ -> HTTP 401",
        "authentication: ok",
        '{"name":"g/app","tags":["latest","0123abcd"]}',
        "content-type: application/vnd.oci.image.index.v1+json",
        "docker-content-digest: sha256:" + "a" * 64,
    ]
    argv = [c for c in calls if not c.startswith("stdin: ")]
    assert not any("pa55" in c or "t0k3n" in c for c in argv)
    assert 'stdin: user = "gitlab-ci-token:pa55"' in calls
    assert any("scope=repository:g/app:pull" in c for c in argv)
    assert any(
        "application/vnd.oci.image.index.v1+json" in c and "manifests/latest" in c for c in argv
    )
    assert job["rules"] == [compile_value(rule) for rule in runs_on("branches", when="manual")]
    with pytest.raises(ValidationError, match="not supported"):
        RegistryDebug(registry=Registry.dockerhub())


def test_buildah_build_job() -> None:
    """Pinned Buildah, vfs/chroot, a job-private credentials file, login on stdin, one build
    with the primary tag, then a push per tag."""
    job = to_dict(Pipeline(jobs=[BuildahBuild().job()]))["build"]
    assert job["image"] == "quay.io/buildah/stable:v1.38.1"
    assert job["variables"] == {
        "IMAGE": "$CI_REGISTRY_IMAGE",
        "STORAGE_DRIVER": "vfs",
        "BUILDAH_ISOLATION": "chroot",
    }
    private, login = job["before_script"]
    assert private.startswith('REGISTRY_AUTH_FILE="$(mktemp)"\nexport REGISTRY_AUTH_FILE\n')
    assert "trap 'rm -f \"$REGISTRY_AUTH_FILE\"' EXIT" in private
    assert login == (
        "printf '%s' \"$CI_REGISTRY_PASSWORD\" | buildah login --username "
        '"$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"'
    )
    tags, build, push = job["script"]
    assert tags.startswith('TAGS="$CI_COMMIT_SHA"')
    assert build.startswith('buildah build \\\n  --tag "$IMAGE:$CI_COMMIT_SHA"')
    assert build.endswith('"."')
    assert (
        push
        == 'for tag in $TAGS; do\n  buildah push "$IMAGE:$CI_COMMIT_SHA" "docker://$IMAGE:$tag"\ndone'
    )


def test_buildah_build_options_and_validation() -> None:
    """The DockerBuild vocabulary maps to buildah's flags; ECR is refused with the way out."""
    job = BuildahBuild(
        dockerfile="docker/Dockerfile",
        target="runtime",
        platform="linux/arm64",
        build_args={"VERSION": "1.2"},
        labels=False,
        context="app",
        image_tags=TagStrategy(short=True, latest=False),
    ).job()
    assert isinstance(job.script, tuple)
    build = str(job.script[1])
    for flag in (
        '--tag "$IMAGE:$CI_COMMIT_SHORT_SHA"',
        '--file "docker/Dockerfile"',
        '--target "runtime"',
        '--platform "linux/arm64"',
        '--build-arg "VERSION=1.2"',
    ):
        assert flag in build
    assert "--label" not in build
    assert build.endswith('"app"')
    assert BuildahBuild(registry=Registry.dockerhub()).image_ref.tag == "$CI_COMMIT_SHA"
    with pytest.raises(ValidationError, match="no AWS CLI for an ECR login"):
        BuildahBuild(registry=Registry.ecr())


def test_registry_prune_job() -> None:
    """Scheduled only, login on stdin, the regexes unexpanded by GitLab, kept digests first."""
    job = to_dict(Pipeline(stages=["cleanup"], jobs=[RegistryPrune().job()]))["registry-prune"]
    assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]
    assert job["variables"]["KEEP"] == {"value": "^(main|latest|v.+)$", "expand": False}
    assert job["variables"]["DELETE"] == {"value": ".*", "expand": False}
    private, login = job["before_script"]
    assert private.startswith('REGISTRY_AUTH_FILE="$(mktemp)"\nexport REGISTRY_AUTH_FILE\n')
    assert "--password-stdin" in login
    collect, delete = job["script"][-2:]
    assert collect.startswith('KEPT=""')
    assert 'skopeo delete "docker://$REPO@$digest"' in delete
    assert "is also a kept tag's" in delete
    dry = RegistryPrune(dry_run=True).job()
    assert "skopeo delete" not in str(dry.script)
    assert "dry run: would delete" in str(dry.script)


def test_registry_prune_validation() -> None:
    """Bad regexes, quotes that would break the shell, and cloud registries are refused."""
    with pytest.raises(ValidationError, match="not a regex GitLab's RE2 accepts"):
        RegistryPrune(name_regex_keep="(")
    with pytest.raises(ValidationError, match="must not contain a quote"):
        RegistryPrune(name_regex_delete="it's")
    with pytest.raises(ValidationError, match="lifecycle policies"):
        RegistryPrune(registry=Registry.ecr())


# --- every field validated at construction --------------------------------------------------------

# What each block needs to be built at all.
REQUIRED: dict[type[Any], dict[str, Any]] = {
    TrivyScan: {"image": "app:1"},
    Mirror: {"source": "app:1"},
    KubeDeploy: {"image": "app:1", "deployment": "web", "container": "app"},
    Registry: {"kind": "basic", "host": "r.example.com", "user": "$U", "password": "$P"},
    ImageRef: {"repository": "app"},
}
BLOCKS: tuple[type[Any], ...] = (
    DockerBuild,
    InlineCache,
    RegistryCache,
    BuildahBuild,
    KanikoBuild,
    TrivyScan,
    Mirror,
    KubeDeploy,
    PullSecret,
    RegistryCleanup,
    CleanupPolicy,
    RegistryPrune,
    RegistryDebug,
    TagStrategy,
    Registry,
    ImageRef,
)


def make(block: type[Any], **fields: Any) -> Any:
    """``block`` (or a subclass of one) with the fields it requires, then ``fields``."""
    required = next((REQUIRED[cls] for cls in block.__mro__ if cls in REQUIRED), {})
    return block(**{**required, **fields})


WRONG: list[tuple[type[Any], str, Any]] = [
    (DockerBuild, "name", 5),
    (DockerBuild, "name", ""),
    (DockerBuild, "image", 5),
    (DockerBuild, "image", "App"),
    (DockerBuild, "stage", 5),
    (DockerBuild, "context", 5),
    (DockerBuild, "context", "a\nb"),
    (DockerBuild, "context", None),
    (DockerBuild, "dockerfile", ["Dockerfile"]),
    (DockerBuild, "dockerfile", ""),
    (DockerBuild, "build_args", ["VERSION=1"]),
    (DockerBuild, "build_args", {"VERSION": 1}),
    (DockerBuild, "build_args", {"1X": "a"}),
    (DockerBuild, "build_args", {"X": "a\rb"}),
    (DockerBuild, "target", 5),
    (DockerBuild, "platform", 5),
    (DockerBuild, "platform", []),
    (DockerBuild, "platform", ["linux/amd64,linux/arm64"]),
    (DockerBuild, "platform", "linux amd64"),
    (DockerBuild, "platform", ["linux/amd64", 5]),
    (DockerBuild, "labels", "yes"),
    (DockerBuild, "labels", None),
    (DockerBuild, "image_tags", "sha"),
    (DockerBuild, "tags", "sha"),
    (DockerBuild, "registry", "$CI_REGISTRY"),
    (DockerBuild, "docker_version", 27),
    (DockerBuild, "docker_version", "latest"),
    (DockerBuild, "cache", "inline"),
    (DockerBuild, "cache", True),
    (DockerBuild, "rules", "$CI_COMMIT_TAG"),
    (DockerBuild, "rules", ["$CI_COMMIT_TAG"]),
    (DockerBuild, "needs", 5),
    (DockerBuild, "needs", [5]),
    (DockerBuild, "parallel", 2),
    (InlineCache, "from_tag", 5),
    (InlineCache, "from_tag", "-x"),
    (RegistryCache, "ref", 5),
    (RegistryCache, "ref", "Bad/Ref"),
    (RegistryCache, "mode", "all"),
    (RegistryCache, "mode", None),
    (BuildahBuild, "builder", 5),
    (BuildahBuild, "builder", "Bad:1"),
    (BuildahBuild, "platform", []),
    (BuildahBuild, "build_args", {"A": 1}),
    (BuildahBuild, "registry", 5),
    (BuildahBuild, "labels", 1),
    (KanikoBuild, "destinations", "app:1"),
    (KanikoBuild, "destinations", ["$MIRROR/app"]),
    (KanikoBuild, "destinations", [5]),
    (KanikoBuild, "registries", []),
    (KanikoBuild, "registries", ["gitlab"]),
    (KanikoBuild, "cache", "yes"),
    (KanikoBuild, "cache_repo", 5),
    (KanikoBuild, "executor", "Bad"),
    (KanikoBuild, "context", None),
    (KanikoBuild, "target", "a\nb"),
    (TrivyScan, "image", 5),
    (TrivyScan, "image", "App:1"),
    (TrivyScan, "severity", "CRITICAL"),
    (TrivyScan, "severity", []),
    (TrivyScan, "severity", ["SEVERE"]),
    (TrivyScan, "exit_code", "1"),
    (TrivyScan, "exit_code", 256),
    (TrivyScan, "exit_code", True),
    (TrivyScan, "ignore_unfixed", 1),
    (TrivyScan, "reports", "gitlab"),
    (TrivyScan, "reports", ["html"]),
    (TrivyScan, "allow_failure", "no"),
    (TrivyScan, "scanner", 5),
    (TrivyScan, "stage", 5),
    (Mirror, "source", 5),
    (Mirror, "target", "$MIRROR_REGISTRY/app:1"),
    (Mirror, "source_registry", "gitlab"),
    (Mirror, "target_registry", None),
    (Mirror, "image_tags", None),
    (Mirror, "tags", "docker"),
    (DockerBuild, "retry", 5),
    (KanikoBuild, "timeout", "soon"),
    (TrivyScan, "variables", {"A": ["x"]}),
    (Mirror, "tool", "rsync"),
    (Mirror, "on", "never"),
    (Mirror, "needs", "build"),
    (KubeDeploy, "image", 5),
    (KubeDeploy, "deployment", "Web_App"),
    (KubeDeploy, "container", 5),
    (KubeDeploy, "namespace", "Shop"),
    (KubeDeploy, "context", "a\nb"),
    (KubeDeploy, "environment", ""),
    (KubeDeploy, "url", 5),
    (KubeDeploy, "tier", "prod"),
    (KubeDeploy, "wait", "5 minutes"),
    (KubeDeploy, "wait", 300),
    (KubeDeploy, "kubectl_image", "Bad"),
    (KubeDeploy, "rules", [5]),
    (PullSecret, "secret", "Bad_Name"),
    (PullSecret, "registry", 5),
    (PullSecret, "namespace", 5),
    (PullSecret, "context", 5),
    (PullSecret, "kubectl_image", 5),
    (PullSecret, "rules", "x"),
    (RegistryCleanup, "name_regex_delete", "("),
    (RegistryCleanup, "name_regex_delete", 5),
    (RegistryCleanup, "name_regex_keep", "a\nb"),
    (RegistryCleanup, "keep_n", -1),
    (RegistryCleanup, "keep_n", "10"),
    (RegistryCleanup, "older_than", "a month"),
    (RegistryCleanup, "older_than", 30),
    (RegistryCleanup, "token", "glpat-x"),
    (RegistryCleanup, "token", 5),
    (RegistryCleanup, "dry_run", "yes"),
    (RegistryCleanup, "curl_image", 5),
    (RegistryCleanup, "rules", None),
    (CleanupPolicy, "enabled", "true"),
    (CleanupPolicy, "cadence", "hourly"),
    (CleanupPolicy, "keep_n", 3),
    (CleanupPolicy, "keep_n", "10"),
    (CleanupPolicy, "older_than", "45d"),
    (CleanupPolicy, "name_regex", 5),
    (CleanupPolicy, "token", "x"),
    (CleanupPolicy, "curl_image", "Bad"),
    (RegistryPrune, "repository", "Bad"),
    (RegistryPrune, "repository", "$CI_REGISTRY_IMAGE:1"),
    (RegistryPrune, "name_regex_delete", "it's"),
    (RegistryPrune, "name_regex_keep", 5),
    (RegistryPrune, "dry_run", 1),
    (RegistryPrune, "skopeo_image", 5),
    (RegistryPrune, "needs", [5]),
    (RegistryDebug, "repository", "Group/App"),
    (RegistryDebug, "repository", 5),
    (RegistryDebug, "reference", "-bad"),
    (RegistryDebug, "reference", 5),
    (RegistryDebug, "curl_image", 5),
    (RegistryDebug, "rules", 5),
    (TagStrategy, "sha", "yes"),
    (TagStrategy, "short", 1),
    (TagStrategy, "branch", None),
    (TagStrategy, "latest", "no"),
    (TagStrategy, "version", 0),
    (TagStrategy, "custom", "stable"),
    (TagStrategy, "custom", ["two words"]),
    (TagStrategy, "custom", ['"quoted"']),
    (TagStrategy, "custom", [5]),
    (Registry, "kind", "quay"),
    (Registry, "kind", 5),
    (Registry, "host", 5),
    (Registry, "host", "bad host"),
    (Registry, "user", 5),
    (Registry, "user", "a\nb"),
    (Registry, "password", 5),
    (Registry, "password", "hunter2"),
    (Registry, "region", "Europe"),
    (Registry, "region", 5),
    (ImageRef, "repository", 5),
    (ImageRef, "tag", 5),
    (ImageRef, "digest", 5),
]


def test_the_table_of_wrong_values_covers_every_block() -> None:
    """Every block has rows in the table of wrong values below."""
    assert {row[0] for row in WRONG} == set(BLOCKS)


@pytest.mark.parametrize(
    ("block", "field", "value"),
    WRONG,
    ids=[f"{block.__name__}.{field}={value!r}" for block, field, value in WRONG],
)
def test_a_wrong_value_is_refused_naming_the_block_the_field_and_the_value(
    block: type[Any], field: str, value: Any
) -> None:
    """A wrong value is refused at construction in one line naming block, name, field and value."""
    with pytest.raises(ValidationError) as info:
        make(block, **{field: value})
    message = str(info.value)
    assert "\n" not in message
    name = getattr(make(block), "name", None)
    owner = block.__name__ if name is None or field == "name" else f"{block.__name__} {name!r}"
    # Registry's own messages say which kind of registry: Registry('basic'): ...
    assert message.startswith((f"{owner}: ", f"{block.__name__}('basic'): ")), message
    assert f"{field}=" in message
    assert repr(value)[:60] in message


def test_messages_name_the_block_by_its_name() -> None:
    """The message carries the block's name (two DockerBuilds are told apart) and the fix."""
    with pytest.raises(ValidationError) as info:
        DockerBuild(name="build-api", platform=["linux/amd64", "linux arm64"])
    assert str(info.value) == (
        "DockerBuild 'build-api': platform=['linux/amd64', 'linux arm64'] must be a platform such "
        "as 'linux/amd64' or a list of them, e.g. ['linux/amd64', 'linux/arm64']; 'linux arm64' "
        "is not a platform."
    )
    with pytest.raises(ValidationError) as info:
        DockerBuild(name="build-api", rules="$CI_COMMIT_TAG")  # type: ignore[arg-type]
    assert str(info.value).endswith("See https://docs.gitlab.com/ci/yaml/#rules")


def test_every_block_builds_with_its_defaults() -> None:
    """The validators accept every block's defaults, nested blocks' included."""
    for block in BLOCKS:
        built = make(block)
        if hasattr(built, "job"):
            built.job()


# --- platform -------------------------------------------------------------------------------------


@pytest.mark.parametrize("block", [DockerBuild, BuildahBuild])
def test_a_list_of_platforms_is_written_comma_joined(block: type[Any]) -> None:
    """platform=[...] is written comma-joined (it used to write "--platform \"['linux/amd64']\"")."""
    one = "\n".join(str(line) for line in block(platform=["linux/amd64"]).job().script)
    assert '--platform "linux/amd64"' in one
    assert "['" not in one
    both = block(platform=["linux/amd64", "linux/arm64"])
    assert both.platform == ("linux/amd64", "linux/arm64")
    script = "\n".join(str(line) for line in both.job().script)
    assert '--platform "linux/amd64,linux/arm64"' in script
    assert both.job() == block(platform="linux/amd64,linux/arm64").job()
    with pytest.raises(ValidationError, match="must name at least one platform"):
        block(platform=[])


# --- mutable inputs are frozen --------------------------------------------------------------------

MUTABLE: list[tuple[type[Any], str, Any, Any]] = [
    (DockerBuild, "build_args", lambda: {"VERSION": "1"}, lambda v: v.update(VERSION="2")),
    (DockerBuild, "platform", lambda: ["linux/amd64"], lambda v: v.append("linux/arm64")),
    (DockerBuild, "rules", lambda: [Rule(if_=ci.COMMIT_TAG)], lambda v: v.clear()),
    (DockerBuild, "needs", lambda: ["lint"], lambda v: v.append("test")),
    (BuildahBuild, "build_args", lambda: {"VERSION": "1"}, lambda v: v.clear()),
    (BuildahBuild, "platform", lambda: ["linux/amd64"], lambda v: v.append("linux/arm64")),
    (KanikoBuild, "build_args", lambda: {"VERSION": "1"}, lambda v: v.update(X="y")),
    (KanikoBuild, "destinations", lambda: ["$M/app:1"], lambda v: v.append("$M/app:2")),
    (KanikoBuild, "registries", lambda: [Registry.gitlab()], lambda v: v.append(Registry.ecr())),
    (TrivyScan, "severity", lambda: ["CRITICAL"], lambda v: v.append("LOW")),
    (TrivyScan, "reports", lambda: ["gitlab"], lambda v: v.append("sarif")),
    (Mirror, "needs", lambda: ["build"], lambda v: v.append("scan")),
    (KubeDeploy, "rules", lambda: [Rule(if_=ci.COMMIT_TAG)], lambda v: v.clear()),
    (PullSecret, "needs", lambda: ["build"], lambda v: v.clear()),
    (RegistryCleanup, "rules", lambda: [Rule(if_=ci.COMMIT_TAG)], lambda v: v.clear()),
    (CleanupPolicy, "rules", lambda: [Rule(if_=ci.COMMIT_TAG)], lambda v: v.clear()),
    (RegistryPrune, "needs", lambda: ["build"], lambda v: v.clear()),
    (RegistryDebug, "rules", lambda: [Rule(if_=ci.COMMIT_TAG)], lambda v: v.clear()),
    (TagStrategy, "custom", lambda: ["stable"], lambda v: v.append("edge")),
]


@pytest.mark.parametrize(
    ("block", "field", "given", "change"),
    MUTABLE,
    ids=[f"{block.__name__}.{field}" for block, field, _, _ in MUTABLE],
)
def test_changing_the_callers_list_or_dict_later_does_not_change_the_job(
    block: type[Any], field: str, given: Any, change: Any
) -> None:
    """Blocks keep frozen copies: mutating the caller's list or dict later leaves the job as it was."""
    value = given()
    built = make(block, **{field: value})
    before = built.job() if hasattr(built, "job") else built.shell()
    change(value)
    assert (built.job() if hasattr(built, "job") else built.shell()) == before
    kept = getattr(built, field)
    assert isinstance(kept, (tuple, FrozenDict))
    if isinstance(kept, FrozenDict):
        with pytest.raises(TypeError, match="read-only"):
            kept["X"] = "y"


def test_default_lists_and_dicts_are_frozen_too() -> None:
    """Default lists and dicts are tuples and read-only dicts, like given ones."""
    assert isinstance(DockerBuild().build_args, FrozenDict)
    assert isinstance(RegistryCleanup().rules, tuple)
    assert isinstance(KubeDeploy(image="app:1", deployment="web", container="app").rules, tuple)


# --- the shell quoting helper ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "word"),
    [
        ("linux/amd64", '"linux/amd64"'),
        ("$IMAGE:$CI_COMMIT_SHA", '"$IMAGE:$CI_COMMIT_SHA"'),
        ("${CI_REGISTRY_IMAGE}/api", '"${CI_REGISTRY_IMAGE}/api"'),
        ("two words", '"two words"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("`id`", '"\\`id\\`"'),
        ("$(id)", '"\\$(id)"'),
        ("cost: 5$", '"cost: 5\\$"'),
        ("$1 $? $$ $-", '"\\$1 \\$? \\$\\$ \\$-"'),
        ("${X:-$(id)}", '"\\${X:-\\$(id)}"'),
        ("$$X", '"\\$$X"'),
        ("it's", '"it\'s"'),
        ("", '""'),
    ],
)
def test_quote_escapes_everything_but_variable_references(value: str, word: str) -> None:
    """quote() writes "value", keeps $NAME/${NAME} and escapes ", \\, backquotes and other $."""
    assert quote(value) == word


HOSTILE = [
    "plain",
    "two  words",
    'say "hi"',
    "it's",
    "back\\slash\\",
    "\\$(id)",
    "`touch pwned`",
    "$(touch pwned)",
    "${X:-$(touch pwned)}",
    "a;touch pwned",
    "cost 5$",
    "$1$?$$",
    "!bang *",
    "tab\there",
    "new\nline",
    "ünïcødé-🔑",
    "-n",
    "",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_quoted_value_reaches_the_shell_as_written(tmp_path: Path, value: str) -> None:
    """sh prints a quoted hostile value exactly as written and runs nothing in it."""
    done = subprocess.run(
        [SH, "-c", f"printf %s {quote(value)}"],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == value
    assert not (tmp_path / "pwned").exists()


def test_quoted_variable_references_still_expand() -> None:
    """$NAME and ${NAME} in a quoted value still expand in sh; the rest stays as written."""
    env = {"IMAGE": "registry.example.com/app", "CI_COMMIT_SHA": "abc", "EMPTY": ""}
    value = '$IMAGE:${CI_COMMIT_SHA}-$(id) "$EMPTY" $UNSET.'
    assert run_sh(f"printf %s {quote(value)}", env) == 'registry.example.com/app:abc-$(id) "" .'
    assert run_sh(f'printf %s "prefix {escape(value)}"', env) == (
        'prefix registry.example.com/app:abc-$(id) "" .'
    )


def test_word_and_literal_follow_the_same_rules() -> None:
    """word() leaves plain words bare, literal() expands nothing, and no helper takes a NUL."""
    assert word("eu-west-1") == "eu-west-1"
    assert word("deployment/app") == "deployment/app"
    assert word("deployment/$APP") == '"deployment/$APP"'
    assert word("a b") == '"a b"'
    env = {"HOME": "/home/me"}
    for value in ["^(main|v.+)$", "it's $HOME", "`id` $(id)"]:
        assert run_sh(f"printf %s {literal(value)}", env) == value
    for helper in (quote, escape, word, literal):
        with pytest.raises(ValueError, match="NUL"):
            helper("a\0b")


def test_a_hostile_value_reaches_docker_as_written(tmp_path: Path) -> None:
    """DockerBuild's hostile target, Dockerfile, build arg and context reach docker as written."""
    evil = 'a"b\\c `touch pwned` $(touch pwned) 5$ ${X:-y}'
    build = DockerBuild(
        target=evil, dockerfile=evil, build_args={"ARG": evil}, context=evil, labels=False
    )
    script = build.job().script
    assert isinstance(script, tuple)
    command = str(script[1])
    fake = '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done >> {log}\n'
    env = {"IMAGE": "r.example/app", "CI_COMMIT_SHA": SHA}
    _, args = run_with_fake(tmp_path, "docker", fake, f"cd {tmp_path}\n{command}", env)
    assert args == [
        "build",
        "--pull",
        "--tag",
        f"r.example/app:{SHA}",
        "--file",
        evil,
        "--target",
        evil,
        "--build-arg",
        f"ARG={evil}",
        evil,
    ]
    assert not (tmp_path / "pwned").exists()


# --- subclasses -----------------------------------------------------------------------------------


class MyBuild(DockerBuild):
    """A user's build block with a helper method."""

    def helper(self) -> str:
        return f"built {self.image}"


@attrs.frozen(kw_only=True)
class TeamBuild(DockerBuild):
    """A user's build block with a field of its own."""

    team: str = "platform"


def test_a_subclass_of_docker_build_is_a_docker_build() -> None:
    """A subclass with a helper or an extra attrs field validates and writes DockerBuild's job."""
    options: dict[str, Any] = {"name": "build-api", "context": "api", "cache": InlineCache()}
    expected = DockerBuild(**options).job()
    assert MyBuild(**options).job() == expected
    assert MyBuild(**options).helper() == "built $CI_REGISTRY_IMAGE"
    assert TeamBuild(team="web", **options).job() == expected
    assert TeamBuild(team="web").team == "web"
    with pytest.raises(ValidationError, match=r"^MyBuild 'build': platform=\[\] must name"):
        MyBuild(platform=[])
    with pytest.raises(ValidationError, match=r"^TeamBuild 'build': labels='no' must be True"):
        TeamBuild(labels="no")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^TeamBuild 'build': team=None must not be None"):
        TeamBuild(team=None)  # type: ignore[arg-type]


def subclasses(block: Any) -> tuple[type[Any], type[Any]]:
    """A plain subclass of ``block`` with a helper method, and an attrs one adding a field."""

    class WithHelper(block):  # type: ignore[misc]
        def helper(self) -> str:
            return "helped"

    @attrs.frozen(kw_only=True)
    class WithField(block):  # type: ignore[misc]
        team: str = "platform"

    return WithHelper, WithField


@pytest.mark.parametrize("block", BLOCKS, ids=[b.__name__ for b in BLOCKS])
def test_subclasses_of_every_block_work(block: type[Any]) -> None:
    """Subclasses of every block construct, validate inherited fields and write the same job."""
    with_helper, with_field = subclasses(block)
    base = make(block)
    for cls in (with_helper, with_field):
        built = make(cls)
        assert isinstance(built, block)
        if hasattr(base, "job"):
            assert built.job() == base.job()
        row = next(row for row in WRONG if row[0] is block)
        with pytest.raises(ValidationError, match=f"^{cls.__name__}"):
            make(cls, **{row[1]: row[2]})
    assert make(with_helper).helper() == "helped"
    assert make(with_field, team="web").team == "web"


def test_subclassed_nested_blocks_stand_in_for_theirs() -> None:
    """Subclasses of TagStrategy, Registry, InlineCache and ImageRef stand in for them."""
    tags, _ = subclasses(TagStrategy)
    cache, _ = subclasses(InlineCache)
    registry, _ = subclasses(Registry)
    ref, _ = subclasses(ImageRef)
    custom = DockerBuild(
        image_tags=tags(custom=["stable"]),
        cache=cache(),
        registry=registry(kind="gitlab", host="$CI_REGISTRY", user="$U", password="$P"),
    )
    plain = DockerBuild(
        image_tags=TagStrategy(custom=["stable"]),
        cache=InlineCache(),
        registry=Registry(kind="gitlab", host="$CI_REGISTRY", user="$U", password="$P"),
    )
    assert custom.job() == plain.job()
    scan = TrivyScan(image=ref(repository="app", tag="1"))
    assert scan.job() == TrivyScan(image="app:1").job()


@given(st.text(alphabet=st.characters(exclude_characters="\x00"), max_size=20))
def test_literal_words_are_shlex_quote_words(value: str) -> None:
    """literal() writes the words shlex.quote writes (without importing shlex at start-up)."""
    import shlex

    assert literal(value) == shlex.quote(value)


def test_cleanup_regexes_are_the_ones_gitlabs_re2_accepts() -> None:
    """GitLab matches tag names with RE2: a lookahead, which Python's re takes, is refused
    when the block is built instead of by GitLab's API at run time."""
    from gitlabci_dsl import RegistryCleanup, ValidationError

    with pytest.raises(ValidationError, match="not a regex GitLab's RE2 accepts"):
        RegistryCleanup(name_regex_keep="^(?!main).*")
    assert RegistryCleanup(name_regex_keep="^(main|v.+)$").name_regex_keep == "^(main|v.+)$"


def test_the_cleanup_policy_job_never_blocks_a_pipeline() -> None:
    """A manual job without allow_failure blocks every later stage of the pipeline (GitLab's
    docs on blocking manual jobs); the policy job is optional, on the default branch only."""
    from gitlabci_dsl import CleanupPolicy

    text = to_yaml(Pipeline(stages=["cleanup"], jobs=[CleanupPolicy().job()]))
    (job,) = plan(text, preset("branch:main")).jobs
    assert (job.when, job.allow_failure) == ("manual", True)
    for on in ("branch:feature", "tag:v1.0.0", "schedule", "mr"):
        assert plan(text, preset(on)).jobs == (), on


def test_every_block_takes_the_common_job_options_named_as_gitlab_names_them() -> None:
    """Runner tags, timeout, retry, interruptible and variables reach each block's job
    unchanged (variables over the block's own), with no attrs.evolve needed."""
    from gitlabci_dsl import (
        BuildahBuild,
        CleanupPolicy,
        KubeDeploy,
        PullSecret,
        RegistryCleanup,
        RegistryDebug,
        RegistryPrune,
    )

    options: dict[str, Any] = {
        "tags": ["docker"],
        "timeout": "20 minutes",
        "retry": 2,
        "interruptible": True,
        "variables": {"EXTRA": "1"},
    }
    blocks = [
        DockerBuild(**options),
        BuildahBuild(**options),
        KanikoBuild(**options),
        TrivyScan(image="$CI_REGISTRY_IMAGE:1", **options),
        Mirror(source="$CI_REGISTRY_IMAGE:1", **options),
        RegistryCleanup(**options),
        CleanupPolicy(**options),
        RegistryPrune(repository="$CI_REGISTRY_IMAGE", **options),
        KubeDeploy(image="$CI_REGISTRY_IMAGE:1", deployment="app", container="app", **options),
        PullSecret(**options),
        RegistryDebug(**options),
    ]
    for block in blocks:
        job = block.job()
        assert (job.tags, job.timeout, job.retry, job.interruptible) == (
            ("docker",),
            "20 minutes",
            2,
            True,
        ), type(block).__name__
        assert job.variables is not None
        assert job.variables["EXTRA"] == "1"
        plain = attrs.evolve(
            block, tags=None, timeout=None, retry=None, interruptible=None, variables=None
        ).job()
        assert {k: v for k, v in job.variables.items() if k != "EXTRA"} == dict(
            plain.variables or {}
        )


def test_the_tag_strategy_is_image_tags_and_the_old_spelling_still_works() -> None:
    """tags= is GitLab's runner tags now; tags=TagStrategy(...) moves to image_tags= with a
    DeprecationWarning naming the fix."""
    with pytest.warns(DeprecationWarning, match=r"write image_tags=TagStrategy"):
        old = DockerBuild(tags=TagStrategy(latest=False))
    assert old == DockerBuild(image_tags=TagStrategy(latest=False))
    assert old.tags is None
    with pytest.raises(ValidationError, match="must be runner tags"):
        TrivyScan(image="$CI_REGISTRY_IMAGE:1", tags=TagStrategy())


def test_mirror_takes_rules_of_its_own() -> None:
    from gitlabci_dsl import Rule

    own = [Rule(if_="$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH")]
    assert Mirror(source="$CI_REGISTRY_IMAGE:1", rules=own).job().rules == tuple(own)
    assert Mirror(source="$CI_REGISTRY_IMAGE:1").job().rules == runs_on("tags")
    assert Mirror(source="$CI_REGISTRY_IMAGE:1", on="always").job().rules == runs_on(
        "branches", "tags"
    )
