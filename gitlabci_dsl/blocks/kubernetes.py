"""Kubernetes: deploy the image just built, and let the cluster pull from a private registry."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

import attrs

from .. import ci
from ..errors import ValidationError
from ..model._base import Node, checked
from ..model.environment import Environment, KubernetesEnvironment
from ..model.image import Image
from ..model.job import Job, Stage
from ..model.rules import Rule
from ._shell import command
from .registry import ImageRef, Registry, auth_config, is_variable

__all__ = ["KUBECTL_IMAGE", "KubeDeploy", "PullSecret", "image_pull_secrets"]

KUBECTL_IMAGE = "alpine/k8s:1.31.4"
"""A pinned image with kubectl and a shell (``kubectl_image=`` picks another)."""

# Kubernetes object names: DNS-1123 labels (deployment, container and secret names).
_NAME = re.compile(r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?")


def _k8s_name(inst: Node, attr: attrs.Attribute[str], value: str) -> None:
    if not _NAME.fullmatch(value) and not is_variable(value):
        raise ValidationError(
            f"{type(inst).__name__}: {attr.name}={value!r} must be a Kubernetes name: lowercase "
            "letters, digits and '-', at most 63 characters, or a $VARIABLE"
        )


def _default_branch_only() -> list[Rule]:
    return [Rule(if_=f"{ci.COMMIT_BRANCH} == {ci.DEFAULT_BRANCH}")]


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class KubeDeploy(Node):
    """Roll a Deployment to the image just built: ``kubectl set image deployment/<d> <c>=<image>``.

    ``KubeDeploy(image=build.image_ref, deployment="app", container="app",
    needs=[build_job, scan_job])`` — needing the scan keeps a vulnerable image out. ``context``
    selects a GitLab agent's kube context (``group/project:agent``), ``namespace`` the namespace;
    the job waits for the rollout and records the ``environment`` (``url``, ``tier``). By
    default it runs on the default branch only.
    """

    image: ImageRef | str
    deployment: str = attrs.field(validator=_k8s_name)
    container: str = attrs.field(validator=_k8s_name)
    name: str = "deploy"
    stage: Stage | str | None = "deploy"
    namespace: str = attrs.field(default="$KUBE_NAMESPACE", validator=_k8s_name)
    context: str | None = None
    environment: str = "production"
    url: str | None = None
    tier: Literal["production", "staging", "testing", "development", "other"] = "production"
    wait: str | None = "300s"
    kubectl_image: str = KUBECTL_IMAGE
    needs: Sequence[Job | str] | None = None
    rules: Sequence[Rule] | None = attrs.field(factory=_default_branch_only)

    def _check(self) -> None:
        ImageRef.parse(str(self.image))
        ImageRef.parse(self.kubectl_image)

    def job(self) -> Job:
        """The deploy job."""
        target = f"deployment/{self.deployment}"
        kubectl = f'kubectl --namespace "{self.namespace}"'
        script = []
        if self.context is not None:
            script.append(f'kubectl config use-context "{self.context}"')
        script.append(f'{kubectl} set image {target} "{self.container}={self.image}"')
        if self.wait is not None:
            script.append(f"{kubectl} rollout status {target} --timeout={self.wait}")
        environment = Environment(
            self.environment,
            url=self.url,
            deployment_tier=self.tier,
            kubernetes=KubernetesEnvironment(agent=self.context) if self.context else None,
        )
        return Job(
            self.name,
            stage=self.stage,
            image=Image(self.kubectl_image, entrypoint=[""]),
            needs=self.needs,
            rules=self.rules,
            script=script,
            environment=environment,
            resource_group=self.environment,
        )


def _pull_registry(inst: PullSecret, attr: object, value: Registry) -> None:
    if value.kind == "ecr":
        raise ValidationError(
            "PullSecret: ECR passwords expire after 12 hours; give the cluster's nodes an IAM role "
            "that can pull from ECR instead of a pull secret"
        )


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class PullSecret(Node):
    """Create or update a ``docker-registry`` pull secret, idempotently, from a deploy token.

    The article passes ``--docker-password=$CI_DEPLOY_PASSWORD`` to ``kubectl create secret``,
    which puts the token in the process list. This job writes the ``.dockerconfigjson`` with
    ``printf`` (a shell builtin) to a private temporary file, removed when the job's shell exits,
    and creates the secret from it:
    ``kubectl create secret generic <name> --type=kubernetes.io/dockerconfigjson
    --from-file=.dockerconfigjson=… --dry-run=client -o yaml | kubectl apply -f -``.
    Reference it from manifests with :func:`image_pull_secrets`.
    """

    secret: str = attrs.field(default="gitlab-registry", validator=_k8s_name)
    registry: Registry = attrs.field(factory=Registry.deploy_token, validator=_pull_registry)
    namespace: str = attrs.field(default="$KUBE_NAMESPACE", validator=_k8s_name)
    context: str | None = None
    name: str = "registry-pull-secret"
    stage: Stage | str | None = "deploy"
    kubectl_image: str = KUBECTL_IMAGE
    needs: Sequence[Job | str] | None = None
    rules: Sequence[Rule] | None = attrs.field(factory=_default_branch_only)

    def job(self) -> Job:
        """The job that creates or updates the secret."""
        # A private temporary file (mktemp creates it 0600), removed when the job's shell
        # exits: on a shell runner the builds folder is shared by every job of the host.
        config = '"$DOCKER_CONFIG_JSON"'
        script = [
            "DOCKER_CONFIG_JSON=$(mktemp)\n"
            f"trap 'rm -f {config}' EXIT\n" + auth_config([self.registry], config)
        ]
        if self.context is not None:
            script.append(f'kubectl config use-context "{self.context}"')
        create = command(
            [
                f'kubectl --namespace "{self.namespace}" create secret generic {self.secret}',
                "--type=kubernetes.io/dockerconfigjson",
                f"--from-file=.dockerconfigjson={config}",
                "--dry-run=client --output yaml",
            ]
        )
        script.append(f'{create} \\\n  | kubectl --namespace "{self.namespace}" apply -f -')
        return Job(
            self.name,
            stage=self.stage,
            image=Image(self.kubectl_image, entrypoint=[""]),
            needs=self.needs,
            rules=self.rules,
            script=script,
        )


def image_pull_secrets(*secrets: str) -> str:
    """The ``imagePullSecrets`` snippet for a Pod spec:
    ``image_pull_secrets("gitlab-registry")`` → ``imagePullSecrets:\\n- name: gitlab-registry\\n``.
    """
    from ..emitter import dump

    for secret in secrets:
        if not _NAME.fullmatch(secret):
            raise ValidationError(f"image_pull_secrets: {secret!r} is not a Kubernetes name")
    if not secrets:
        raise ValidationError("image_pull_secrets: name at least one secret")
    return dump([{"imagePullSecrets": [{"name": s} for s in secrets]}])
