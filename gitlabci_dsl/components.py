"""CI/CD components written in Python: typed parameters become ``spec:inputs``.

::

    @component
    def build(stage: str = "build", push: bool = True,
              level: Literal["low", "high"] = "low") -> Pipeline:
        \"\"\"Build the image.

        Args:
            stage: The stage of the build job.
        \"\"\"
        return Pipeline(jobs=[Job("build", stage=stage, allow_failure=push, script=["make"])])

The function is called once, each parameter given as an :class:`InputRef`, a typed reference
that compiles to ``$[[ inputs.NAME ]]``: ``str`` is a string input, ``int``/``float`` a number,
``bool`` a boolean, ``list`` an array, ``Literal[...]`` one with ``options``,
``Annotated[str, Regex("^v\\d+")]`` one with a ``regex``; a parameter without a default is a
mandatory input. The docstring's summary describes the component, its ``Args:`` section each
input. A ``$[[ inputs.NAME ]]`` the function writes by hand that names no parameter is an error
at once. ``compile`` writes a module's ``components = [...]`` to GitLab's layout,
``templates/NAME.yml`` (``folder=True``: ``templates/NAME/template.yml``), and lists their
inputs in the README. ``build.include("1.2.3", inputs={...})`` includes it, the inputs checked against its spec.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal, NamedTuple

from .errors import ValidationError

__all__ = ["Component", "InputRef", "Regex", "component", "input_ref"]


class Regex(NamedTuple):
    """``Annotated[str, Regex(r"^v\\d+$")]``: the input's ``regex`` (RE2, as GitLab)."""

    pattern: str


class InputRef(str):
    """A reference to a component input: its text is ``$[[ inputs.NAME ]]``, so it goes
    wherever a string does; ``input_type`` says what GitLab puts there (a whole value of
    type number, boolean or array is interpolated as that type, so such a reference is taken
    where the model wants one: ``allow_failure=push``)."""

    __slots__ = ("input_name", "input_type")
    input_name: str
    input_type: str

    def __new__(cls, name: str, kind: str = "string", functions: str = "") -> InputRef:
        ref = super().__new__(cls, f"$[[ inputs.{name}{functions} ]]")
        ref.input_name = name
        ref.input_type = kind
        return ref

    def _with(self, function: str) -> InputRef:
        current = str.__str__(self)[len(f"$[[ inputs.{self.input_name}") : -3]
        return InputRef(self.input_name, "string", f"{current} | {function}")

    def expand_vars(self) -> InputRef:
        """``$[[ inputs.NAME | expand_vars ]]``: CI/CD variables in the value expanded."""
        return self._with("expand_vars")

    def truncate(self, offset: int, length: int) -> InputRef:
        """``$[[ inputs.NAME | truncate(offset,length) ]]``."""
        return self._with(f"truncate({int(offset)},{int(length)})")

    def posix_quote(self) -> InputRef:
        """``$[[ inputs.NAME | posix_quote ]]``: quoted for a POSIX shell."""
        return self._with("posix_quote")


def input_ref(value: object) -> InputRef:
    """A parameter of a component function as the :class:`InputRef` it is when the component
    is built (its annotation says ``str`` or ``bool``, for type checkers): for the
    interpolation functions, ``input_ref(name).truncate(0, 8)``."""
    if not isinstance(value, InputRef):
        raise ValidationError(
            f"{value!r} is not a component input; pass a parameter of the @component function"
        )
    return value


def typed_input(value: object) -> bool:
    """Whether ``value`` is a reference to a number, boolean or array input: the model takes
    it where it wants that type (GitLab interpolates the typed value)."""
    return isinstance(value, InputRef) and value.input_type != "string"


_REFERENCE = r"\$\[\[\s*inputs\.([\w-]+)"


class Component:
    """A CI/CD component: its ``name``, its ``pipeline`` (``spec:`` header included) and where
    GitLab finds it in its project (:attr:`path`). Made by :func:`component`."""

    def __init__(
        self,
        function: Callable[..., Any],
        *,
        name: str | None = None,
        folder: bool = False,
    ) -> None:
        from .model.pipeline import Pipeline
        from .model.spec import Spec

        self.function = function
        self.name = name or function.__name__.replace("_", "-")
        self.folder = folder
        summary, described = _docstring(function.__doc__ or "")
        self.description = summary
        inputs, refs = _inputs(function, described, self.name)
        self.spec = Spec(inputs=inputs, description=summary[:256] or None)
        body = function(**refs)
        if getattr(body, "node_kind", None) != "Pipeline":
            raise ValidationError(
                f"component {self.name!r}: {function.__name__}() returned "
                f"{type(body).__name__}; return a Pipeline(jobs=[...])"
            )
        self.pipeline = _with_spec(body, self.spec, Pipeline)
        _check_references(self)

    @property
    def path(self) -> str:
        """Where GitLab reads it in its project: ``templates/NAME.yml`` or
        ``templates/NAME/template.yml``."""
        from .gitlab.components import template_paths

        return template_paths(self.name)[1 if self.folder else 0]

    def include(
        self,
        version: str = "$CI_COMMIT_SHA",
        *,
        inputs: Mapping[str, Any] | None = None,
        project: str = "$CI_PROJECT_PATH",
        server: str = "$CI_SERVER_FQDN",
        rules: Any = None,
    ) -> Any:
        """``Include(component="SERVER/PROJECT/NAME@VERSION", inputs=inputs)``, the inputs
        checked against this component's spec as GitLab checks them (default: this project's
        copy at this pipeline's commit, how a component project tests its components)."""
        from .compiler import compile_spec
        from .gitlab.inputs import declared, problems
        from .model.include import Include

        inputs = dict(inputs or {})
        found = problems(declared({"spec": compile_spec(self.spec)}), inputs)
        if found:
            raise ValidationError(
                f"component {self.name!r}: " + "; ".join(p.message for p in found)
            )
        return Include(
            component=f"{server}/{project}/{self.name}@{version}",
            inputs=inputs or None,
            rules=rules,
        )

    def __repr__(self) -> str:
        return f"Component({self.name!r})"


def component(
    function: Callable[..., Any] | None = None, *, name: str | None = None, folder: bool = False
) -> Any:
    """``@component`` (or ``@component(name="docker-build", folder=True)``) on a function that
    returns the component's :class:`~gitlabci_dsl.Pipeline`: see the module's documentation."""
    if function is None:
        return lambda f: Component(f, name=name, folder=folder)
    return Component(function, name=name, folder=folder)


def _with_spec(body: Any, spec: Any, pipeline: type) -> Any:
    import attrs

    values = {f.name: getattr(body, f.name) for f in attrs.fields(type(body))}
    values.update(spec=spec, included=True)
    return pipeline(**values)


def _docstring(text: str) -> tuple[str, dict[str, str]]:
    """The summary of a docstring and its ``Args:`` section, ``{name: description}``."""
    lines = inspect.cleandoc(text).splitlines()
    summary = []
    for line in lines:
        if not line.strip():
            break
        summary.append(line.strip())
    described: dict[str, str] = {}
    inside, current, indent, depth_of_names = False, None, 0, 0
    for line in lines:
        stripped = line.strip()
        if stripped in ("Args:", "Arguments:", "Inputs:", "Parameters:"):
            inside, indent = True, len(line) - len(line.lstrip())
            continue
        if not inside:
            continue
        depth = len(line) - len(line.lstrip())
        if stripped and depth <= indent:
            break
        match = re.match(r"(\w+)\s*(?:\([^)]*\))?:\s*(.*)", stripped)
        if match and (current is None or depth <= depth_of_names):
            current = match.group(1)
            depth_of_names = depth
            described[current] = match.group(2)
        elif current is not None and stripped:
            described[current] = f"{described[current]} {stripped}".strip()
    return " ".join(summary), described


def _inputs(
    function: Callable[..., Any], described: Mapping[str, str], name: str
) -> tuple[dict[str, Any], dict[str, InputRef]]:
    from .model.spec import Input

    hints = typing.get_type_hints(function, include_extras=True)
    inputs: dict[str, Any] = {}
    refs: dict[str, InputRef] = {}
    for parameter in inspect.signature(function).parameters.values():
        where = f"component {name!r}: input {parameter.name!r}"
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            raise ValidationError(f"{where}: *args and **kwargs cannot be inputs; name each one")
        hint = hints.get(parameter.name, str)
        kind, options, regex = _shape(hint, where)
        default = parameter.default
        if default is inspect.Parameter.empty:
            fields: dict[str, Any] = {}
        elif default is None:
            raise ValidationError(
                f"{where}: GitLab inputs cannot be null; give a default of its type, or none "
                "to make the input mandatory"
            )
        else:
            fields = {"default": list(default) if isinstance(default, tuple) else default}
        inputs[parameter.name] = Input(
            type=None if kind == "string" else kind,  # type: ignore[arg-type]
            description=described.get(parameter.name) or None,
            options=options,
            regex=regex,
            **fields,
        )
        refs[parameter.name] = InputRef(parameter.name, kind)
    return inputs, refs


_KINDS: dict[Any, str] = {str: "string", int: "number", float: "number", bool: "boolean"}


def _shape(hint: Any, where: str) -> tuple[str, list[Any] | None, str | None]:
    """(type, options, regex) of a parameter's annotation."""
    regex = None
    if typing.get_origin(hint) is typing.Annotated:
        hint, *extras = typing.get_args(hint)
        for extra in extras:
            if isinstance(extra, Regex):
                regex = extra.pattern
    origin = typing.get_origin(hint)
    if origin is Literal:
        options = list(typing.get_args(hint))
        kinds = {_KINDS.get(type(option)) for option in options}
        if len(kinds) != 1 or None in kinds:
            raise ValidationError(
                f"{where}: Literal options must be all strings, all numbers or all booleans"
            )
        return kinds.pop() or "string", options, regex
    if hint in _KINDS:
        kind = _KINDS[hint]
    elif hint is list or origin is list or origin is tuple or hint is tuple:
        kind = "array"
    elif origin in (typing.Union, types.UnionType):
        raise ValidationError(
            f"{where}: an input has one type; use str, int, float, bool, list or Literal[...]"
        )
    else:
        raise ValidationError(
            f"{where}: {hint!r} is not an input type; use str, int, float, bool, list or "
            "Literal[...]"
        )
    if regex is not None and kind != "string":
        raise ValidationError(f"{where}: GitLab applies a regex to string inputs only")
    return kind, None, regex


def _check_references(made: Component) -> None:
    """Every ``$[[ inputs.NAME ]]`` in the component names one of its inputs."""
    from .compiler import to_documents
    from .gitlab.regex import linear

    declared = set(made.spec.inputs or {})
    seen: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            if "$[[" in value:
                seen.update(m.group(1) for m in linear(_REFERENCE).finditer(value))
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(key)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(to_documents(made.pipeline)[-1])
    unknown = sorted(seen - declared)
    if unknown:
        raise ValidationError(
            f"component {made.name!r}: refers to input(s) {', '.join(unknown)}, which it does "
            f"not declare; add a parameter for each, or fix the name (inputs: "
            f"{', '.join(sorted(declared)) or 'none'})"
        )


README_START = "<!-- gitlabci-dsl components: written by gitlabci-dsl compile, do not edit -->"
README_END = "<!-- /gitlabci-dsl components -->"


def readme_section(components: list[Component]) -> str:
    """The README section that lists ``components`` and their inputs, markers included."""
    from .compiler import compile_spec

    parts = [README_START, "## Components", ""]
    for made in sorted(components, key=lambda c: c.name):
        spec = compile_spec(made.spec).get("inputs") or {}
        parts += [f"### `{made.name}`", ""]
        if made.description:
            parts += [made.description, ""]
        required = [name for name, rule in spec.items() if "default" not in (rule or {})]
        given = "".join(f"\n      {name}: ..." for name in required)
        parts += [
            "```yaml",
            "include:",
            f"  - component: $CI_SERVER_FQDN/<project path>/{made.name}@<version>",
            *([f"    inputs:{given}"] if given else []),
            "```",
            "",
        ]
        if spec:
            parts += ["| Input | Type | Default | Description |", "|---|---|---|---|"]
            for name, declared_as in spec.items():
                rule = declared_as or {}
                kind = rule.get("type", "string")
                if "options" in rule:
                    kind += ": " + ", ".join(f"`{_cell(o)}`" for o in rule["options"])
                if "regex" in rule:
                    kind += f", matching `{_cell(rule['regex'])}`"
                default = (
                    f"`{_cell(_yaml_scalar(rule['default']))}`" if "default" in rule else "required"
                )
                parts.append(
                    f"| `{name}` | {kind} | {default} | {_cell(rule.get('description', ''))} |"
                )
            parts.append("")
    parts.append(README_END)
    return "\n".join(parts) + "\n"


def with_section(readme: str | None, section: str) -> str | None:
    """``readme`` with its component section replaced by ``section`` (a new README when there
    is none); None when the README has no markers: compile leaves it alone."""
    if readme is None:
        return "# CI/CD components\n\n" + section
    start, end = readme.find(README_START), readme.find(README_END)
    if start < 0 or end < start:
        return None
    return readme[:start] + section + readme[end + len(README_END) :].lstrip("\n")


def _cell(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _yaml_scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_scalar(v) for v in value) + "]"
    return str(value)
