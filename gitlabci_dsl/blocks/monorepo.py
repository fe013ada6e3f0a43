"""A monorepo: one child pipeline per package, started only when the package or a package it
depends on changed.

``Monorepo(packages=[Package("lib", "libs/core"), Package("api", "services/api",
depends=["lib"])], child=make)`` gives one trigger job per package (``.jobs()``): it starts
the child pipeline ``make(package)`` (written by ``compile`` to ``<folder>/<name>.yml``) with
``strategy: depend``, when files under the package's path or under the path of any package it
depends on, directly or not, changed:

* default-branch pushes: what the push changed;
* other branches: what changed against the default branch (``compare_to``), so a branch's
  later pushes still run what the branch changed;
* merge requests (with ``Workflow.merge_request_pipelines()``): what the merge request changes;
* tags: every package; schedules: none.

A package's trigger job needs those of the packages it depends on, ``optional: true`` (a
package that did not change has no job in the pipeline), so a library's child finishes before
its dependents' start. The child is told the parent's source, which it cannot read from
``CI_PIPELINE_SOURCE`` (``parent_pipeline`` there): ``PARENT_PIPELINE_SOURCE``, with
``PACKAGE`` and ``PACKAGE_PATH``; its ``workflow: rules`` accept ``parent_pipeline`` only.
The jobs of the child decide nothing more: give blocks in it ``rules=None`` (the trigger job
decided), since their default rules read ``CI_COMMIT_BRANCH``, which a child of a merge
request pipeline does not have.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from .. import ci
from ..gitlab.needs import cycles
from ..model.base import (
    Node,
    checked,
    fail,
    is_relative_path,
    seq,
    shaped,
    validator_shape,
)
from ..model.changes import Changes
from ..model.job import Job, Need, Stage
from ..model.pipeline import Pipeline, Workflow
from ..model.rules import Rule
from ..model.sources import DEFAULT_BRANCH, MERGE_REQUESTS_ASKED, OTHER_BRANCH, SCHEDULE
from ..model.trigger import Child, Trigger
from ._fields import NAME, NULLABLE, STAGE, Block

__all__ = ["PARENT_PIPELINE_SOURCE", "Monorepo", "Package"]

PARENT_PIPELINE_SOURCE = "PARENT_PIPELINE_SOURCE"
"""The variable that tells a package's child pipeline the parent's ``CI_PIPELINE_SOURCE``."""

_PATH = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_./-]*")
_BRANCH = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_./-]*")


def _path(inst: Any, attr: Any, value: Any) -> None:
    if not is_relative_path(value, _PATH) or "" in value.split("/"):
        fail(
            inst,
            attr.name,
            value,
            "must be a folder of the project, as a relative path such as 'services/api'",
            "",
        )


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Package(Node):
    """One package of a :class:`Monorepo`: its name (its trigger job's), its folder, and the
    packages it depends on (by name)."""

    named_in_messages = True

    name: str = attrs.field(kw_only=False, validator=NAME)
    path: str = attrs.field(kw_only=False, validator=_path)
    depends: Sequence[str] = attrs.field(
        factory=tuple, validator=seq(str, what="package names", anchor="")
    )


_PACKAGES = seq(nodes=("Package",), what="Package(...) objects", anchor="", non_empty=True)


@shaped(validator_shape(_PACKAGES))
def _packages(inst: Any, attr: Any, value: Any) -> None:
    _PACKAGES(inst, attr, value)
    names = [package.name for package in inst.packages]
    for package in inst.packages:
        if names.count(package.name) > 1:
            fail(inst, "packages", package.name, "names two packages; give each its own", "")
        for need in package.depends:
            if need not in names:
                fail(
                    inst,
                    "packages",
                    need,
                    f"is a dependency of {package.name!r} but no package of the monorepo; "
                    f"the packages are {', '.join(names)}",
                    "",
                )
    for _, cycle in cycles({p.name: p.depends for p in inst.packages}):
        fail(inst, "packages", " -> ".join(cycle), "is a cycle of dependencies", "")


def _callable(inst: Any, attr: Any, value: Any) -> None:
    if not callable(value):
        fail(inst, "child", value, "must be a function of a Package returning its Pipeline", "")


def _branch(inst: Any, attr: Any, value: Any) -> None:
    if not (isinstance(value, str) and _BRANCH.fullmatch(value)):
        fail(inst, "default_branch", value, "must be a branch name such as 'main'", "")


@attrs.frozen(kw_only=True, repr=False, eq=False, field_transformer=checked)
class Monorepo(Block):
    """Child pipelines per package of a monorepo (see the module's docs).

    ``child(package)`` returns the package's :class:`~gitlabci_dsl.Pipeline`; ``folder`` is
    where compile writes the children; ``default_branch`` is what other branches compare
    with (``rules: changes: compare_to``); ``stage`` is the trigger jobs' stage.
    """

    packages: Sequence[Package] = attrs.field(validator=_packages)
    child: Callable[[Package], Pipeline] = attrs.field(validator=_callable)
    name: str = attrs.field(default="monorepo", validator=NAME)
    stage: Stage | str | None = attrs.field(default="packages", validator=STAGE, metadata=NULLABLE)
    folder: str = attrs.field(default=".gitlab/ci/packages", validator=_path)
    default_branch: str = attrs.field(default="main", validator=_branch)

    def paths(self, package: Package) -> list[str]:
        """The folders whose changes start ``package``'s pipeline: its own, then those of the
        packages it depends on, directly or not, in declaration order."""
        by_name = {p.name: p for p in self.packages}
        wanted: set[str] = set()
        stack = [package.name]
        while stack:
            name = stack.pop()
            if name not in wanted:
                wanted.add(name)
                stack.extend(by_name[name].depends)
        ordered = [package, *(p for p in self.packages if p.name in wanted and p is not package)]
        return [f"{p.path}/**/*" for p in ordered]

    def rules(self, package: Package) -> list[Rule]:
        """When the package's trigger job runs (see the module's docs)."""
        paths = self.paths(package)
        return [
            Rule(if_=SCHEDULE, when="never"),
            Rule(if_=ci.COMMIT_TAG),
            Rule(if_=MERGE_REQUESTS_ASKED, changes=Changes(paths=paths)),
            Rule(if_=DEFAULT_BRANCH, changes=Changes(paths=paths)),
            Rule(
                if_=OTHER_BRANCH,
                changes=Changes(paths=paths, compare_to=f"refs/heads/{self.default_branch}"),
            ),
        ]

    def pipeline(self, package: Package) -> Pipeline:
        """The package's child pipeline: ``child(package)``, with ``workflow: rules`` for a
        child (``parent_pipeline`` only) unless it has a workflow of its own."""
        made = self.child(package)
        if getattr(made, "node_kind", None) != "Pipeline":
            fail(self, "child", made, f"returned no Pipeline for {package.name!r}", "")
        if made.workflow is not None:
            return made
        workflow = Workflow(rules=[Rule(if_=f'{ci.PIPELINE_SOURCE} == "parent_pipeline"')])
        return attrs.evolve(made, workflow=workflow)

    def jobs(self) -> list[Job]:
        """One trigger job per package, in the order given."""
        jobs = []
        for package in self.packages:
            child = Child(self.pipeline(package), file=f"{self.folder}/{package.name}.yml")
            jobs.append(
                Job(
                    package.name,
                    stage=self.stage,
                    needs=[Need(name, optional=True) for name in package.depends] or None,
                    rules=self.rules(package),
                    variables={
                        PARENT_PIPELINE_SOURCE: ci.PIPELINE_SOURCE,
                        "PACKAGE": package.name,
                        "PACKAGE_PATH": package.path,
                    },
                    trigger=Trigger(include=child, strategy="depend"),
                )
            )
        return jobs
