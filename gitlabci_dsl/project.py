"""A repository using gitlabci-dsl: its configuration, pipeline modules and generated files.

Every command's work besides parsing arguments and printing lives here: reading
``[tool.gitlabci-dsl]``, finding ``pipelines/*.py`` and the YAML to lint, importing modules with
errors that point at the user's own line, and the two steps every writing command shares:

* **build** (:func:`build`): compile the modules (every error at once), refuse two modules
  writing one file, compare each output with the file on disk, and check with GitLab's rules
  every text that will be written or printed. The result is a :class:`Build`: its targets and
  which of them are stale.
* **apply**: :func:`write` (atomically, all or nothing), or report (``--check``) or
  :func:`diff`. ``import`` and ``init`` make their :class:`Build` with :func:`files` and apply it
  the same way; the pytest plugin uses :func:`build` too.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import sys
import types
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from .errors import CompileError, GitlabCIDSLError, LoadError, UsageError

if TYPE_CHECKING:
    from .gitlab.includes import Source
    from .lint import Finding, Linted
    from .model.pipeline import Pipeline

__all__ = [
    "Build",
    "Config",
    "LintRun",
    "PipelineText",
    "Stale",
    "Target",
    "at_python_lines",
    "build",
    "check_output",
    "check_unique",
    "compile_module",
    "compile_tree",
    "diff",
    "discover",
    "display_path",
    "files",
    "find_root",
    "include_source",
    "lint",
    "load_config",
    "load_pipeline",
    "pipeline_text",
    "vendor_folder",
    "write",
    "write_all",
    "yaml_files",
]

MAIN_OUTPUT = ".gitlab-ci.yml"
VENDOR = ".gitlab/vendor"
OTHER_OUTPUTS = ".gitlab/ci"
_PACKAGE_DIR = Path(__file__).resolve().parent


class Config(NamedTuple):
    """``[tool.gitlabci-dsl]`` of pyproject.toml.

    ``pipelines``: folder of pipeline modules (default ``pipelines``);
    ``outputs``: ``{module stem: output path}`` overrides;
    ``lint_ignore``: rule ids ``gitlabci-dsl lint`` leaves out (``[tool.gitlabci-dsl.lint]``
    ``ignore = [...]``);
    ``vendor``: the folder ``gitlabci-dsl vendor`` fills with the includes that are not files
    of the project (default ``.gitlab/vendor``);
    ``templates``: a folder of GitLab's CI templates in the project, for ``include: template``;
    ``checkouts``: ``{project path: folder}``, checkouts of other projects in this one (git
    submodules), read for their components and files.
    """

    root: Path
    pipelines: str = "pipelines"
    outputs: dict[str, str] = {}  # noqa: RUF012 - a NamedTuple default, never mutated
    lint_ignore: tuple[str, ...] = ()
    vendor: str = VENDOR
    templates: str | None = None
    checkouts: dict[str, str] = {}  # noqa: RUF012 - a NamedTuple default, never mutated


class Target(NamedTuple):
    """One compiled pipeline: where it came from, where it goes, and the text."""

    module: Path
    output: Path
    text: str
    included: bool = False  # Pipeline(included=True): a part of a pipeline, not a whole one
    parent: Path | None = None  # a child pipeline's: the output whose trigger includes it
    # Its children compiled when the pipeline runs: (Generated(...), its module's path) pairs.
    generated: tuple[tuple[Any, Path], ...] = ()
    component: Any = None  # the Component it is, for a CI/CD component's template
    # Where the module built each job: {job name: (Python file, line)} (see record_sites).
    sites: Mapping[str, tuple[str, int]] = types.MappingProxyType({})


class Stale(NamedTuple):
    """A target whose file differs from its text: ``old`` is the file's text, None if missing."""

    target: Target
    old: str | None


class Build(NamedTuple):
    """What a command would write: every target, and those whose file is stale or missing."""

    root: Path
    targets: tuple[Target, ...]
    stale: tuple[Stale, ...]


def find_root(start: Path) -> Path:
    """The project ``start`` is in: the nearest folder at or above it whose pyproject.toml has
    a ``[tool.gitlabci-dsl]`` table; else the nearest with a pyproject.toml; else the nearest
    git work tree's top; else ``start``. So every command works from any folder of the
    project, even one with a pyproject.toml of its own (a package of a monorepo)."""
    start = start.resolve()
    nearest: Path | None = None
    for folder in (start, *start.parents):
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            if _configures(pyproject):
                return folder
            nearest = nearest or folder
        if nearest is None and (folder / ".git").exists():
            return folder
    return nearest or start


def _configures(pyproject: Path) -> bool:
    """Whether ``pyproject`` may hold a ``[tool.gitlabci-dsl]`` table (see _MAY_CONFIGURE)."""
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return _MAY_CONFIGURE.search(text) is not None and "gitlabci-dsl" in text


# Where a [tool.gitlabci-dsl] table can begin: a table header, a dotted key under [tool], or an
# inline table in a bare [tool] table. Without any of these the file is not parsed at all:
# tomllib costs more start-up time than the rest of reading the configuration.
_MAY_CONFIGURE = re.compile(
    r"""^\s*(?:\[\s*tool\s*\.\s*["']?gitlabci-dsl|\[\s*tool\s*\]|tool\s*\.\s*["']?gitlabci-dsl)""",
    re.M,
)


def load_config(root: Path) -> Config:
    """Read ``[tool.gitlabci-dsl]`` from ``root/pyproject.toml`` (defaults when absent)."""
    pyproject = root / "pyproject.toml"
    try:
        text = pyproject.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config(root=root)
    except OSError as exc:
        raise LoadError(f"pyproject.toml: cannot read: {exc.strerror}") from None
    if _MAY_CONFIGURE.search(text) is None:
        return Config(root=root)
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LoadError(f"pyproject.toml: not valid TOML: {exc}") from None
    table = data.get("tool", {}).get("gitlabci-dsl", {})
    known = {"pipelines", "outputs", "lint", "vendor", "templates", "checkouts"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise LoadError(
            f"pyproject.toml: [tool.gitlabci-dsl] has unknown key(s) {', '.join(unknown)}; "
            "known keys are pipelines, outputs, lint, vendor, templates and checkouts"
        )
    checkouts = table.get("checkouts", {})
    if not isinstance(checkouts, dict) or not all(
        isinstance(v, str) and _folder(root, v) is not None for v in checkouts.values()
    ):
        raise LoadError(
            "pyproject.toml: [tool.gitlabci-dsl] checkouts must be a table of project paths "
            'and folders inside the project, such as {"group/ci" = "deps/ci"}'
        )
    folders = {key: table.get(key) for key in ("vendor", "templates")}
    for key, folder in folders.items():
        if folder is not None and (not isinstance(folder, str) or _folder(root, folder) is None):
            raise LoadError(
                f"pyproject.toml: [tool.gitlabci-dsl] {key} = {folder!r}: must be a folder "
                "inside the project, such as '.gitlab/vendor'"
            )
    lint = table.get("lint", {})
    ignore = lint.get("ignore", []) if isinstance(lint, dict) else None
    if (
        not isinstance(lint, dict)
        or set(lint) - {"ignore"}
        or not isinstance(ignore, list)
        or not all(isinstance(rule, str) for rule in ignore)
    ):
        raise LoadError(
            "pyproject.toml: [tool.gitlabci-dsl.lint] takes one key, ignore, a list of rule "
            'ids such as ["duplicate-key"]'
        )
    pipelines = table.get("pipelines", "pipelines")
    outputs = table.get("outputs", {})
    if not isinstance(pipelines, str) or not isinstance(outputs, dict):
        raise LoadError(
            "pyproject.toml: [tool.gitlabci-dsl] pipelines must be a folder name and outputs "
            'a table such as {main = ".gitlab-ci.yml"}'
        )
    return Config(
        root=root,
        pipelines=pipelines,
        outputs={str(k): str(v) for k, v in outputs.items()},
        lint_ignore=tuple(ignore),
        vendor=folders["vendor"] or VENDOR,
        templates=folders["templates"],
        checkouts={str(k): str(v) for k, v in checkouts.items()},
    )


def _folder(root: Path, folder: str) -> Path | None:
    """The folder ``folder`` names inside the project (it need not exist), or None when it
    leaves the project: a pyproject.toml may not be the user's own work."""
    from .gitlab.paths import resolve_in

    if not folder or Path(folder).is_absolute():
        return None
    return resolve_in(root, folder)


def vendor_folder(config: Config) -> Path:
    """The vendored folder of the project (``[tool.gitlabci-dsl] vendor``)."""
    folder = _folder(config.root, config.vendor)
    assert folder is not None  # load_config refuses one outside the project
    return folder


def include_source(
    config: Config,
    templates: Path | None = None,
    pending: Mapping[str, str] | None = None,
) -> Source:
    """Where lint, explain, graph, import and compile read the includes that are not files of
    the project: this project's own components (``pending``: as compile is about to write
    them), the checkouts of other projects, the vendored folder, then the templates folder (``templates``, a folder the user
    named on the command line, over ``[tool.gitlabci-dsl] templates``)."""
    from .sources import Checkout, OwnComponents, Sources, Templates, Vendored

    sources: list[Source] = [OwnComponents(config.root, pending)]
    for path, folder in sorted(config.checkouts.items()):
        checkout = _folder(config.root, folder)
        if checkout is not None:
            sources.append(Checkout(path, checkout))
    vendor = vendor_folder(config)
    if vendor.is_dir():
        sources.append(Vendored(vendor))
    if templates is None and config.templates is not None:
        templates = _folder(config.root, config.templates)
    if templates is not None:
        if not templates.is_dir():
            raise UsageError(f"--templates {templates}: no such folder")
        sources.append(Templates(templates))
    return Sources(*sources)


def discover(config: Config, paths: Sequence[Path] = ()) -> list[Path]:
    """Pipeline modules to compile: ``paths`` (files or folders) or the configured folder.

    Modules whose name starts with ``_`` are helpers, never pipelines.
    """
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    found: list[Path] = []
    for path in paths or (config.root / config.pipelines,):
        if path.is_dir():
            modules = [
                p for p in path.iterdir() if p.suffix == ".py" and not p.name.startswith("_")
            ]
            found.extend(sorted(modules))
        elif path.suffix == ".py" and path.is_file():
            found.append(path)
        else:
            raise LoadError(f"{path}: not a pipeline module (.py) or a folder of them")
    return [p.resolve() for p in found]


def module_name(path: Path, root: Path) -> str:
    """``pipelines/app.py`` → ``pipelines.app``: the name the module is imported under."""
    rel = _relative(path, root)
    if rel is None:
        return path.stem
    return ".".join(rel.with_suffix("").parts)


def output_path(path: Path, config: Config, module: types.ModuleType | None = None) -> Path:
    """Where the YAML for the module at ``path`` goes (relative paths are from the root)."""
    override = getattr(module, "output", None) if module is not None else None
    if override is not None and not isinstance(override, str):
        raise LoadError(
            f"{display_path(path, config.root)}: module-level 'output' must be a path string such as "
            f"'.gitlab/ci/{path.stem}.yml', not {type(override).__name__}"
        )
    configured = config.outputs.get(path.stem)
    chosen = override or configured
    if chosen is None:
        chosen = MAIN_OUTPUT if path.stem == "main" else f"{OTHER_OUTPUTS}/{path.stem}.yml"
    where = (
        f"{display_path(path, config.root)}: output = {chosen!r}"
        if override
        else f"pyproject.toml: [tool.gitlabci-dsl] outputs.{path.stem} = {chosen!r}"
    )
    return _writable(config.root, chosen, where)


def _writable(root: Path, chosen: str, where: str) -> Path:
    """The file ``chosen`` names in the project, if compile may write it: a YAML file inside
    the project, not under ``.git/``, and not something other than a regular file. A pipeline
    file comes from a module or a pyproject.toml that may not be the user's own work (a merge
    request from a fork), so it must never reach outside the project or over its sources."""
    from .gitlab.paths import resolve_in

    fix = "choose a .yml file inside the project, such as '.gitlab/ci/NAME.yml'"
    if Path(chosen).is_absolute():
        absolute = Path(chosen).resolve()
        if not absolute.is_relative_to(root):
            raise LoadError(f"{where}: is outside the project; {fix}")
        chosen = absolute.relative_to(root).as_posix()
    target = resolve_in(root, chosen)
    if target is None:
        raise LoadError(f"{where}: leaves the project; {fix}")
    relative = target.relative_to(root)
    if relative.parts and relative.parts[0] == ".git":
        raise LoadError(f"{where}: is inside .git/, git's own files; {fix}")
    if target.suffix not in (".yml", ".yaml"):
        raise LoadError(f"{where}: is not a YAML file (it could be a source file); {fix}")
    if target.exists() and not target.is_file():
        raise LoadError(f"{where}: exists and is not a regular file; {fix}")
    return target


@contextmanager
def _importable(path: Path, root: Path) -> Iterator[None]:
    """Let a pipeline module import its siblings and the project's packages while it loads."""
    added = [str(path.parent), str(root)]
    saved = list(sys.path)
    sys.path[:0] = [p for p in added if p not in sys.path]
    try:
        yield
    finally:
        sys.path[:] = saved


def load_pipeline(
    path: Path, config: Config, *, allow_components: bool = False
) -> tuple[Pipeline, types.ModuleType]:
    """Import the module at ``path`` and return its module-level ``pipeline``.

    Every failure is a :class:`LoadError` whose message names the module and, for an exception
    in the user's code, the user's own line rather than gitlabci-dsl's traceback.
    """
    rel = display_path(path, config.root)
    name = module_name(path, config.root)
    if not path.is_file():
        raise LoadError(f"{rel}: cannot read: no such file")
    # The regular import machinery, so the module's bytecode is cached like any import's.
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    previous = sys.modules.get(name)
    sys.modules[name] = module
    try:
        # What the module prints goes to standard error: standard output may be the YAML
        # itself (--stdout), piped into another tool.
        with _importable(path, config.root), contextlib.redirect_stdout(sys.stderr):
            spec.loader.exec_module(module)
    except SyntaxError as exc:
        file = display_path(Path(exc.filename), config.root) if exc.filename else rel
        where = f"{file}:{exc.lineno}:{exc.offset}" if exc.lineno else file
        raise LoadError(f"{where}: syntax error: {exc.msg}") from None
    except GitlabCIDSLError as exc:
        raise LoadError(f"{_user_frame(exc, config.root, rel)}: {exc}") from None
    except Exception as exc:  # the user's code may raise anything; report it, don't crash
        # A misspelt keyword argument of a node already names the closest field (model.base).
        raise LoadError(
            f"{_user_frame(exc, config.root, rel)}: {type(exc).__name__}: {exc}"
        ) from None
    finally:
        if previous is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = previous
    pipeline: Any = module.__dict__.get("pipeline")
    if pipeline is None:
        if allow_components and module.__dict__.get("components") is not None:
            return None, module  # type: ignore[return-value]  # compile_tree's case only
        raise LoadError(
            f"{rel}: defines no module-level 'pipeline'; end the module with "
            "'pipeline = Pipeline(stages=[...], jobs=[...])' (or, for CI/CD components, "
            "'components = [...]')"
        )
    if getattr(pipeline, "node_kind", None) != "Pipeline":  # a subclass is a Pipeline too
        raise LoadError(
            f"{rel}: 'pipeline' is a {type(pipeline).__name__}, expected gitlabci_dsl.Pipeline"
        )
    return pipeline, module


def _user_frame(exc: BaseException, root: Path, fallback: str) -> str:
    """``file:line`` of the innermost frame of the traceback that is the user's, not ours."""
    import traceback

    where = fallback
    for frame in traceback.extract_tb(exc.__traceback__):
        file = Path(frame.filename)
        if not file.is_absolute() or _PACKAGE_DIR in file.parents:
            continue
        if root in file.parents:
            where = f"{display_path(file, root)}:{frame.lineno}"
    return where


def compile_module(path: Path, config: Config) -> Target:
    """Load, validate and render one pipeline module (its own file: see :func:`compile_tree`
    for its child pipelines too)."""
    return compile_tree(path, config)[0]


def compile_tree(path: Path, config: Config) -> list[Target]:
    """The module's pipeline, then each child pipeline its triggers include
    (``Child(pipeline, file=...)``), depth first, as GitLab nests them."""
    from .model.base import record_sites

    with record_sites() as sites:
        return _compile_tree(path, config, sites)


def _sites_of(pipeline: Any, sites: Mapping[int, tuple[Any, str, int]]) -> Mapping[str, Any]:
    """Where each job of ``pipeline`` was built, by the job's name."""
    found = {}
    for job in getattr(pipeline, "jobs", ()):
        site = sites.get(id(job))
        if site is not None and site[0] is job:
            found[job.name] = site[1:]
    return types.MappingProxyType(found)


def _compile_tree(
    path: Path, config: Config, sites: Mapping[int, tuple[Any, str, int]]
) -> list[Target]:
    from .gitlab.facts import MAX_CHILD_PIPELINE_DEPTH
    from .model.base import is_node

    pipeline, module = load_pipeline(path, config, allow_components=True)
    rel = display_path(path, config.root)
    # The header names the module compiled, the one to edit and regenerate, even when a
    # factory in a helper module built the pipeline (or its children).
    source = module_name(path, config.root)
    made = [
        target._replace(sites=_sites_of(target.component.pipeline, sites))
        for target in _components(module, path, config, source)
    ]
    if pipeline is None:
        return made
    top = Target(
        module=path,
        output=output_path(path, config, module),
        text=_render(pipeline, source, rel),
        included=pipeline.included,
        sites=_sites_of(pipeline, sites),
    )
    targets = [top]
    written = {top.output: top.text}

    def children(parent: Any, index: int, depth: int) -> None:
        output = targets[index].output
        generated = []
        for job in parent.jobs:
            trigger = job.trigger
            listed = getattr(trigger, "include", None) if is_node(trigger, ("Trigger",)) else None
            for child in listed if isinstance(listed, tuple) else ():
                if is_node(child, ("Generated",)):
                    where = f"{rel}: job {job.name!r}: Generated(module={child.module!r})"
                    generated.append((child, _module_of(config.root, child.module, where)))
                    continue
                if not is_node(child, ("Child",)):
                    continue
                where = f"{rel}: job {job.name!r}: Child(file={child.file!r})"
                if depth > MAX_CHILD_PIPELINE_DEPTH:
                    raise LoadError(
                        f"{where} is a child pipeline {depth} levels below the parent; GitLab "
                        f"nests child pipelines {MAX_CHILD_PIPELINE_DEPTH} levels deep at most: "
                        "trigger it from a pipeline higher up"
                    )
                file = _writable(config.root, child.file, where)
                text = _render(child.pipeline, source, f"{where}")
                if file in written:
                    if written[file] != text:
                        raise LoadError(
                            f"{where}: another pipeline of this module is written to "
                            f"{display_path(file, config.root)}; give each child its own file"
                        )
                    continue
                written[file] = text
                targets.append(
                    Target(
                        module=path,
                        output=file,
                        text=text,
                        parent=output,
                        sites=_sites_of(child.pipeline, sites),
                    )
                )
                children(child.pipeline, len(targets) - 1, depth + 1)
        if generated:
            targets[index] = targets[index]._replace(generated=tuple(generated))

    children(pipeline, 0, 1)
    return [*targets, *made]


def _components(module: types.ModuleType, path: Path, config: Config, source: str) -> list[Target]:
    """The module's ``components = [...]``, each written where GitLab reads it in its project
    (``templates/NAME.yml`` or ``templates/NAME/template.yml``)."""
    from .components import Component
    from .gitlab.components import MAX_COMPONENTS

    listed = module.__dict__.get("components")
    if listed is None:
        return []
    rel = display_path(path, config.root)
    if not isinstance(listed, (list, tuple)) or not all(isinstance(c, Component) for c in listed):
        raise LoadError(
            f"{rel}: 'components' must be a list of @component functions, such as "
            "'components = [build, scan]'"
        )
    if len(listed) > MAX_COMPONENTS:
        raise LoadError(
            f"{rel}: {len(listed)} components; GitLab's catalog takes {MAX_COMPONENTS} from one "
            "project at most: move some to another project"
        )
    targets = []
    names: set[str] = set()
    for made in listed:
        where = f"{rel}: component {made.name!r}"
        if made.name in names:
            raise LoadError(f"{where} is listed twice, or two components share the name")
        names.add(made.name)
        targets.append(
            Target(
                module=path,
                output=_writable(config.root, made.path, where),
                text=_render(made.pipeline, source, where),
                included=True,
                component=made,
            )
        )
    return targets


def _module_of(root: Path, module: str, where: str) -> Path:
    """The pipeline module ``module`` (a path from ``root``) names, which must be a file of
    the project: a generator job compiles it when the pipeline runs."""
    from .gitlab.paths import inside

    found = inside(root, module)
    if found is None:
        raise LoadError(
            f"{where}: no such file in the project; a generator job compiles this module when "
            "the pipeline runs: create it, or fix the path (relative to the project root)"
        )
    return found


def _render(pipeline: Any, source: str, where: str) -> str:
    from .emitter import to_yaml

    try:
        # GitLab's checks run on the text that will be written (check_output), where their
        # findings have lines; an output equal to its file was checked when it was written.
        return to_yaml(pipeline, source=source, check=False)
    except GitlabCIDSLError as exc:
        lines = str(exc).splitlines() or [""]
        raise LoadError("\n".join(f"{where}: {line}" for line in lines)) from None


def build(
    config: Config,
    paths: Sequence[Path] = (),
    *,
    schema: bool = True,
    printing: bool = False,
    checked: Sequence[Path] | None = None,
) -> Build:
    """Compile the pipeline modules ``paths`` name (default: the configured folder) into a
    :class:`Build`, or raise one error listing every module that fails.

    The text that will be written (a stale output) or printed (``printing``) is checked with
    GitLab's schema (unless ``schema=False``) and GitLab's pipeline checks; an output equal to
    its file on disk was checked when it was written. ``checked``: the modules whose text is
    checked whatever the disk holds (the pytest plugin's).
    """
    modules = discover(config, paths)
    if not modules:
        raise UsageError(
            f"no pipeline modules found in {config.pipelines}/ of the project at {config.root}; "
            "run 'gitlabci-dsl init' there, or set [tool.gitlabci-dsl] pipelines = \"FOLDER\" "
            "in its pyproject.toml"
        )
    targets: list[Target] = []
    errors: list[str] = []
    for module in modules:
        try:
            targets.extend(compile_tree(module, config))
        except GitlabCIDSLError as exc:
            errors.append(str(exc))
    if errors:
        raise LoadError("\n".join(errors))
    if not paths:  # every module compiled: the README lists every component
        targets.extend(_readme(config.root, targets))
    check_unique(targets, config.root)
    made = files(config.root, targets)
    if printing:
        fresh: Sequence[Target] = made.targets
    elif checked is not None:
        wanted = {path.resolve() for path in checked}
        fresh = [t for t in made.targets if t.module in wanted]
    else:
        fresh = [s.target for s in made.stale]
    check_output(
        fresh,
        config.root,
        schema=schema,
        ignore=config.lint_ignore,
        together=made.targets,
        config=config,
    )
    return made


def _readme(root: Path, targets: Sequence[Target]) -> list[Target]:
    """The project's README.md with its component section, when the project has components:
    written when there is no README, updated between its markers, else left alone."""
    from .components import readme_section, with_section

    components = [t.component for t in targets if t.component is not None]
    if not components:
        return []
    readme = root / "README.md"
    text = with_section(current_text(readme), readme_section(components))
    if text is None:
        return []
    return [Target(module=targets[0].module, output=readme, text=text)]


def files(root: Path, targets: Sequence[Target]) -> Build:
    """A :class:`Build` of ``targets`` as they are: which files on disk differ from them."""
    stale = []
    for target in targets:
        old = current_text(target.output)
        if old != target.text:
            stale.append(Stale(target, old))
    return Build(root, tuple(targets), tuple(stale))


def check_unique(targets: Sequence[Target], root: Path) -> None:
    """Refuse two modules that write the same file: one would silently overwrite the other."""
    seen: dict[Path, Path] = {}
    for target in targets:
        output, module = target.output, target.module
        if output in seen:
            raise LoadError(
                f"{display_path(module, root)} and {display_path(seen[output], root)} both write "
                f"{display_path(output, root)}; set a different module-level 'output' in one of them"
            )
        seen[output] = module


def write(made: Build) -> None:
    """Write the stale files of ``made``, all or none (see :func:`write_all`)."""
    write_all([s.target for s in made.stale], leftovers_of=made.targets)


def diff(made: Build) -> Iterator[str]:
    """A unified diff (``a/`` and ``b/`` paths from the root) of every stale file's change."""
    import difflib

    for target, old in made.stale:
        name = display_path(target.output, made.root)
        yield from difflib.unified_diff(
            (old or "").splitlines(keepends=True),
            target.text.splitlines(keepends=True),
            fromfile=f"a/{name}",
            tofile=f"b/{name}",
        )


class PipelineText(NamedTuple):
    """A pipeline for explain and graph: its YAML, what GitLab would read along with it."""

    text: str
    shown: str  # the file, as messages name it
    pending: dict[str, str]  # the child pipelines it writes: {output from the root: text}
    # Its children compiled when the pipeline runs, as their generator jobs would on this
    # checkout: {(generator job, artifact): text}.
    artifacts: dict[tuple[str, str], str]


def pipeline_text(path: Path, config: Config) -> PipelineText:
    """The GitLab CI YAML at ``path``, and the child pipelines it writes or generates: a YAML
    file is read (never run) and has none; a pipeline module (``.py``) is run and compiled
    first, its children with it, and the modules its ``Generated(...)`` children name
    (``DynamicChild``) too: project code that the pipeline module names, which its generator
    job would run."""
    from .gitlab.facts import MAX_CHILD_PIPELINE_DEPTH
    from .gitlab.paths import read_file

    if not path.exists():
        raise UsageError(f"no such file: {path}")
    shown = display_path(path.resolve(), config.root)
    if path.suffix != ".py":
        return PipelineText(read_file(path, shown), shown, {}, {})
    pending: dict[str, str] = {}
    artifacts: dict[tuple[str, str], str] = {}

    def add(targets: list[Target], chain: tuple[Path, ...]) -> None:
        for target in targets[1:]:
            pending.setdefault(display_path(target.output, config.root), target.text)
        if len(chain) > MAX_CHILD_PIPELINE_DEPTH:
            return  # GitLab starts none deeper: explain says so at the trigger job
        for target in targets:
            for generated, module in target.generated:
                if module in chain:
                    continue  # a module generating itself: followed once
                tree = compile_tree(module, config)
                artifacts.setdefault((generated.job, generated.artifact), tree[0].text)
                add(tree, (*chain, module))

    top = compile_tree(path.resolve(), config)
    add(top, (path.resolve(),))
    return PipelineText(top[0].text, shown, pending, artifacts)


def at_python_lines(target: Target, findings: Sequence[Finding], root: Path) -> list[Finding]:
    """``findings`` of ``target``'s text placed at the Python line that wrote each: the
    string of the script line in the module's ``Job(...)`` call (or the call, or the call of
    the block that made the job, when the line is not a literal there), the generated
    file's position kept in the message. Findings of no job built in the module stay where
    they are."""
    lines = target.text.splitlines()
    parsed: dict[str, _Strings | None] = {}
    placed = []
    for finding in findings:
        site = target.sites.get(finding.job) if finding.job else None
        if site is None:
            placed.append(finding)
            continue
        file, line = site
        written = lines[finding.line - 1] if finding.line and finding.line <= len(lines) else ""
        fragments = _fragments(written, finding.column)
        line = _python_line(parsed, file, line, fragments)
        where = f"{finding.file}:{finding.line}" + (f":{finding.column}" if finding.column else "")
        placed.append(
            finding._replace(
                file=display_path(Path(file), root),
                line=line,
                column=None,
                message=f"{finding.message} (generated {where})",
            )
        )
    return placed


def _fragments(written: str, column: int | None) -> list[str]:
    """The script text of a generated YAML line, as a Python string holds it: the whole
    item, then the part from the finding's column on."""
    text = written.strip()
    if text.startswith("- "):
        text = text[2:]
    elif re.match(r"[\w-]+:\s", text):
        text = text.split(":", 1)[1].strip()
    found = [text.strip("'\""), text]
    if column:
        found.append(written[column - 1 :].rstrip().rstrip("'\""))
    return [f for f in found if len(f) >= 2]


class _Strings(NamedTuple):
    """A Python file's string literals, ``(line, text)``: all of them, and those inside
    each call by the line the call starts on. Built once per file, for all its findings."""

    everywhere: list[tuple[int, str]]
    in_calls: dict[int, list[tuple[int, str]]]


def _strings_of(file: str) -> _Strings | None:
    import ast

    try:
        tree = ast.parse(Path(file).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError, RecursionError):
        return None

    def literals(root: Any) -> list[tuple[int, str]]:
        return [
            (node.lineno, node.value)
            for node in ast.walk(root)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        ]

    in_calls: dict[int, list[tuple[int, str]]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            in_calls.setdefault(node.lineno, []).extend(literals(node))
    return _Strings(literals(tree), in_calls)


def _python_line(
    parsed: dict[str, _Strings | None], file: str, line: int, fragments: list[str]
) -> int:
    """The line of the string in the call at ``file:line`` (else anywhere in the file, when
    only one string there holds it) that holds one of ``fragments``; else ``line``."""
    if file not in parsed:
        parsed[file] = _strings_of(file)
    strings = parsed[file]
    if strings is None:
        return line
    inside = strings.in_calls.get(line, [])
    for fragment in fragments:
        here = [number for number, value in inside if fragment in value]
        if here:
            return here[0]
        anywhere = {number for number, value in strings.everywhere if fragment in value}
        if len(anywhere) == 1:
            return anywhere.pop()
    return line


def _at_modules(linted: Linted, compiled: Sequence[Target], config: Config) -> Linted:
    """The findings of the outputs of pipeline modules at the modules' lines, less those a
    comment on that line silences (``# gitlabci-dsl: ignore[SC2086] -- why``)."""
    from .lint import silence

    by_output = {display_path(t.output, config.root): t for t in compiled}
    findings: list[Finding] = []
    suppressed = list(linted.suppressed)
    by_file: dict[str, list[Finding]] = {}
    for finding in linted.findings:
        by_file.setdefault(finding.file, []).append(finding)
    for name, found in by_file.items():
        target = by_output.get(name)
        if target is None:
            findings += found
            continue
        by_module: dict[str, list[Finding]] = {}
        for finding in at_python_lines(target, found, config.root):
            by_module.setdefault(finding.file, []).append(finding)
        for module, here in by_module.items():
            if module == name:
                findings += here
                continue
            if Path(module).is_absolute():  # a helper outside the project: not read
                findings += here
                continue
            text = (config.root / module).read_text(encoding="utf-8", errors="replace")
            findings += silence(here, text, config.lint_ignore, suppressed)
    return linted._replace(findings=findings, suppressed=suppressed)


class LintRun(NamedTuple):
    """What ``lint`` read and found: each file's text (by the name findings give), the
    findings, and how many ShellCheck processes ran (None: ShellCheck was off)."""

    texts: dict[str, str]
    linted: Linted
    processes: int | None


def lint(
    config: Config,
    paths: Sequence[Path],
    *,
    templates: Path | None = None,
    shellcheck: bool = True,
) -> LintRun:
    """Lint ``paths`` (default: the project's CI files, see :func:`yaml_files`) together,
    with the project's ignore list and offline include sources; ShellCheck runs on the
    scripts unless ``shellcheck`` is false or the project ignores the rule. A pipeline
    module (``pipelines/x.py``) is compiled in memory and its outputs linted, each finding
    of a job it built placed at the module's line (:func:`at_python_lines`)."""
    from .gitlab.paths import read_file
    from .lint import RULES, lint_texts
    from .lint.shell import ShellCheck

    unknown = sorted(
        rule
        for rule in set(config.lint_ignore) - set(RULES)
        if not (rule.startswith("SC") and rule[2:].isdigit())  # ShellCheck's codes
    )
    if unknown:
        raise LoadError(
            f"pyproject.toml: [tool.gitlabci-dsl.lint] ignore: unknown rule(s) "
            f"{', '.join(unknown)}; known rules: {', '.join(sorted(RULES))}"
        )
    modules = [path for path in paths if path.suffix == ".py" and path.is_file()]
    compiled = [t for m in modules for t in compile_tree(m.resolve(), config)]
    compiled = [t for t in compiled if t.output.suffix in (".yml", ".yaml")]
    others = [path for path in paths if path not in modules]
    files = yaml_files(others, config.root) if others or not modules else []
    if not files and not compiled and not modules:
        raise UsageError("no GitLab CI YAML found: give files or folders to lint")
    texts = {}
    for target in compiled:  # what the module writes now, not what the disk holds
        texts[display_path(target.output, config.root)] = target.text
    for file in files:
        shown = display_path(file, config.root)
        texts.setdefault(shown, read_file(file, shown))
    source = include_source(config, templates, pending=texts if compiled else None)
    scripts = None
    if shellcheck and "shellcheck" not in config.lint_ignore:
        scripts = ShellCheck()
    linted = lint_texts(
        texts, root=config.root, ignore=config.lint_ignore, source=source, scripts=scripts
    )
    if compiled:
        linted = _at_modules(linted, compiled, config)
    return LintRun(texts, linted, scripts.processes if scripts is not None else None)


def yaml_files(paths: Sequence[Path], root: Path) -> list[Path]:
    """The files ``lint`` reads: ``paths`` (folders searched for ``*.yml``/``*.yaml``), or the
    project's ``.gitlab-ci.yml``, the ``.yml`` files under ``.gitlab/ci/`` (child pipelines
    in subfolders too) and its CI/CD components (``templates/NAME.yml``,
    ``templates/NAME/template.yml``)."""
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    if not paths:
        outputs = root / OTHER_OUTPUTS
        under = _yaml_in(outputs) if outputs.is_dir() and not outputs.is_symlink() else []
        defaults = [root / MAIN_OUTPUT, *(p for p in under if p.suffix == ".yml")]
        return [p for p in (*defaults, *_component_files(root)) if p.is_file()]
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(_yaml_in(path))
        else:
            found.append(path)  # named on the command line: read_file says if it is not one
    return [f.resolve() for f in found]


def _component_files(root: Path) -> list[Path]:
    """The project's CI/CD components, where GitLab reads them (``templates/``)."""
    from .gitlab.components import is_template

    folder = root / "templates"
    if not folder.is_dir() or folder.is_symlink():
        return []
    return [p for p in _yaml_in(folder) if is_template(p.relative_to(root).as_posix())]


def _yaml_in(folder: Path) -> list[Path]:
    """The regular ``*.yml``/``*.yaml`` files under ``folder``, links and ``.git`` left out: a
    link may lead out of the project, or to a FIFO or device; name it to lint it."""
    found = []
    for parent, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if d != ".git" and not Path(parent, d).is_symlink()]
        for name in names:
            path = Path(parent, name)
            if path.suffix in (".yml", ".yaml") and not path.is_symlink() and path.is_file():
                found.append(path)
    return sorted(found)


def import_file(
    config: Config,
    file: Path,
    output: Path | None = None,
    *,
    force: bool = False,
    allow_duplicates: bool = False,
    templates: Path | None = None,
) -> tuple[Any, Build | None]:
    """``gitlabci-dsl import``: the :class:`~gitlabci_dsl.importer.Imported` module for the
    YAML ``file``, and, with ``output``, the :class:`Build` that writes it there.

    A file of the project compiles back to where it is (the module sets ``output`` when that is
    not where compile would write); a file from elsewhere to the module's own output in this
    project: compile never writes outside it. The includes of other projects are read from
    the project's offline sources (:func:`include_source`; ``templates``: ``--templates``).
    """
    from .gitlab.paths import read_file
    from .importer import import_yaml

    if not file.exists():
        raise UsageError(f"no such file: {file}")
    source = display_path(file.resolve(), config.root)
    compiles_to = None
    if output is not None:
        if output.suffix != ".py":
            raise UsageError(f"{output}: the module's name must end in .py")
        if output.exists() and not force:
            raise LoadError(f"{output}: already exists; pass --force to overwrite it")
        inside = file.resolve().is_relative_to(config.root)
        if inside and output_path(output.resolve(), config) != file.resolve():
            compiles_to = source
    imported = import_yaml(
        read_file(file, source),
        source=source,
        output=compiles_to,
        allow_duplicates=allow_duplicates,
        includes=include_source(config, templates),
    )
    if output is None:
        return imported, None
    target = Target(module=output, output=output.resolve(), text=imported.code)
    return imported, files(config.root, [target])


def check_output(
    targets: Sequence[Target],
    root: Path,
    *,
    schema: bool = True,
    ignore: Sequence[str] = (),
    together: Sequence[Target] = (),
    config: Config | None = None,
) -> None:
    """The generated YAML passes GitLab's schema and GitLab's pipeline checks, or nothing is
    written: a pipeline built with ``extra=`` or ``Reference`` can still be one GitLab refuses.
    ``ignore``: rule ids the project turned off (``[tool.gitlabci-dsl.lint] ignore``);
    ``together``: every output of this compile, to find which are parts of another's pipeline
    (as ``lint`` finds them); ``config``: the project, whose offline sources the includes of
    other projects are read from (its components as this compile writes them)."""
    if not targets:
        return  # the usual ``compile --check``: every output is what was checked when written
    from .lint import RULES, WHOLE_PIPELINE_RULES, included_by_others, lint_text

    targets = [t for t in targets if t.output.suffix in (".yml", ".yaml")]  # not the README
    # The outputs as they will be on disk: an output included by another is read from here.
    texts = {
        display_path(t.output, root): t.text
        for t in (*together, *targets)
        if t.output.suffix in (".yml", ".yaml")
    }
    source = include_source(config, pending=texts) if config is not None else None
    parts = included_by_others(texts, root, pending=texts)
    problems = []
    for target in targets:
        output = display_path(target.output, root)
        # A file other files include is checked with them, where its names are defined:
        # declared (Pipeline(included=True)) or found, as lint finds it.
        part = target.included or output in parts
        skip = (*ignore, *WHOLE_PIPELINE_RULES) if part else tuple(ignore)
        # Only errors stop compile: the practice rules, which only warn, are left to lint.
        findings = lint_text(
            target.text,
            output,
            root=root,
            schema=schema,
            practice=False,
            ignore=skip,
            pending=texts,
            source=source,
        )
        for finding in findings:
            if finding.severity == "error":
                module = display_path(target.module, root)
                (placed,) = at_python_lines(target, [finding], root)
                if placed is not finding:  # the job's own line in the module
                    module = f"{placed.file}:{placed.line}"
                fix = RULES[finding.rule].fix
                problems.append(
                    f"{module}: GitLab would refuse {finding.human()}; {fix[0].lower()}{fix[1:]}"
                )
    if problems:
        raise CompileError("\n".join(problems))


def current_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def write_all(targets: Sequence[Target], *, leftovers_of: Sequence[Target] = ()) -> None:
    """Write every target or none: all temporary files first, then one rename each.

    A compile that was killed between the two leaves its temporary files behind; they are
    removed for every target written and every one of ``leftovers_of`` (the files compile
    found up to date). A failure to write (a full disk, a read-only folder) is one
    :class:`LoadError`, and nothing is written.
    """
    import tempfile

    for target in (*targets, *leftovers_of):
        _remove_leftovers(target.output)
    staged: list[tuple[str, Path]] = []
    current: Path | None = None
    try:
        for target in targets:
            current = target.output
            target.output.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(
                prefix=f".{target.output.name}.", suffix=".tmp", dir=target.output.parent
            )
            staged.append((tmp, target.output))
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(target.text)
            # mkstemp creates 0600; a generated file keeps the mode it had, or gets 0644.
            try:
                mode = target.output.stat().st_mode & 0o777
            except FileNotFoundError:
                mode = 0o644
            os.chmod(tmp, mode)  # noqa: PTH101 - tmp is a str from mkstemp
        for tmp, final in staged:
            current = final
            Path(tmp).replace(final)
    except OSError as exc:
        raise LoadError(f"{current}: cannot write: {exc.strerror}; nothing was written") from None
    finally:
        for tmp, _ in staged:
            if os.path.exists(tmp):  # noqa: PTH110 - tmp is a str from mkstemp
                os.unlink(tmp)  # noqa: PTH108


def _remove_leftovers(output: Path) -> None:
    """Delete the temporary files an interrupted write of ``output`` left: exactly the names
    ``write_all`` gives them (``.NAME.XXXXXXXX.tmp``, as mkstemp makes them)."""
    pattern = re.compile(rf"\.{re.escape(output.name)}\.[A-Za-z0-9_]{{8}}\.tmp")
    try:
        entries = list(os.scandir(output.parent))
    except OSError:
        return
    for entry in entries:
        if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)  # noqa: PTH108 - a path from scandir


def _relative(path: Path, root: Path) -> Path | None:
    """``path`` relative to the (resolved) ``root``, or None when it lies outside.

    Paths already absolute under ``root`` (all that ``discover`` returns) are taken as they
    are: resolving costs a system call per path component, several times per module.
    """
    if path.is_absolute() and ".." not in path.parts:
        try:
            return path.relative_to(root)
        except ValueError:
            pass
    try:
        return path.resolve().relative_to(root)
    except ValueError:
        return None


def display_path(path: Path, root: Path) -> str:
    """How messages show ``path``: relative to the project root when inside it."""
    rel = _relative(path, root)
    return str(path) if rel is None else rel.as_posix()
