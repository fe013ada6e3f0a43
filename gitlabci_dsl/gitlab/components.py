"""CI/CD components as GitLab addresses and lays them out.

A component is included as ``<host>/<project path>/<name>@<version>``
(``$CI_SERVER_FQDN/group/ci/build@1.2.3``). GitLab reads it from the project's
``templates/<name>.yml``, or ``templates/<name>/template.yml`` for a component that needs
files of its own; a project holds at most 100 components (``Ci::Catalog``). The version is a
commit SHA, a tag, a branch, ``~latest`` (the newest release), or a partial version
(``1``, ``1.2``: the newest matching release).
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["MAX_COMPONENTS", "Address", "is_template", "parse", "template_paths"]

MAX_COMPONENTS = 100
"""Components GitLab's catalog takes from one project."""

# The variables a component address may use for "this project, this commit".
THIS_SERVER = ("$CI_SERVER_FQDN", "${CI_SERVER_FQDN}", "$CI_SERVER_HOST", "${CI_SERVER_HOST}")
THIS_PROJECT = ("$CI_PROJECT_PATH", "${CI_PROJECT_PATH}")


class Address(NamedTuple):
    """A component address, split."""

    host: str
    project: str  # the project's full path, group/subgroup/project
    name: str
    version: str | None  # None: the address names none (GitLab refuses it)

    @property
    def this_project(self) -> bool:
        """Whether it names a component of the project the pipeline runs in."""
        return self.host in THIS_SERVER and self.project in THIS_PROJECT


def parse(address: str) -> Address | None:
    """``address`` split into host, project, component name and version; None when it is not
    ``host/project/name[@version]`` (with at least one group)."""
    path, at, version = address.strip().partition("@")
    parts = path.split("/")
    if len(parts) < 3 or not all(parts):
        return None
    return Address(parts[0], "/".join(parts[1:-1]), parts[-1], version if at else None)


def template_paths(name: str) -> tuple[str, str]:
    """Where GitLab looks for component ``name`` in its project, in order."""
    return f"templates/{name}.yml", f"templates/{name}/template.yml"


def is_template(path: str) -> bool:
    """Whether ``path`` (from the project root) is where GitLab reads a component:
    ``templates/NAME.yml`` or ``templates/NAME/template.yml``."""
    parts = path.split("/")
    if len(parts) == 2 and parts[0] == "templates":
        return parts[1].endswith(".yml") and len(parts[1]) > 4
    return len(parts) == 3 and parts[0] == "templates" and parts[2] == "template.yml"
