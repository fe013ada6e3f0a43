"""gitlabci-dsl: GitLab CI pipelines as typed Python objects, compiled to YAML.

>>> from gitlabci_dsl import Job, Pipeline, Stage, to_yaml
>>> build = Stage("build")
>>> text = to_yaml(Pipeline(stages=[build], jobs=[Job("make", stage=build, script=["make"])]))

Names are loaded on first use (PEP 562) so that ``gitlabci-dsl compile`` only pays for the parts
of the model a pipeline actually uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import ci
    from .blocks.buildah import BuildahBuild
    from .blocks.children import DynamicChild
    from .blocks.cleanup import CleanupPolicy, RegistryCleanup
    from .blocks.debug import RegistryDebug
    from .blocks.docker import DockerBuild, InlineCache, RegistryCache
    from .blocks.kaniko import KanikoBuild
    from .blocks.kubernetes import KubeDeploy, PullSecret, image_pull_secrets
    from .blocks.mirror import Mirror
    from .blocks.monorepo import Monorepo, Package
    from .blocks.prune import RegistryPrune
    from .blocks.registry import ImageRef, Registry
    from .blocks.tags import TagStrategy
    from .blocks.trivy import TrivyScan
    from .compiler import to_dict, to_documents
    from .components import Component, InputRef, Regex, component, input_ref
    from .emitter import load_yaml, to_yaml
    from .errors import CompileError, GitlabCIDSLError, LoadError, ValidationError
    from .model.artifacts import Artifacts
    from .model.auto_cancel import AutoCancel
    from .model.cache import Cache, CacheKey
    from .model.changes import Changes, Exists
    from .model.coverage_report import CoverageReport
    from .model.environment import Environment, KubernetesEnvironment
    from .model.executor_options import DockerOptions, KubernetesOptions
    from .model.image import Image
    from .model.include import Include
    from .model.job import Job, Need, Stage
    from .model.options import (
        AllowFailure,
        DastConfiguration,
        Hooks,
        IdToken,
        Inherit,
        OnlyExcept,
        Pages,
        Retry,
    )
    from .model.parallel import Parallel
    from .model.pipeline import Default, Pipeline, Workflow
    from .model.release import Release, ReleaseLink
    from .model.reports import Reports
    from .model.rules import Rule
    from .model.secrets import (
        AwsSecret,
        AzureSecret,
        GcpSecret,
        GitlabSecret,
        Secret,
        VaultEngine,
        VaultSecret,
    )
    from .model.service import Service
    from .model.sources import MR_PIPELINES, runs_on
    from .model.spec import MANDATORY, Input, InputRule, Spec
    from .model.steps import Step
    from .model.trigger import Child, Forward, Generated, Trigger
    from .model.values import Reference
    from .model.variable import Variable

__version__ = "0.1.0"

_WHERE: dict[str, str] = {
    "ci": "",
    "BuildahBuild": "blocks.buildah",
    "DynamicChild": "blocks.children",
    "Monorepo": "blocks.monorepo",
    "Package": "blocks.monorepo",
    "CleanupPolicy": "blocks.cleanup",
    "RegistryCleanup": "blocks.cleanup",
    "RegistryDebug": "blocks.debug",
    "DockerBuild": "blocks.docker",
    "InlineCache": "blocks.docker",
    "RegistryCache": "blocks.docker",
    "KanikoBuild": "blocks.kaniko",
    "KubeDeploy": "blocks.kubernetes",
    "PullSecret": "blocks.kubernetes",
    "image_pull_secrets": "blocks.kubernetes",
    "Mirror": "blocks.mirror",
    "RegistryPrune": "blocks.prune",
    "ImageRef": "blocks.registry",
    "Registry": "blocks.registry",
    "TagStrategy": "blocks.tags",
    "TrivyScan": "blocks.trivy",
    "to_dict": "compiler",
    "to_documents": "compiler",
    "to_yaml": "emitter",
    "load_yaml": "emitter",
    "CompileError": "errors",
    "GitlabCIDSLError": "errors",
    "LoadError": "errors",
    "ValidationError": "errors",
    "Artifacts": "model.artifacts",
    "CoverageReport": "model.coverage_report",
    "Reports": "model.reports",
    "Cache": "model.cache",
    "CacheKey": "model.cache",
    "Environment": "model.environment",
    "KubernetesEnvironment": "model.environment",
    "DockerOptions": "model.executor_options",
    "Image": "model.image",
    "KubernetesOptions": "model.executor_options",
    "Service": "model.service",
    "MR_PIPELINES": "model.sources",
    "runs_on": "model.sources",
    "Include": "model.include",
    "Job": "model.job",
    "Need": "model.job",
    "Stage": "model.job",
    "AllowFailure": "model.options",
    "DastConfiguration": "model.options",
    "Hooks": "model.options",
    "IdToken": "model.options",
    "Inherit": "model.options",
    "OnlyExcept": "model.options",
    "Pages": "model.options",
    "Parallel": "model.parallel",
    "Retry": "model.options",
    "AutoCancel": "model.auto_cancel",
    "Default": "model.pipeline",
    "Pipeline": "model.pipeline",
    "Workflow": "model.pipeline",
    "Release": "model.release",
    "ReleaseLink": "model.release",
    "Changes": "model.changes",
    "Exists": "model.changes",
    "Rule": "model.rules",
    "AwsSecret": "model.secrets",
    "AzureSecret": "model.secrets",
    "GcpSecret": "model.secrets",
    "GitlabSecret": "model.secrets",
    "Secret": "model.secrets",
    "VaultEngine": "model.secrets",
    "VaultSecret": "model.secrets",
    "MANDATORY": "model.spec",
    "Input": "model.spec",
    "InputRule": "model.spec",
    "Spec": "model.spec",
    "Step": "model.steps",
    "Child": "model.trigger",
    "Forward": "model.trigger",
    "Generated": "model.trigger",
    "Trigger": "model.trigger",
    "Reference": "model.values",
    "Variable": "model.variable",
    "Component": "components",
    "InputRef": "components",
    "Regex": "components",
    "component": "components",
    "input_ref": "components",
}

__all__ = [
    "MANDATORY",
    "MR_PIPELINES",
    "AllowFailure",
    "Artifacts",
    "AutoCancel",
    "AwsSecret",
    "AzureSecret",
    "BuildahBuild",
    "Cache",
    "CacheKey",
    "Changes",
    "Child",
    "CleanupPolicy",
    "CompileError",
    "Component",
    "CoverageReport",
    "DastConfiguration",
    "Default",
    "DockerBuild",
    "DockerOptions",
    "DynamicChild",
    "Environment",
    "Exists",
    "Forward",
    "GcpSecret",
    "Generated",
    "GitlabCIDSLError",
    "GitlabSecret",
    "Hooks",
    "IdToken",
    "Image",
    "ImageRef",
    "Include",
    "Inherit",
    "InlineCache",
    "Input",
    "InputRef",
    "InputRule",
    "Job",
    "KanikoBuild",
    "KubeDeploy",
    "KubernetesEnvironment",
    "KubernetesOptions",
    "LoadError",
    "Mirror",
    "Monorepo",
    "Need",
    "OnlyExcept",
    "Package",
    "Pages",
    "Parallel",
    "Pipeline",
    "PullSecret",
    "Reference",
    "Regex",
    "Registry",
    "RegistryCache",
    "RegistryCleanup",
    "RegistryDebug",
    "RegistryPrune",
    "Release",
    "ReleaseLink",
    "Reports",
    "Retry",
    "Rule",
    "Secret",
    "Service",
    "Spec",
    "Stage",
    "Step",
    "TagStrategy",
    "Trigger",
    "TrivyScan",
    "ValidationError",
    "Variable",
    "VaultEngine",
    "VaultSecret",
    "Workflow",
    "ci",
    "component",
    "image_pull_secrets",
    "input_ref",
    "load_yaml",
    "runs_on",
    "to_dict",
    "to_documents",
    "to_yaml",
]


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'gitlabci_dsl' has no attribute {name!r}")
    module = importlib.import_module(f".{where or name}", __name__)
    value = module if where == "" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
