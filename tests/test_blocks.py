"""Container-registry building blocks: references, credentials, tags, builds and scans."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Literal

import pytest

from gitlabci_dsl import (
    BuildahBuild,
    DockerBuild,
    ImageRef,
    InlineCache,
    KanikoBuild,
    Mirror,
    Pipeline,
    Registry,
    RegistryCache,
    RegistryPrune,
    TagStrategy,
    TrivyScan,
    ValidationError,
    to_dict,
)
from gitlabci_dsl.blocks.kaniko import CONFIG

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
    assert jobs[1]["rules"] == [{"if": "$CI_COMMIT_TAG"}, {"changes": ["services/api/**/*"]}]
    matrix = build_job(DockerBuild.matrix(["frontend", "api"]))
    assert matrix["parallel"] == {"matrix": [{"IMAGE_NAME": ["frontend", "api"]}]}
    assert matrix["variables"]["IMAGE"] == "$CI_REGISTRY_IMAGE/$IMAGE_NAME"


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
    assert "--destination $IMAGE:$tag" in script
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
        assert private.startswith('export REGISTRY_AUTH_FILE="$(mktemp)"')
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
    assert job["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]
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

    job = to_dict(Pipeline(stages=["cleanup"], jobs=[CleanupPolicy(keep_n=3).job()]))[
        "registry-cleanup-policy"
    ]
    script = job["script"][0]
    assert "--request PUT" in script
    assert "'container_expiration_policy_attributes[keep_n]=3'" in script
    assert '"$CI_API_V4_URL/projects/$CI_PROJECT_ID"' in script
    for bad, fragment in [
        ({"keep_n": -1}, "≥ 0"),
        ({"older_than": "a month"}, "'30d'"),
        ({"name_regex_keep": "(unclosed"}, "not a valid regex"),
        ({"token": "glpat-literal"}, "never the token"),
    ]:
        with pytest.raises(ValidationError, match=fragment):
            RegistryCleanup(**bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="cadence"):
        CleanupPolicy(cadence="hourly")


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
    assert job["rules"] == [{"if": "$CI_COMMIT_BRANCH", "when": "manual"}]
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
    assert private.startswith('export REGISTRY_AUTH_FILE="$(mktemp)"')
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
        tags=TagStrategy(short=True, latest=False),
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
    assert private.startswith('export REGISTRY_AUTH_FILE="$(mktemp)"')
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
    with pytest.raises(ValidationError, match="not a valid regex"):
        RegistryPrune(name_regex_keep="(")
    with pytest.raises(ValidationError, match="must not contain a quote"):
        RegistryPrune(name_regex_delete="it's")
    with pytest.raises(ValidationError, match="lifecycle policies"):
        RegistryPrune(registry=Registry.ecr())
