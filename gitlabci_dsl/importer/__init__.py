"""``gitlabci-dsl import``: a GitLab CI YAML file → a pipeline module that compiles back to it.

Pipeline: read the YAML as GitLab does and turn it into plain data (:mod:`.documents`, on
:mod:`gitlabci_dsl.gitlab.reader`: anchors, merge keys, ``!reference``), type it as model nodes
(:mod:`.convert`, node by node checked against the compiler), recognise building blocks
(:mod:`.blocks`), write the module (:mod:`.module`, laid out by :mod:`.render`, named by
:mod:`.names`), then run the module and compile its pipeline (:mod:`.verify`): the import fails
rather than hand back a module whose YAML differs from the input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .documents import as_data, read_documents
from .module import ModuleWriter
from .result import Imported, ImportYamlError
from .verify import first_difference, part_of_a_pipeline, verify

if TYPE_CHECKING:
    from ..gitlab.includes import Source

__all__ = ["ImportYamlError", "Imported", "as_data", "first_difference", "import_yaml"]


def import_yaml(
    text: str,
    *,
    source: str,
    output: str | None = None,
    allow_duplicates: bool = False,
    includes: Source | None = None,
) -> Imported:
    """The pipeline module for the GitLab CI YAML ``text`` read from ``source`` (for messages
    and the docstring). ``output``: the YAML path the module compiles to, when not the default.

    A key written twice in one mapping is an error unless ``allow_duplicates``: then the last
    one wins, as in GitLab, with a warning. ``includes``: where the includes of other projects
    are read, so that the names they define count when judging whether the file is a whole
    pipeline.
    """
    warnings: list[str] = []
    body, spec = read_documents(text, source, allow_duplicates, warnings)
    included = part_of_a_pipeline(text, source, includes)
    code = ModuleWriter(source, warnings.append).code(body, spec, output, included=bool(included))
    problem = verify(code, body, spec, source)
    if problem is not None and included is None:
        # A name only validation misses in this file alone: try it as a part of a pipeline.
        retry = ModuleWriter(source, lambda _: None).code(body, spec, output, included=True)
        if verify(retry, body, spec, source) is None:
            code, included, problem = retry, problem, None
    if problem is not None:
        warnings.append(
            f"{source}: GitLab refuses this pipeline, and compile will until it is fixed: {problem}"
        )
    elif included is not None:
        warnings.append(
            f"{source} is not a whole pipeline ({included}); the module says "
            "Pipeline(included=True): a file that other pipeline files include"
        )
    return Imported(code, warnings)
