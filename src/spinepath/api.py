"""spinepath as a library: the functions a program, a notebook and the command line call.

Each is a thin, typed wrapper over the layers below, so that a program gets the same
pathway as ``spinepath assess`` for the same case::

    >>> from spinepath import assess
    >>> assess({"onset": "acute"}).current_stage
    'conservative'

Everything the command line does with a case, the knowledge base, a pathway, a what-if,
an explanation or an exploration goes through these functions, and so does everything
the other commands do (``spinepath export``, ``assess --format fhir``, the web app of
``spinepath serve``); a test holds ``spinepath.cli``, ``spinepath.interop.commands`` and
``spinepath.web`` to it. They add only options, rendering, files and HTTP.

The case file's vocabulary is here too, for a program (or a web form) that builds a
case: :data:`UNKNOWN`, :data:`MAX_CASE_BYTES`, :func:`allowed_values`,
:func:`number_bounds` and :func:`spelled`, re-exported from the case model, beside the
two models themselves, :class:`Case` and :class:`Pathway`.

A case may be given as a :class:`~spinepath.case.Case`, a path to a case file
(YAML or JSON), or a mapping of facts; whatever is wrong with it raises
:class:`~spinepath.errors.CaseError` with one line per problem (``.problems``).
The knowledge base is loaded once and cached; pass ``kb`` to use another.

Heavy modules (the engine, the renderers, the checks) are imported inside the functions
that need them, so that importing this module costs only the models.

See ``docs/api.md`` for a tour.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from spinepath.case.model import UNKNOWN, Case, allowed_values, number_bounds, spelled
from spinepath.pathway.model import NOTEBOOK_VIEW, Pathway

if TYPE_CHECKING:  # the result types; imported by the functions that make them
    from spinepath.case.loading import MAX_CASE_BYTES
    from spinepath.consult.session import Consultation
    from spinepath.kb.model import KnowledgeBase
    from spinepath.kb.teaching import TeachingCase
    from spinepath.pathway.difference import Difference, Exploration
    from spinepath.pathway.explanation import How, WalkStep, WhyNot

#: What :func:`load_case` and the functions taking a case accept.
CaseLike = Case | Mapping[str, Any] | str | PathLike[str]

#: A verify report's output formats (:func:`verify_report`).
ReportFormat = Literal["text", "json"]

__all__ = [
    "MAX_CASE_BYTES",
    "UNKNOWN",
    "Case",
    "CaseLike",
    "Pathway",
    "allowed_values",
    "assess",
    "case_keys",
    "case_schema",
    "consultation",
    "explain",
    "explore",
    "explore_size",
    "fact_values",
    "knowledge_base",
    "load_case",
    "number_bounds",
    "parse_case_data",
    "parse_settings",
    "pathway_schema",
    "report_html",
    "spelled",
    "stated_facts",
    "teaching_case",
    "teaching_cases",
    "verify_knowledge",
    "verify_plan_size",
    "verify_report",
    "walkthrough",
    "what_if",
]


def knowledge_base(directory: str | PathLike[str] | None = None) -> KnowledgeBase:
    """The checked knowledge base: the installed one, or the one in ``directory``.

    Raises :class:`~spinepath.errors.KnowledgeError` (one line per problem) when a
    knowledge directory does not check.
    """
    from spinepath.kb.loading import load_knowledge

    return load_knowledge(Path(directory) if directory is not None else None)


# --- cases --------------------------------------------------------------------------------


def load_case(case: CaseLike, *, source: str = "<mapping>") -> Case:
    """A validated case from a case file's path, a mapping of facts, or a case.

    A mapping is checked exactly as a case file is: unknown keys, wrong values and
    contradictions raise :class:`~spinepath.errors.CaseError`, whose lines name the
    mapping ``source`` (a file's lines name its path).
    """
    from spinepath.case.loading import load_case as load_file
    from spinepath.case.loading import validate_case

    if isinstance(case, Case):
        return case
    if isinstance(case, Mapping):
        return validate_case(dict(case), source=source)
    if isinstance(case, (str, PathLike)):
        return load_file(case)
    raise TypeError(f"a case is a Case, a mapping of facts or a path, not {type(case).__name__}")


def teaching_case(name: str, kb_directory: str | PathLike[str] | None = None) -> Case:
    """The case of the teaching case file ``name`` (``knowledge/cases/NAME``), validated.

    Its errors name the file as ``name``; ``kb_directory`` is another knowledge directory
    to read it from.
    """
    from spinepath.case.loading import validate_case
    from spinepath.kb.loading import knowledge_dir
    from spinepath.kb.teaching import load_teaching_case

    root = Path(kb_directory) if kb_directory is not None else knowledge_dir()
    return validate_case(load_teaching_case(root / "cases" / name).case, source=name)


def parse_case_data(
    text: str, *, format: Literal["yaml", "json"] = "yaml", source: str = "<case>"
) -> dict[str, Any]:
    """The mapping of facts in a case file's text, read as ``spinepath assess`` reads a
    file in ``format`` but not yet validated (give it to :func:`load_case` for that).

    The readers are strict: a duplicate key, a YAML alias or an over-long number, or
    anything but one mapping, raises :class:`~spinepath.errors.CaseError` naming
    ``source``.

    >>> parse_case_data('{"onset": "acute", "onset": "chronic"}', format="json", source="body")
    Traceback (most recent call last):
    ...
    spinepath.errors.CaseError: body: duplicate key 'onset'
    """
    from spinepath.case.loading import parse_case_data as parse

    return parse(text, source=source, format=format)


def stated_facts(case: CaseLike) -> dict[str, Any]:
    """The facts ``case`` states, by key in alphabetical order, as its case file holds
    them: a fact never stated is left out (its ``None`` in the model is not a value).

    >>> stated_facts({"pain_score": 4, "onset": "acute"})
    {'onset': 'acute', 'pain_score': 4}
    """
    from spinepath.whatif.scenario import stated_facts as stated

    return stated(load_case(case))


def teaching_cases(kb_directory: str | PathLike[str] | None = None) -> list[TeachingCase]:
    """Every teaching case of the knowledge base (``knowledge/cases``), by file name: its
    ``title``, what it ``teaches``, its ``case`` facts (a mapping, for :func:`load_case`),
    the pathway ``expected`` and its ``file`` name. ``kb_directory`` is another knowledge
    directory to read them from."""
    from spinepath.kb.loading import knowledge_dir
    from spinepath.kb.teaching import load_teaching_cases

    root = Path(kb_directory) if kb_directory is not None else knowledge_dir()
    return load_teaching_cases(root / "cases")


def case_keys() -> tuple[str, ...]:
    """Every key a case file may hold, in the case model's order."""
    from spinepath.case.model import CASE_KEYS

    return tuple(CASE_KEYS)


def fact_values(key: str) -> list[str]:
    """The values the fact ``key`` can take, as a case file spells them, ``null`` (not
    stated) last; for a number or a text, which have too many, only ``null``.

    >>> fact_values("onset")
    ['acute', 'chronic', 'acute_on_chronic']
    """
    import typing

    from spinepath.case.model import RedFlag, allowed_values, spelled

    if key == "red_flags":
        return ["[]", *(f"[{flag}]" for flag in typing.get_args(RedFlag)), "null"]
    values = allowed_values(key)
    if values is None:
        return ["null"]
    stated = [spelled(value) for value in values if value is not None]
    return [*stated, "null"] if None in values else stated  # onset cannot be "not stated"


def case_schema() -> dict[str, Any]:
    """The JSON Schema of a case file, as ``spinepath schema`` prints it."""
    document = Case.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "spinepath case"
    return document


def pathway_schema() -> dict[str, Any]:
    """The JSON Schema of a pathway as :meth:`Pathway.to_json` and ``spinepath assess
    --format json`` give it (``spinepath serve`` serves it at ``/api/v1/schema/pathway``)."""
    document = Pathway.model_json_schema(mode="serialization")
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "spinepath pathway"
    return document


# --- pathways ------------------------------------------------------------------------------


def assess(case: CaseLike, kb: KnowledgeBase | None = None) -> Pathway:
    """The pathway of ``case``: stages, options and verdicts, cautions, missing facts."""
    from spinepath.pathway.build import assess as run

    return run(load_case(case), kb or knowledge_base())


def what_if(
    case: CaseLike,
    changes: Mapping[str, Any],
    kb: KnowledgeBase | None = None,
    *,
    source: str = "changes",
) -> Difference:
    """How the pathway of ``case`` changes when the facts in ``changes`` change.

    ``changes`` maps a fact to its new value (``None`` makes it not stated), and is
    checked as a case file is; its error lines name it ``source``. The result is the
    comparison ``spinepath what-if --format json`` prints (current stage before and
    after, options gained, lost or changed, cautions and missing facts that come or go).
    """
    from spinepath.whatif.compare import compare
    from spinepath.whatif.scenario import apply_changes

    before = load_case(case)
    after = apply_changes(before, dict(changes), source=source)
    kb = kb or knowledge_base()
    return compare(assess(before, kb), assess(after, kb))


def parse_settings(settings: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` strings (``spinepath what-if --set``) as changes for :func:`what_if`.

    VALUE is read as YAML; ``KEY=null`` makes the fact not stated. A malformed setting
    raises :class:`~spinepath.errors.CaseError`.

    >>> parse_settings(["facet_arthritis=false", "daily_life=null"])
    {'facet_arthritis': False, 'daily_life': None}
    """
    from spinepath.whatif.scenario import parse_settings as parse

    return parse(settings)


def _pathway(case: CaseLike | Pathway, kb: KnowledgeBase) -> Pathway:
    """``case``'s pathway, or ``case`` itself when it is a pathway already."""
    return case if isinstance(case, Pathway) else assess(case, kb)


def explain(
    case: CaseLike | Pathway,
    option: str,
    *,
    kind: Literal["how", "why_not"] = "how",
    kb: KnowledgeBase | None = None,
) -> How | WhyNot:
    """How ``option``'s verdict for ``case`` was reached, or (``kind="why_not"``) why not.

    ``option`` is a treatment id (``fusion``, ``prp``...); an unknown id raises
    :class:`~spinepath.errors.SpinepathError`. ``case`` may be a pathway already
    assessed. The result is the explanation ``spinepath explain --format json`` prints.
    """
    from spinepath.errors import SpinepathError
    from spinepath.explain.how import how
    from spinepath.explain.why_not import why_not

    if not isinstance(case, Pathway):
        case = load_case(case)  # a bad case is reported before a bad option, as the CLI does
    kb = kb or knowledge_base()
    if option not in kb.treatment_ids():
        raise SpinepathError(kb.not_a_treatment(option))
    if kind not in ("how", "why_not"):
        raise SpinepathError(f"kind: {kind!r} is neither 'how' nor 'why_not'")
    pathway = _pathway(case, kb)
    return how(kb, pathway, option) if kind == "how" else why_not(kb, pathway, option)


# `spinepath.explain` is this function and the subpackage's name (see spinepath._Package):
# `import spinepath.explain.how as how` looks the submodule up by this __name__.
explain.__name__ = "spinepath.explain"


def walkthrough(case: CaseLike | Pathway, kb: KnowledgeBase | None = None) -> list[WalkStep]:
    """The reasoning for ``case`` rule by rule, in firing order: each rule, the facts it
    matched, what it concluded and the passage it rests on (``spinepath walkthrough``).

    ``case`` may be a pathway already assessed.
    """
    from spinepath.explain.walkthrough import walkthrough as walk

    kb = kb or knowledge_base()
    return walk(kb, _pathway(case, kb))


def explore(
    case: CaseLike,
    *,
    pairs: bool = False,
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
    kb: KnowledgeBase | None = None,
) -> Exploration:
    """Every change of one fact that moves ``case``'s stage or changes a recommendation,
    most useful first (``spinepath explore``); with ``pairs``, also the ``limit`` most
    useful changes of two facts. ``progress`` is called with 1 after each scenario tried
    (:func:`explore_size` of them with ``pairs``).
    """
    from spinepath.whatif.explore import explore as run

    case = load_case(case)
    return run(kb or knowledge_base(), case, pairs=pairs, limit=limit, progress=progress)


def explore_size(case: CaseLike, kb: KnowledgeBase | None = None) -> int:
    """How many scenarios :func:`explore` with ``pairs`` tries for ``case``."""
    from spinepath.whatif.explore import pair_count

    return pair_count(load_case(case), kb or knowledge_base())


# --- reports -------------------------------------------------------------------------------


def report_html(
    case: CaseLike,
    *,
    kb: KnowledgeBase | None = None,
    handout: bool = False,
    paper: Literal["a4", "letter"] = "a4",
    date: str | None = None,
    show_evidence: bool = False,
    with_exploration: bool = False,
    patient: str | None = None,
    clinician: str | None = None,
) -> str:
    """``case``'s report as one self-contained HTML document (``spinepath report``).

    ``handout`` gives the two-page patient handout instead (which has no evidence or
    exploration section); ``with_exploration`` adds the section on the single-fact
    changes that would change the pathway. ``patient`` and ``clinician`` are printed as
    given (escaped).
    """
    case = load_case(case)
    kb = kb or knowledge_base()
    exploration = explore(case, kb=kb) if with_exploration and not handout else None
    pathway = assess(case, kb)
    if handout:
        from spinepath.render.handout import render_handout

        return render_handout(
            pathway, kb, paper=paper, date=date, patient=patient, clinician=clinician
        )
    from spinepath.render.html import render_report

    return render_report(
        pathway,
        kb,
        paper=paper,
        date=date,
        show_evidence=show_evidence,
        exploration=exploration,
        patient=patient,
        clinician=clinician,
    )


# --- the consultation ----------------------------------------------------------------------


def consultation(
    partial_case: str | PathLike[str] | None = None,
    kb: KnowledgeBase | None = None,
    *,
    answers: Mapping[str, Any] | None = None,
    source: str = "answers",
) -> Consultation:
    """A consultation (``spinepath consult``): it asks for the facts one at a time, only
    those that can still change the pathway; resumed from a partial case file if given.

    Or resumed from ``answers`` already given (a mapping of facts, as a web form sends
    them): they are checked as a partial case file is (``onset`` may be missing; every
    value stated must be valid), and a problem raises
    :class:`~spinepath.errors.CaseError` naming ``source``.
    """
    from spinepath.consult.session import PROBE_ONSET, Consultation

    kb = kb or knowledge_base()
    if answers is not None:
        if partial_case is not None:
            raise TypeError("give a partial case file or answers, not both")
        given = dict(answers)
        load_case({"onset": PROBE_ONSET, **given}, source=source)  # the onset only probes
        return Consultation(kb, answers=given, asked=set(given))
    if partial_case is None:
        return Consultation(kb)
    from spinepath.case.loading import read_case_text

    path = Path(partial_case)
    return Consultation.resume(kb, read_case_text(path), str(partial_case))


def __getattr__(name: str) -> Any:
    """Names imported on first use, with the module that holds them.

    ``Answer``: what :meth:`Consultation.interpret` returns when the person asks why
    (``Answer.WHY``) or stops (``Answer.QUIT``), with the consultation.
    ``MAX_CASE_BYTES``: the most a case file (or a request body holding one) may hold,
    with the case loader.
    """
    if name == "Answer":
        from spinepath.consult.session import Answer

        return Answer
    if name == "MAX_CASE_BYTES":
        from spinepath.case.loading import MAX_CASE_BYTES

        return MAX_CASE_BYTES
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- verification --------------------------------------------------------------------------


def verify_knowledge(
    *,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    phase: Callable[[str, int], None] | None = None,
) -> dict[str, Any]:
    """The proof of the knowledge base over the whole case space (``spinepath verify``):
    the report as a mapping, ``report["ok"]`` False on any violation. ``progress`` is
    called with the number of cases checked (:func:`verify_plan_size` in all), ``phase``
    with the label and number of cases of each phase as it begins (planning checks the
    context's cases, then the rest follow)."""
    from spinepath.verify import verify as run

    return run(workers=workers, progress=progress, phase=phase)


def verify_plan_size() -> int:
    """How many cases :func:`verify_knowledge` checks."""
    from spinepath.verify import plan_size

    return plan_size()


def verify_report(report: dict[str, Any], output_format: ReportFormat = "text") -> str:
    """A :func:`verify_knowledge` report as text for people or JSON for programs."""
    from spinepath.verify.report import to_json, to_text

    return to_json(report) if output_format == "json" else to_text(report)


def _notebook_view(pathway: Pathway) -> str:
    """A pathway in a notebook, in the report's look (jinja2 loads only when one is shown)."""
    from spinepath.render.html import notebook_html

    return notebook_html(pathway)


# The API sits above both the pathway model and the renderers, so it hands the model its
# notebook view: the model itself never imports the layer that renders it.
NOTEBOOK_VIEW[:] = [_notebook_view]
