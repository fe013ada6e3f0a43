"""Reading the file: the YAML documents as GitLab reads them, turned into the compiler's plain
data (``!reference`` tags as :class:`~gitlabci_dsl.model.values.Reference`), or an
:class:`~.result.ImportYamlError` that says where the file is not a pipeline."""

from __future__ import annotations

from typing import Any

from ..model.values import Reference
from .result import ImportYamlError

__all__ = ["as_data", "read_documents"]


def read_documents(
    text: str, source: str, allow_duplicates: bool, warnings: list[str]
) -> tuple[dict[str, Any], Any]:
    """The pipeline mapping and the ``spec:`` header (or None), as compiler data."""
    from ..gitlab.reader import YamlSyntaxError, load

    try:
        documents = load(text)
    except YamlSyntaxError as exc:
        raise ImportYamlError(exc.located(source)) from None
    for document in documents:
        for dup in document.duplicates:
            where = f"{source}:{dup.line}:{dup.column}: key {dup.path[-1]!r} is written twice"
            if not allow_duplicates:
                raise ImportYamlError(
                    f"{where} in one mapping; GitLab silently keeps the last one. Remove the "
                    "one you do not mean (or pass --allow-duplicates to import GitLab's reading)"
                )
            warnings.append(f"{where}; the last one is kept, as GitLab does")
    spec: Any = None
    if len(documents) == 2 and _is_spec(documents[0].data):
        header = documents[0].data
        if len(header) > 1:
            others = ", ".join(str(k) for k in header if k != "spec")
            raise ImportYamlError(
                f"{source}:1:1: the header document may only hold spec:, not {others}"
            )
        if not isinstance(header["spec"], dict):
            raise ImportYamlError(
                f"{source}:1:1: spec: must be a mapping (inputs:, include:...); see "
                "https://docs.gitlab.com/ci/yaml/#spec"
            )
        spec = _plain(header["spec"], documents[0].positions, source, ("spec",))
    elif not documents:
        raise ImportYamlError(f"{source}:1:1: the file is empty; there is no pipeline to import")
    elif len(documents) > 1:
        raise ImportYamlError(
            f"{source}:1:1: {len(documents)} YAML documents; GitLab reads one pipeline, "
            "optionally after a `spec:` header document"
        )
    document = documents[-1]
    body = document.data
    if not isinstance(body, dict):
        line, column = document.positions.get((), (1, 1))
        kind = "an empty document" if body is None else f"a {_yaml_type(body)}"
        raise ImportYamlError(
            f"{source}:{line}:{column}: the pipeline must be a mapping of keywords and jobs, "
            f"not {kind}"
        )
    return _plain(body, document.positions, source, ()), spec


def _is_spec(data: Any) -> bool:
    return isinstance(data, dict) and "spec" in data


def _yaml_type(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), type(value).__name__
    )


def _plain(
    value: Any, positions: dict[Any, tuple[int, int]], source: str, path: tuple[Any, ...]
) -> Any:
    """Loader data → compiler data: ``!reference`` tags become :class:`Reference`; keys must be
    strings and tags known, as GitLab requires."""
    from ..gitlab.reader import Tagged

    if isinstance(value, Tagged):
        where = ":".join(map(str, positions.get(path, (1, 1))))
        if value.tag != "!reference":
            raise ImportYamlError(
                f"{source}:{where}: unknown tag {value.tag}; GitLab knows only !reference"
            )
        if not value or not all(isinstance(p, str) and p for p in value):
            raise ImportYamlError(
                f"{source}:{where}: !reference takes a list of names, such as "
                "!reference [.setup, script]"
            )
        return Reference(*value)
    if isinstance(value, list):
        return [_plain(v, positions, source, (*path, i)) for i, v in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                where = ":".join(map(str, positions.get(path, (1, 1))))
                raise ImportYamlError(
                    f"{source}:{where}: key {k!r} is a {_yaml_type(k)}; GitLab needs string "
                    f"keys here: quote it ('{k}')"
                )
            out[k] = _plain(v, positions, source, (*path, k))
        return out
    return value


def as_data(value: Any) -> Any:
    """Loader data of a file that imports, as the compiler writes it: ``!reference`` tags as
    :class:`Reference` (what the round trip compares)."""
    return _plain(value, {}, "<data>", ())
