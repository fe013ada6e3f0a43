"""Packages meet only at public names: no leading underscore is imported or read across them."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import gitlabci_dsl

PACKAGE = Path(gitlabci_dsl.__file__).resolve().parent
ROOT = PACKAGE.parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_package(module: str) -> bool:
    return (ROOT.joinpath(*module.split(".")) / "__init__.py").is_file()


def _is_module(module: str) -> bool:
    return _is_package(module) or ROOT.joinpath(*module.split(".")).with_suffix(".py").is_file()


def _package_of(module: str) -> str:
    """The package a module belongs to: itself for a package, else its parent."""
    return module if _is_package(module) else module.rpartition(".")[0]


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _resolve(node: ast.ImportFrom, module: str) -> str:
    """The absolute name of the module ``from <node.module> import ...`` reads."""
    if not node.level:
        return node.module or ""
    base = _package_of(module).split(".")
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def _crossings(source: str, module: str) -> Iterator[str]:
    """Each private name that ``module`` (its text: ``source``) imports or reads from another
    package, as ``line: what``."""
    here = _package_of(module)
    tree = ast.parse(source)
    modules: dict[str, str] = {}  # local name -> module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("gitlabci_dsl"):
                    if _package_of(alias.name) != here and any(
                        map(_private, alias.name.split("."))
                    ):
                        yield f"{module}:{node.lineno} imports {alias.name}"
                    modules[alias.asname or alias.name.split(".")[0]] = (
                        alias.name if alias.asname else alias.name.split(".")[0]
                    )
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(node, module)
            if not target.startswith("gitlabci_dsl"):
                continue
            for alias in node.names:
                full = f"{target}.{alias.name}"
                imported = full if _is_module(full) else target
                if _package_of(imported) == here:
                    continue
                if any(map(_private, full.split("."))):
                    yield f"{module}:{node.lineno} imports {alias.name} from {target}"
                if imported == full:
                    modules[alias.asname or alias.name] = full
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and _private(node.attr)
            and _package_of(modules[node.value.id]) != here
        ):
            yield f"{module}:{node.lineno} reads {node.value.id}.{node.attr}"


def test_no_private_name_crosses_a_package_boundary() -> None:
    """No module imports a _private name, or reads module._private, from another package."""
    found = [
        line
        for path in sorted(PACKAGE.rglob("*.py"))
        for line in _crossings(path.read_text(encoding="utf-8"), _module_name(path))
    ]
    assert not found, "\n".join(found)


def test_the_check_sees_what_it_forbids() -> None:
    """The scan flags the forms it is there to catch, and lets a package's own privates be."""
    source = (
        "from ..model._base import Node\n"
        "from ..blocks._fields import NAME\n"
        "from .. import compiler\n"
        "from ..gitlab.facts import DOCS\n"
        "from .convert import _NOT_FROM_MAPPING\n"
        "from . import render\n"
        "import gitlabci_dsl\n"
        "x = compiler._job, gitlabci_dsl._WHERE, gitlabci_dsl.__all__, render._escape\n"
    )
    found = [line.split(" ", 1)[1] for line in _crossings(source, "gitlabci_dsl.importer.probe")]
    assert found == [
        "imports Node from gitlabci_dsl.model._base",
        "imports NAME from gitlabci_dsl.blocks._fields",
        "reads compiler._job",
        "reads gitlabci_dsl._WHERE",
    ]
