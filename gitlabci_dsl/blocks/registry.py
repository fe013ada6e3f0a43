"""Container registries: validated image references and how to log in to each kind of registry.

The vocabulary every block shares: an :class:`ImageRef` names an image, a :class:`Registry` says
where it lives and which CI/CD variables hold the credentials. Credentials are always variable
references (``$CI_REGISTRY_PASSWORD``), never literal secrets, and every login command passes
the secret on standard input, never on a command line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal, get_args

import attrs

from .. import ci
from ..errors import ValidationError
from ..model.base import Shape, Validator, checked, fail, of, shaped, type_name
from ._fields import Block, text
from ._shell import VARIABLE, quote, word

__all__ = ["ImageRef", "Registry", "RegistryKind"]

DOCS = "https://docs.gitlab.com/user/packages/container_registry/"
_NAMING = f"{DOCS}#naming-convention-for-your-container-images"

# The OCI distribution spec's grammar of an image reference, shared by every block that checks
# one. The is_* functions below say what these patterns say (a test holds them to it) with string
# methods: compiling the patterns would cost more start-up than the checks themselves, and every
# block checks references. Test opaque(text), so that $VARIABLES may stand anywhere.
HOST = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?"
"""A registry host: DNS labels joined by ``.``, and an optional ``:port``."""
PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
"""One component of a repository path: lowercase alphanumerics with single separators."""
TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
"""An image tag: up to 128 characters, not starting with ``.`` or ``-``."""
DIGEST = r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}"
"""A content digest such as ``sha256:<64 hex digits>``."""

_LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_ALNUM = _LOWER_ALNUM + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Letters and digits to spaces: what is left, split, is the runs of separators between them.
_SEPARATOR_RUNS = str.maketrans(dict.fromkeys(_LOWER_ALNUM, " "))


def is_registry_host(text: str) -> bool:
    """Whether ``text`` is a registry host (:data:`HOST`)."""
    host, colon, port = text.partition(":")
    if colon and not (port.isascii() and port.isdigit()):
        return False
    return all(
        label and not label.strip(_ALNUM + "-") and label[0] != "-" and label[-1] != "-"
        for label in host.split(".")
    )


def is_path_component(text: str) -> bool:
    """Whether ``text`` is one component of a repository path (:data:`PATH_COMPONENT`)."""
    if not text or text[0] not in _LOWER_ALNUM or text[-1] not in _LOWER_ALNUM:
        return False
    if text.strip(_LOWER_ALNUM + "._-"):
        return False
    runs = text.translate(_SEPARATOR_RUNS).split()
    return all(run in (".", "_", "__") or not run.strip("-") for run in runs)


def is_tag(text: str) -> bool:
    """Whether ``text`` is an image tag (:data:`TAG`)."""
    return 0 < len(text) <= 128 and text[0] not in ".-" and not text.strip(_ALNUM + "_.-")


def is_digest(text: str) -> bool:
    """Whether ``text`` is a content digest (:data:`DIGEST`)."""
    return re.fullmatch(DIGEST, text) is not None


def is_variable(text: str) -> bool:
    """True when ``text`` is exactly one variable reference (``$NAME`` or ``${NAME}``)."""
    return text.startswith("$") and VARIABLE.fullmatch(text) is not None


def opaque(text: str) -> str:
    """``text`` with each variable reference replaced by ``x``: references stand for text
    chosen at run time, so they are checked as if they were one ordinary character."""
    return VARIABLE.sub("x", text) if "$" in text else text


def _bad(text: str, problem: str) -> ValidationError:
    return ValidationError(f"ImageRef {text!r}: {problem}. See {_NAMING}")


def _problem(repository: str, tag: str | None, digest: str | None) -> str | None:
    """What is wrong with ``repository[:tag][@digest]``, or None when it is a valid reference."""
    if not repository:
        return "the repository is empty"
    first, _, rest = repository.partition("/")
    # The first component is a registry host when it looks like one (has '.', ':' or is
    # 'localhost') or is a variable (e.g. $CI_REGISTRY); otherwise it is a path component.
    opaque_first = opaque(first)
    is_host = bool(rest) and (
        "." in first or ":" in first or first == "localhost" or opaque_first != first
    )
    if is_host:
        if not is_registry_host(opaque_first):
            return f"{first!r} is not a valid registry host"
        components = rest.split("/")
    else:
        components = repository.split("/")
    for component in components:
        if not is_path_component(opaque(component)):
            return (
                f"path component {component!r} must be lowercase letters and digits, "
                "separated by '.', '_', '__' or '-'"
            )
    if tag is not None and not is_tag(opaque(tag)):
        return (
            f"tag {tag!r} must be 1 to 128 of letters, digits, '_', '.', '-', "
            "not starting with '.' or '-'"
        )
    if digest is not None and not is_digest(opaque(digest)):
        return f"digest {digest!r} must look like 'sha256:<64 hex digits>'"
    return None


def _split(text: str) -> tuple[str, str | None, str | None]:
    rest, _, digest = text.partition("@")
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    tag = None
    if colon > slash:
        rest, tag = rest[:colon], rest[colon + 1 :]
    return rest, tag, digest or None


_PART = of(str, what="a string", anchor="")


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class ImageRef(Block):
    """An image reference: ``repository[:tag][@digest]``, validated like a registry would.

    ``ImageRef.parse("$CI_REGISTRY_IMAGE/api:$CI_COMMIT_SHA")``; ``ref.with_tag("latest")``.
    Repository path components are lowercase (``[a-z0-9]`` with ``.``, ``_``, ``__`` or ``-``
    between), a tag is at most 128 of ``[A-Za-z0-9_.-]`` not starting with ``.`` or ``-``, a
    digest is ``algorithm:hex``. ``$VARIABLES`` may stand anywhere; they are filled in by the runner.
    """

    repository: str = attrs.field(validator=_PART)
    tag: str | None = attrs.field(default=None, validator=_PART)
    digest: str | None = attrs.field(default=None, validator=_PART)

    def _check(self) -> None:
        problem = _problem(self.repository, self.tag, self.digest)
        if problem is not None:
            raise _bad(str(self), problem)

    @classmethod
    def parse(cls, text: str) -> ImageRef:
        """Split ``host/path:tag@digest`` into its parts (and validate them)."""
        if not isinstance(text, str) or not text.strip():
            raise _bad(str(text), "an image reference is a non-empty string")
        repository, tag, digest = _split(text)
        return cls(repository=repository, tag=tag, digest=digest)

    def with_tag(self, tag: str) -> ImageRef:
        """The same repository with another tag (and no digest)."""
        return ImageRef(repository=self.repository, tag=tag)

    def __str__(self) -> str:
        text = self.repository
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text


def reference_problem(value: str, *, tag: bool = False) -> str | None:
    """What is wrong with the image reference ``value`` (``tag=True``: it must have a tag), or
    None."""
    problem = _problem(*_split(value)) if value.strip() else "it is empty"
    if problem is not None:
        return f"is not an image reference: {problem} (see {_NAMING})"
    if tag and _split(value)[1] is None:
        return f"needs a tag, e.g. '{value}:$CI_COMMIT_SHA'"
    return None


def tag_problem(value: str) -> str | None:
    """What is wrong with the image tag ``value`` (``$VARIABLES`` allowed), or None."""
    if is_tag(opaque(value)):
        return None
    return (
        "must be an image tag: 1 to 128 of letters, digits, '_', '.', '-', not starting with "
        "'.' or '-' (variables such as $CI_COMMIT_TAG may stand anywhere)"
    )


_IMAGE_REF = Shape(("ImageRef",))


def image_reference(*, tag: bool = False, nodes: bool = False) -> Validator:
    """Validator of a block field holding an image reference (``executor``, ``scanner``...):
    ``tag=True`` requires a tag, ``nodes=True`` accepts an :class:`ImageRef` as well."""
    what = "an image reference such as 'registry.example.com/group/app:1.0'"
    if nodes:
        what += " or an ImageRef"

    def check(inst: Any, attr: Any, value: Any) -> None:
        if nodes and isinstance(value, ImageRef):
            return
        if not isinstance(value, str):
            fail(inst, attr.name, value, f"must be {what}, not {type_name(value)}", "")
        problem = reference_problem(value, tag=tag)
        if problem is not None:
            fail(inst, attr.name, value, problem, "")

    return shaped(_IMAGE_REF)(check) if nodes else check


def repository_field(*, tags: bool = True) -> Validator:
    """Validator of a block's ``image`` (or ``target``, ``repository``): a repository without
    tag or digest; ``tags``: the block's tags come from its ``image_tags=TagStrategy(...)``."""
    hint = " (the tags come from image_tags=TagStrategy(...))" if tags else ""
    reference = image_reference()

    def check(inst: Any, attr: Any, value: Any) -> None:
        reference(inst, attr, value)
        _, tag, digest = _split(value)
        if tag is not None or digest is not None:
            fail(inst, attr.name, value, f"names a repository; leave the tag out{hint}", "")

    return check


repository = repository_field()
"""Validator of a block's ``image``: a repository; its tags come from ``tags=``."""


def image_tag(inst: Any, attr: Any, value: Any) -> None:
    """Validator of an image tag (``$VARIABLES`` allowed): ``latest``, ``$CI_COMMIT_SHA``."""
    if not isinstance(value, str):
        fail(inst, attr.name, value, f"must be an image tag, not {type_name(value)}", "")
    problem = tag_problem(value)
    if problem is not None:
        fail(inst, attr.name, value, problem, "")


RegistryKind = Literal["gitlab", "deploy-token", "job-token", "dockerhub", "ecr", "gar", "basic"]
_KINDS: tuple[str, ...] = get_args(RegistryKind)
# AWS region names (eu-west-1, us-gov-east-1, ap-southeast-4), [a-z]{2}(?:-[a-z]+)+-[0-9]+:
# told by string methods, which cost no regex compile.
_LOWER = "abcdefghijklmnopqrstuvwxyz"


def _is_region(value: str) -> bool:
    parts = value.split("-")
    return (
        len(parts) >= 3
        and len(parts[0]) == 2
        and all(part and not part.strip(_LOWER) for part in parts[:-1])
        and parts[-1].isascii()
        and parts[-1].isdigit()
    )


def _kind(inst: Any, attr: Any, value: Any) -> None:
    if type(value) is not str or value not in _KINDS:
        fail(
            inst,
            "kind",
            value,
            f"is not a known registry kind; use one of {', '.join(_KINDS)}",
            "",
        )


def _region(inst: Any, attr: Any, value: Any) -> None:
    if not isinstance(value, str) or not (_is_region(value) or is_variable(value)):
        fail(
            inst,
            "region",
            value,
            "must be an AWS region such as 'eu-west-1' or a variable such as '$AWS_REGION'",
            "",
        )


def _variable(inst: Registry, field: str, value: str | None) -> None:
    if value is not None and not is_variable(value):
        raise ValidationError(
            f"Registry({inst.kind!r}): {field}={value!r} must be a CI/CD variable reference such "
            f"as '$REGISTRY_PASSWORD', never the secret itself: store it as a masked variable. "
            f"See https://docs.gitlab.com/ci/variables/#mask-a-cicd-variable"
        )


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Registry(Block):
    """Where images are pushed or pulled, and the variables holding the credentials.

    Use the constructors: ``Registry.gitlab()`` (this project's registry, the job's credentials),
    ``Registry.deploy_token()``, ``Registry.job_token()``, ``Registry.dockerhub()``,
    ``Registry.ecr()``, ``Registry.gar()``, ``Registry.basic(host=..., user=..., password=...)``.
    ``password`` must be a variable reference; it is only ever passed on standard input.
    """

    kind: RegistryKind = attrs.field(validator=_kind)
    host: str = attrs.field(validator=of(str, what="a registry host", anchor=""))
    user: str | None = attrs.field(default=None, validator=text("a user name or a variable"))
    password: str | None = attrs.field(
        default=None, validator=of(str, what="a variable reference", anchor="")
    )
    # ECR only: passed to `aws ecr get-login-password`.
    region: str | None = attrs.field(default=None, validator=_region)

    def _check(self) -> None:
        if not self.host or not is_registry_host(opaque(self.host)):
            raise ValidationError(
                f"Registry({self.kind!r}): host={self.host!r} must be a registry host such as "
                "'registry.example.com:5000' or a variable such as '$CI_REGISTRY'"
            )
        _variable(self, "password", self.password)
        if self.kind in ("basic", "dockerhub", "gitlab", "deploy-token", "job-token") and (
            self.user is None or self.password is None
        ):
            raise ValidationError(f"Registry({self.kind!r}): needs user and password variables")

    @classmethod
    def gitlab(cls) -> Registry:
        """This project's registry with the job's own credentials (``$CI_REGISTRY_USER``)."""
        return cls(
            kind="gitlab", host=ci.REGISTRY, user=ci.REGISTRY_USER, password=ci.REGISTRY_PASSWORD
        )

    @classmethod
    def deploy_token(
        cls, *, user: str = ci.DEPLOY_USER, password: str = ci.DEPLOY_PASSWORD
    ) -> Registry:
        """The GitLab registry with a deploy token (``read_registry`` for other projects' images).

        A deploy token named ``gitlab-deploy-token`` fills ``$CI_DEPLOY_USER``/``$CI_DEPLOY_PASSWORD``.
        """
        return cls(kind="deploy-token", host=ci.REGISTRY, user=user, password=password)

    @classmethod
    def job_token(cls) -> Registry:
        """The GitLab registry with ``$CI_JOB_TOKEN`` (user ``gitlab-ci-token``)."""
        return cls(
            kind="job-token", host=ci.REGISTRY, user="gitlab-ci-token", password=ci.JOB_TOKEN
        )

    @classmethod
    def dockerhub(
        cls, *, user: str = "$DOCKERHUB_USER", password: str = "$DOCKERHUB_TOKEN"
    ) -> Registry:
        """Docker Hub with an access token in CI/CD variables."""
        return cls(kind="dockerhub", host="docker.io", user=user, password=password)

    @classmethod
    def ecr(cls, *, host: str = "$ECR_REGISTRY", region: str | None = None) -> Registry:
        """Amazon ECR: the password comes from ``aws ecr get-login-password`` (AWS credentials
        from the usual ``AWS_*`` variables or an OIDC role)."""
        return cls(kind="ecr", host=host, user="AWS", region=region)

    @classmethod
    def gar(
        cls, *, host: str = "$GAR_REGISTRY", key_file: str = "$GCP_SERVICE_ACCOUNT_KEY"
    ) -> Registry:
        """Google Artifact Registry with a service-account key in a *file* variable."""
        return cls(kind="gar", host=host, user="_json_key", password=key_file)

    @classmethod
    def basic(cls, *, host: str, user: str, password: str) -> Registry:
        """Any registry with user and password variables (``$MIRROR_USER``/``$MIRROR_PASSWORD``)."""
        return cls(kind="basic", host=host, user=user, password=password)

    def runner_auth(self) -> dict[str, str]:
        """``DOCKER_AUTH_CONFIG`` for a job whose ``image:`` or ``services:`` come from this
        registry: ``Job(image=..., variables=registry.runner_auth())``.

        The runner pulls a job's images before its script starts, so a ``docker login`` in
        ``before_script`` (the article's "Cross-Project Image Access") never applies to them.
        The runner reads ``DOCKER_AUTH_CONFIG`` instead, after expanding the variables in it:
        only references to the credentials are written here, never their values. Amazon ECR
        uses the runner host's ``docker-credential-ecr-login`` helper.
        See https://docs.gitlab.com/ci/docker/using_docker_images/#access-an-image-from-a-private-container-registry
        """
        if self.kind == "gar":
            raise ValidationError(
                "Registry('gar'): the runner cannot read a key file when it pulls job images; "
                "store the DOCKER_AUTH_CONFIG JSON for Artifact Registry as a CI/CD variable, or "
                "use Registry.basic(host=..., user='_json_key_base64', password='$GAR_KEY_BASE64')"
            )
        host = _json_string(self.host)
        if self.kind == "ecr":
            return {"DOCKER_AUTH_CONFIG": f'{{"credHelpers":{{{host}:"ecr-login"}}}}'}
        if self.kind == "dockerhub":
            host = '"https://index.docker.io/v1/"'  # the key Docker Hub credentials go under
        user, password = _json_string(self.user or ""), _json_string(self.password or "")
        auth = f'{{"auths":{{{host}:{{"username":{user},"password":{password}}}}}}}'
        return {"DOCKER_AUTH_CONFIG": auth}

    def login_setup(self) -> list[str]:
        """Shell lines installing what :meth:`docker_login` needs in an Alpine-based image such
        as ``docker:<version>``: the AWS CLI for Amazon ECR, nothing for the others."""
        return ["apk add --no-cache aws-cli"] if self.kind == "ecr" else []

    def secret_to_stdout(self) -> str:
        """A shell command that writes the registry password to standard output.

        ``printf`` is a shell builtin: the secret never appears in a process's arguments.
        """
        if self.kind == "ecr":
            region = f" --region {word(self.region)}" if self.region else ""
            return f"aws ecr get-login-password{region}"
        if self.kind == "gar":
            return f"cat {quote(self.password or '')}"
        return f"printf '%s' {quote(self.password or '')}"

    def docker_login(self, tool: str = "docker") -> str:
        """``docker login`` (or ``skopeo login``, ``buildah login``, ``crane auth login``) with
        ``--password-stdin``."""
        command = {
            "docker": "docker login",
            "skopeo": "skopeo login",
            "buildah": "buildah login",
            "crane": "crane auth login",
        }[tool]
        user, host = quote(self.user or ""), quote(self.host)
        return f"{self.secret_to_stdout()} | {command} --username {user} --password-stdin {host}"


PRIVATE_AUTH_FILE = (
    'REGISTRY_AUTH_FILE="$(mktemp)"\n'
    "export REGISTRY_AUTH_FILE\n"
    "trap 'rm -f \"$REGISTRY_AUTH_FILE\"' EXIT\n"
    "printf '{}' > \"$REGISTRY_AUTH_FILE\""
)
"""Shell lines that give ``skopeo login``/``buildah login`` a credentials file for this job
alone, removed when the job's shell exits. Their default file (``/run/containers/<uid>/
auth.json`` or ``$XDG_RUNTIME_DIR/containers/auth.json``) outlives the job on a shell runner
and is shared by every job of the user."""


def _json_string(text: str) -> str:
    """``text`` as a JSON string (host names, user names and ``$VARIABLE`` references)."""
    if any(ord(c) < 0x20 for c in text):
        raise ValidationError(f"Registry: {text!r} holds a control character")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def auth_config(registries: Sequence[Registry], path: str) -> str:
    """Shell lines writing a Docker ``config.json`` with credentials for ``registries`` to ``path``.

    Each ``user:password`` is base64-encoded by the shell, so the JSON is valid whatever the
    characters, and ``printf`` (a builtin) keeps the secret out of every process's arguments.
    Amazon ECR gets the ``ecr-login`` credential helper instead of a password.
    """
    lines, auths, helpers = [], [], []
    for number, registry in enumerate(registries):
        host = _json_string(registry.host)
        if registry.kind == "ecr":
            helpers.append(f'{host}:"ecr-login"')
            continue
        password = quote(registry.password or "")
        secret = password if registry.kind != "gar" else f'"$(cat {password})"'
        lines.append(
            f"AUTH_{number}=$(printf '%s:%s' {quote(registry.user or '')} {secret} "
            "| base64 | tr -d '\\n')"
        )
        auths.append(f'{host}:{{"auth":"$AUTH_{number}"}}')
    body = f'"auths":{{{",".join(auths)}}}'
    if helpers:
        body += f',"credHelpers":{{{",".join(helpers)}}}'
    # The JSON text as one double-quoted word: $AUTH_<n> and the host variables expand.
    lines.append(f"printf '%s\\n' {quote('{' + body + '}')} > {path}")
    return "\n".join(lines)
