"""Kubernetes: deploy the image just built, and let the cluster pull from a private registry."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

import attrs

from ..errors import ValidationError
from ..model.base import checked, fail, shaped, validator_shape
from ..model.environment import Environment, KubernetesEnvironment
from ..model.image import Image
from ..model.job import Job, Need, Stage
from ..model.rules import Rule
from ..model.values import Reference
from ._fields import (
    NAME,
    NEEDS,
    NULLABLE,
    REGISTRY,
    RULES,
    STAGE,
    JobBlock,
    closed,
    default_branch_pipelines,
    text,
)
from ._shell import command, quote, word
from .registry import ImageRef, Registry, auth_config, image_reference, is_variable

__all__ = ["KUBECTL_IMAGE", "KubeDeploy", "PullSecret", "image_pull_secrets"]

KUBECTL_IMAGE = "alpine/k8s:1.31.4"
"""A pinned image with kubectl and a shell (``kubectl_image=`` picks another)."""

# Kubernetes object names: DNS-1123 labels (deployment, container and secret names),
# [a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?: told by string methods, which cost no regex compile.
_LABEL = "abcdefghijklmnopqrstuvwxyz0123456789-"


def _is_name(value: str) -> bool:
    return (
        0 < len(value) <= 63
        and not value.strip(_LABEL)
        and not value.startswith("-")
        and not value.endswith("-")
    )


# kubectl's --timeout: a Go duration (300s, 5m, 1h30m), or a variable holding one.
_TIMEOUT = r"(?:[0-9]+(?:\.[0-9]+)?(?:ns|us|µs|ms|s|m|h))+"
_UNITS = frozenset({"ns", "us", "µs", "ms", "s", "m", "h"})


def _is_plain_timeout(value: str) -> bool:
    """The usual one-unit form (``300s``, ``5m``), told without compiling :data:`_TIMEOUT`."""
    unit = value.lstrip("0123456789")
    return len(unit) < len(value) and unit in _UNITS


_TIERS = ("production", "staging", "testing", "development", "other")


def _k8s_name(inst: Any, attr: Any, value: Any) -> None:
    if not isinstance(value, str) or not (_is_name(value) or is_variable(value)):
        fail(
            inst,
            attr.name,
            value,
            "must be a Kubernetes name: lowercase letters, digits and '-', at most 63 "
            "characters, or a $VARIABLE",
            "",
        )


def _timeout(inst: Any, attr: Any, value: Any) -> None:
    if not isinstance(value, str) or not (
        _is_plain_timeout(value) or re.fullmatch(_TIMEOUT, value) or is_variable(value)
    ):
        fail(
            inst,
            attr.name,
            value,
            "must be a kubectl timeout such as '300s', '5m' or '1h30m', or a $VARIABLE",
            "",
        )


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class KubeDeploy(JobBlock):
    """Roll a Deployment to the image just built: ``kubectl set image deployment/<d> <c>=<image>``.

    ``KubeDeploy(image=build.image_ref, deployment="app", container="app",
    needs=[build_job, scan_job])`` — needing the scan keeps a vulnerable image out. ``context``
    selects a GitLab agent's kube context (``group/project:agent``), ``namespace`` the namespace;
    the job waits for the rollout and records the ``environment`` (``url``, ``tier``). By
    default it runs on the default branch only.
    """

    image: ImageRef | str = attrs.field(validator=image_reference(nodes=True))
    deployment: str = attrs.field(validator=_k8s_name)
    container: str = attrs.field(validator=_k8s_name)
    name: str = attrs.field(default="deploy", validator=NAME)
    stage: Stage | str | None = attrs.field(default="deploy", validator=STAGE, metadata=NULLABLE)
    namespace: str = attrs.field(default="$KUBE_NAMESPACE", validator=_k8s_name)
    context: str | None = attrs.field(
        default=None, validator=text("a GitLab agent's context such as 'group/project:agent'")
    )
    environment: str = attrs.field(
        default="production", validator=text("an environment name", "environmentname")
    )
    url: str | None = attrs.field(
        default=None, validator=text("a URL such as 'https://example.com'", "environmenturl")
    )
    tier: Literal["production", "staging", "testing", "development", "other"] = attrs.field(
        default="production", validator=closed(*_TIERS, anchor="environmentdeployment_tier")
    )
    wait: str | None = attrs.field(default="300s", validator=_timeout, metadata=NULLABLE)
    kubectl_image: str = attrs.field(default=KUBECTL_IMAGE, validator=image_reference())
    needs: Sequence[Job | Need | str] | None = attrs.field(default=None, validator=NEEDS)
    rules: Sequence[Rule | Reference] | None = attrs.field(
        factory=default_branch_pipelines, validator=RULES, metadata=NULLABLE
    )

    def _job(self) -> Job:
        """The deploy job."""
        target = word(f"deployment/{self.deployment}")
        kubectl = f"kubectl --namespace {quote(self.namespace)}"
        script = []
        if self.context is not None:
            script.append(f"kubectl config use-context {quote(self.context)}")
        script.append(f"{kubectl} set image {target} {quote(f'{self.container}={self.image}')}")
        if self.wait is not None:
            script.append(f"{kubectl} rollout status {target} --timeout={word(self.wait)}")
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


@shaped(validator_shape(REGISTRY))
def _pull_registry(inst: Any, attr: Any, value: Any) -> None:
    REGISTRY(inst, attr, value)
    if value.kind == "ecr":
        fail(
            inst,
            "registry",
            value,
            "cannot make a pull secret: ECR passwords expire after 12 hours; give the cluster's "
            "nodes an IAM role that can pull from ECR instead",
            "",
        )


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class PullSecret(JobBlock):
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
    context: str | None = attrs.field(
        default=None, validator=text("a GitLab agent's context such as 'group/project:agent'")
    )
    name: str = attrs.field(default="registry-pull-secret", validator=NAME)
    stage: Stage | str | None = attrs.field(default="deploy", validator=STAGE, metadata=NULLABLE)
    kubectl_image: str = attrs.field(default=KUBECTL_IMAGE, validator=image_reference())
    needs: Sequence[Job | Need | str] | None = attrs.field(default=None, validator=NEEDS)
    rules: Sequence[Rule | Reference] | None = attrs.field(
        factory=default_branch_pipelines, validator=RULES, metadata=NULLABLE
    )

    def _job(self) -> Job:
        """The job that creates or updates the secret."""
        # A private temporary file (mktemp creates it 0600), removed when the job's shell
        # exits: on a shell runner the builds folder is shared by every job of the host.
        config = '"$DOCKER_CONFIG_JSON"'
        script = [
            "DOCKER_CONFIG_JSON=$(mktemp)\n"
            f"trap 'rm -f {config}' EXIT\n" + auth_config([self.registry], config)
        ]
        if self.context is not None:
            script.append(f"kubectl config use-context {quote(self.context)}")
        namespace = quote(self.namespace)
        create = command(
            [
                f"kubectl --namespace {namespace} create secret generic {word(self.secret)}",
                "--type=kubernetes.io/dockerconfigjson",
                f"--from-file=.dockerconfigjson={config}",
                "--dry-run=client --output yaml",
            ]
        )
        script.append(f"{create} \\\n  | kubectl --namespace {namespace} apply -f -")
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
        if not _is_name(secret):
            raise ValidationError(f"image_pull_secrets: {secret!r} is not a Kubernetes name")
    if not secrets:
        raise ValidationError("image_pull_secrets: name at least one secret")
    return dump([{"imagePullSecrets": [{"name": s} for s in secrets]}])
