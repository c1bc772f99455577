"""spinepath as a library: the few functions a program or a notebook calls.

Each is a thin, typed wrapper over the modules the command line uses, so that
a program gets the same pathway as ``spinepath assess`` for the same case::

    >>> from spinepath import assess
    >>> assess({"onset": "acute"}).current_stage
    'conservative'

A case may be given as a :class:`~spinepath.case.Case`, a path to a case file
(YAML or JSON), or a mapping of facts; whatever is wrong with it raises
:class:`~spinepath.errors.CaseError` with one line per problem (``.problems``).
The knowledge base is loaded once and cached; pass ``kb`` to use another.

See ``docs/api.md`` for a tour.
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any, Literal

from spinepath.case.model import Case
from spinepath.kb.model import KnowledgeBase
from spinepath.pathway.difference import Difference
from spinepath.pathway.explanation import How, WhyNot
from spinepath.pathway.model import NOTEBOOK_VIEW, Pathway

#: What :func:`load_case` and the functions taking a case accept.
CaseLike = Case | Mapping[str, Any] | str | PathLike[str]

__all__ = ["CaseLike", "assess", "explain", "knowledge_base", "load_case", "what_if"]


def knowledge_base(directory: str | PathLike[str] | None = None) -> KnowledgeBase:
    """The checked knowledge base: the installed one, or the one in ``directory``.

    Raises :class:`~spinepath.errors.KnowledgeError` (one line per problem) when a
    knowledge directory does not check.
    """
    from spinepath.kb.loading import load_knowledge

    return load_knowledge(Path(directory) if directory is not None else None)


def load_case(case: CaseLike) -> Case:
    """A validated case from a case file's path, a mapping of facts, or a case.

    A mapping is checked exactly as a case file is: unknown keys, wrong values and
    contradictions raise :class:`~spinepath.errors.CaseError`.
    """
    from spinepath.case.loading import load_case as load_file
    from spinepath.case.loading import validate_case

    if isinstance(case, Case):
        return case
    if isinstance(case, Mapping):
        return validate_case(dict(case), source="<mapping>")
    if isinstance(case, (str, PathLike)):
        return load_file(case)
    raise TypeError(f"a case is a Case, a mapping of facts or a path, not {type(case).__name__}")


def assess(case: CaseLike, kb: KnowledgeBase | None = None) -> Pathway:
    """The pathway of ``case``: stages, options and verdicts, cautions, missing facts."""
    from spinepath.pathway.build import assess as run

    return run(load_case(case), kb or knowledge_base())


def what_if(
    case: CaseLike, changes: Mapping[str, Any], kb: KnowledgeBase | None = None
) -> Difference:
    """How the pathway of ``case`` changes when the facts in ``changes`` change.

    ``changes`` maps a fact to its new value (``None`` makes it not stated), and is
    checked as a case file is. The result is the comparison ``spinepath what-if
    --format json`` prints (current stage before and after, options gained, lost or
    changed, cautions and missing facts that come or go).
    """
    from spinepath.whatif.compare import compare
    from spinepath.whatif.scenario import apply_changes

    kb = kb or knowledge_base()
    before = load_case(case)
    after = apply_changes(before, dict(changes), source="changes")
    return compare(assess(before, kb), assess(after, kb))


def explain(
    case: CaseLike,
    option: str,
    *,
    kind: Literal["how", "why_not"] = "how",
    kb: KnowledgeBase | None = None,
) -> How | WhyNot:
    """How ``option``'s verdict for ``case`` was reached, or (``kind="why_not"``) why not.

    ``option`` is a treatment id (``fusion``, ``prp``...); an unknown id raises
    :class:`~spinepath.errors.SpinepathError`. The result is the explanation
    ``spinepath explain --format json`` prints.
    """
    from spinepath.errors import SpinepathError
    from spinepath.explain.how import how
    from spinepath.explain.why_not import why_not

    kb = kb or knowledge_base()
    if option not in kb.treatment_ids():
        raise SpinepathError(f"option: {option!r} is not a treatment id")
    if kind not in ("how", "why_not"):
        raise SpinepathError(f"kind: {kind!r} is neither 'how' nor 'why_not'")
    pathway = assess(case, kb)
    return how(kb, pathway, option) if kind == "how" else why_not(kb, pathway, option)


# `spinepath.explain` is this function and the subpackage's name (see spinepath._Package):
# `import spinepath.explain.how as how` looks the submodule up by this __name__.
explain.__name__ = "spinepath.explain"


def _notebook_view(pathway: Pathway) -> str:
    """A pathway in a notebook, in the report's look (jinja2 loads only when one is shown)."""
    from spinepath.render.html import notebook_html

    return notebook_html(pathway)


# The API sits above both the pathway model and the renderers, so it hands the model its
# notebook view: the model itself never imports the layer that renders it.
NOTEBOOK_VIEW[:] = [_notebook_view]
