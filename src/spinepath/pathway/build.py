"""From the engine's firings to a :class:`Pathway`.

The reading rules applied here are those of ``knowledge/README.md``: exactly
one current stage; when several rules speak to one option, the most cautious
verdict stands; in an upcoming stage (or one that waits for a specialist's
assessment of a red flag) a recommendation is shown as ``consider``, because it
applies only once the case gets there; a cap concluded by a rule holds the
verdicts of its stages down, in every output. Whether an option is contested,
and what heads the output, are decided here once, for every renderer.

The models are built without pydantic's validation (:func:`construct`, what
``model_construct`` does, without its per-field alias and default lookups):
every value comes from the validated case, the validated knowledge base or the
engine's firings built from them, and validation was some 40 model checks per
case, a fifth of an assessment. What depends only on the knowledge base (stage
lists, names, guideline notes per stage, the option-to-stage map, rationales
on one line) is worked out once per knowledge base (:func:`_view`).
``tests/test_engine.py`` checks that each teaching case's pathway equals the
one pydantic validates from the same data, and that :func:`construct` makes
what ``model_construct`` makes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

from spinepath import __version__
from spinepath.case.model import CASE_KEYS, Case
from spinepath.engine.runner import Firing, Inference, engine_for
from spinepath.errors import EngineError
from spinepath.kb.loading import load_knowledge
from spinepath.kb.model import (
    ALERT_LEVELS,
    OFFERED,
    VERDICTS_BY_CAUTION,
    Cap,
    KnowledgeBase,
    Verdict,
)
from spinepath.pathway.model import (
    AlertNote,
    CautionNote,
    Evidence,
    MissingFact,
    Option,
    Pathway,
    StageResult,
    StageStatus,
    TraceStep,
)

UPCOMING_NOTE = (
    "Not reached yet: this applies only if the pathway gets to this stage "
    "(the source's verdict there: {verdict}). "
)
ON_HOLD_NOTE = (
    "Only after a specialist has assessed the red flag "
    "(the source's verdict once this stage is reached: {verdict}). "
)


def assess(case: Case, kb: KnowledgeBase | None = None) -> Pathway:
    """Run ``case`` through the knowledge base and return its pathway."""
    kb = kb or load_knowledge()
    return build_pathway(kb, engine_for(kb).infer(case))


_setattr = object.__setattr__


def construct(model: type[M], values: dict[str, Any]) -> M:
    """``model.model_construct(**values)`` for a pathway model, given every one of its
    fields in declaration order (``values`` becomes the instance's ``__dict__``).

    pydantic's ``model_construct`` looks up aliases and defaults field by field;
    the pathway's models have neither aliases, extras nor private attributes, so
    the instance is set up directly. ``tests/test_engine.py`` checks that this
    makes what ``model_construct`` makes, and that every model of every teaching
    case's pathway holds all its fields, in order.
    """
    instance = model.__new__(model)
    _setattr(instance, "__dict__", values)
    _setattr(instance, "__pydantic_fields_set__", set(values))
    _setattr(instance, "__pydantic_extra__", None)
    _setattr(instance, "__pydantic_private__", None)
    return instance


M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class _View:
    """What the builder reads of a knowledge base, worked out once per knowledge base."""

    stage_ids: tuple[str, ...]
    stage_names: dict[str, str]
    treatments: dict[str, tuple[str, ...]]  # stage -> its treatment ids, in order
    stage_of: dict[str, str]  # treatment -> its stage
    treatment_names: dict[str, str]
    notes: dict[str, tuple[Any, ...]]  # stage -> its guideline notes
    rationale: dict[str, str]  # rule id -> its rationale on one line
    #: The pathway's fields that depend only on the knowledge base.
    header: dict[str, str]


_VIEWS: dict[int, tuple[KnowledgeBase, _View]] = {}


def _view(kb: KnowledgeBase) -> _View:
    found = _VIEWS.get(id(kb))
    if found is not None and found[0] is kb:
        return found[1]
    view = _View(
        stage_ids=tuple(stage.id for stage in kb.stages),
        stage_names={stage.id: stage.name for stage in kb.stages},
        treatments={stage.id: tuple(t.id for t in stage.treatments) for stage in kb.stages},
        stage_of={t.id: stage.id for stage in kb.stages for t in stage.treatments},
        treatment_names={t.id: t.name for stage in kb.stages for t in stage.treatments},
        notes={
            stage.id: tuple(n for n in kb.guideline_notes if n.stage == stage.id)
            for stage in kb.stages
        },
        rationale={rule.id: " ".join(rule.rationale.split()) for rule in kb.rules},
        header={
            "spinepath_version": __version__,
            "knowledge_version": kb.meta.version,
            "knowledge_last_review": kb.meta.last_review,
            "disclaimer": kb.meta.disclaimer,  # folded once, by the loader
            "review_status": kb.meta.review_status(),
        },
    )
    _VIEWS[id(kb)] = (kb, view)
    return view


def build_pathway(kb: KnowledgeBase, inference: Inference) -> Pathway:
    view = _view(kb)
    firings = inference.firings
    current = _current_stage(firings)
    stage_ids = list(view.stage_ids)
    if current != "referral":
        stage_ids.remove("referral")
    statuses = _statuses(stage_ids, current)
    # The case's fields are flat (strings, numbers, booleans, a list of strings), so
    # its JSON-mode dump is also what ``for_case`` reads; it is made once.
    case = inference.case.model_dump(mode="json")
    options = _options(kb, view, firings, statuses, case)
    # The firings in the order of the knowledge files, which alerts, cautions and the
    # headline are read in.
    in_files = sorted(firings, key=lambda f: f.rule.position)
    alerts = _alerts(in_files)
    cautions = _cautions(view, in_files, options)
    stages = [
        construct(
            StageResult,
            {
                "id": stage_id,
                "name": view.stage_names[stage_id],
                "status": statuses[stage_id],
                "options": [
                    construct(
                        Option,
                        {
                            **options[t],
                            "cautions": [c.id for c in cautions if t in c.concerns],
                        },
                    )
                    for t in view.treatments[stage_id]
                    if t in options
                ],
                "guideline_notes": list(view.notes[stage_id]),
            },
        )
        for stage_id in view.stage_ids
        if stage_id in statuses
    ]
    return construct(
        Pathway,
        {
            **view.header,
            "case": case,
            "red_flag_screen": kb.red_flag_screen(inference.case.red_flags),
            "alerts": alerts,
            "headline": _headline(alerts, in_files, view.stage_names[current]),
            "current_stage": current,
            "stages": stages,
            "cautions": cautions,
            "missing_facts": _missing_facts(firings),
            "trace": [
                construct(
                    TraceStep,
                    {
                        "rule": f.rule.id,
                        "stage": f.rule.stage,
                        "matched": dict(f.matched),
                        "concluded": [dict(c) for c in f.concluded],
                    },
                )
                for f in firings
            ],
        },
    )


def _current_stage(firings: list[Firing]) -> str:
    stages = [c["current_stage"] for f in firings for c in f.concluded if "current_stage" in c]
    if len(stages) != 1:
        raise EngineError(
            f"the rules concluded {len(stages)} current stages ({', '.join(stages) or 'none'}); "
            "exactly one is expected"
        )
    return stages[0]


def _statuses(stage_ids: list[str], current: str) -> dict[str, StageStatus]:
    position = stage_ids.index(current)
    # Past a referral, nothing applies until a specialist has assessed the red flag.
    later: StageStatus = "after_specialist_assessment" if current == "referral" else "upcoming"
    return {
        stage_id: "tried" if i < position else "current" if i == position else later
        for i, stage_id in enumerate(stage_ids)
    }


def _options(
    kb: KnowledgeBase,
    view: _View,
    firings: list[Firing],
    statuses: dict[str, StageStatus],
    facts: dict[str, object],
) -> dict[str, dict[str, Any]]:
    """Each option some rule spoke to, as the fields of its :class:`Option` (all but
    ``cautions``, which depend on the cautions of the whole pathway)."""
    spoken: dict[str, list[tuple[Verdict, Firing]]] = {}
    for firing in firings:
        for conclusion in firing.concluded:
            if "option" in conclusion:
                spoken.setdefault(conclusion["option"], []).append((conclusion["verdict"], firing))
    caps = [(f.rule.id, f.rule.then.cap) for f in firings if f.rule.then.cap]
    options = {}
    for option_id, verdicts in spoken.items():
        # min() keeps the first of equally cautious verdicts: the earliest firing.
        verdict, firing = min(verdicts, key=lambda vf: VERDICTS_BY_CAUTION.index(vf[0]))
        stage = view.stage_of[option_id]
        rationale = view.rationale[firing.rule.id]
        reached, capped_by, reasons = _capped(verdict, stage, caps)
        shown: Verdict = reached
        status = statuses.get(stage)
        if status in ("upcoming", "after_specialist_assessment") and reached == "recommended":
            shown = "consider"
            note = UPCOMING_NOTE if status == "upcoming" else ON_HOLD_NOTE
            rationale = note.format(verdict=reached) + rationale
        rationale = "".join(reasons) + rationale
        evidence = _evidence(kb, option_id, facts)
        options[option_id] = {
            "id": option_id,
            "name": view.treatment_names[option_id],
            "verdict": shown,
            "verdict_when_reached": reached,
            "rationale": rationale,
            "rule": firing.rule.id,
            "rules": list(dict.fromkeys(f.rule.id for _, f in verdicts)),
            "citations": list(firing.rule.citations),
            "evidence": evidence,
            "contested": is_contested(evidence.concordance, shown),
            "capped_by": capped_by,
        }
    return options


def is_contested(concordance: str, verdict: str) -> bool:
    """The one predicate of "contested": the seeds offer the option, guidelines diverge.

    Every renderer reads ``Option.contested``; none recomputes it.
    """
    return concordance == "diverges" and verdict in OFFERED


def _capped(
    verdict: Verdict, stage: str, caps: list[tuple[str, Cap]]
) -> tuple[Verdict, list[str], list[str]]:
    """The verdict under the caps that hold its stage down, the capping rules and their reasons."""
    capped_by: list[str] = []
    reasons: list[str] = []
    for rule_id, cap in caps:
        if stage not in cap.stages:
            continue
        if VERDICTS_BY_CAUTION.index(cap.verdict) < VERDICTS_BY_CAUTION.index(verdict):
            verdict = cap.verdict
            capped_by.append(rule_id)
            reasons.append(" ".join(cap.reason.split()) + " ")
    return verdict, capped_by, reasons


def _evidence(kb: KnowledgeBase, option_id: str, facts: dict[str, object]) -> Evidence:
    """The evidence note of an option, for this case where the guidelines' view depends on it."""
    note = kb.evidence[option_id]
    view = note.for_case(facts)
    return construct(
        Evidence,
        {
            "concordance": view.concordance,
            "marker": view.marker,
            "seed_evidence_level": note.seed_evidence_level,
            "seed_position": note.seed_position,
            "guideline_position": view.guideline_position,
        },
    )


def _alerts(in_files: list[Firing]) -> list[AlertNote]:
    """The alerts the rules concluded, most pressing first (then in the files' order);
    ``in_files``: the firings in the order of the knowledge files."""
    alerts = [
        construct(
            AlertNote,
            {
                "id": alert.id,
                "level": alert.level,
                "headline": " ".join(alert.headline.split()),
                "text": " ".join(alert.text.split()),
                "rule": firing.rule.id,
                "citations": list(firing.rule.citations),
            },
        )
        for firing in in_files
        if (alert := firing.rule.then.alert)
    ]
    return sorted(alerts, key=lambda a: ALERT_LEVELS.index(a.level))


def _cautions(
    view: _View, in_files: list[Firing], options: dict[str, dict[str, Any]]
) -> list[CautionNote]:
    """The cautions that fired, in knowledge-base order, each with the ids of the options it
    undercuts that this pathway shows (a stage id in ``concerns`` stands for every option of
    that stage)."""
    stage_of = view.stage_of
    notes: dict[str, CautionNote] = {}
    for firing in in_files:
        caution = firing.rule.then.caution
        if caution and caution.id not in notes:
            names = set(caution.concerns)
            notes[caution.id] = construct(
                CautionNote,
                {
                    "id": caution.id,
                    "text": " ".join(caution.text.split()),
                    "rule": firing.rule.id,
                    "stage": firing.rule.stage,
                    "citations": list(firing.rule.citations),
                    "concerns": [o for o in options if o in names or stage_of[o] in names],
                },
            )
    return list(notes.values())


def _headline(alerts: list[AlertNote], in_files: list[Firing], current_name: str) -> str:
    """What every output says first: an alert, else a caution's headline (the surgical stage
    reached with no operation that fits), else where the case stands."""
    if alerts:
        return alerts[0].headline
    for firing in in_files:
        caution = firing.rule.then.caution
        if caution and caution.headline:
            return " ".join(caution.headline.split())
    return f"Current stage: {current_name}"


def _missing_facts(firings: list[Firing]) -> list[MissingFact]:
    whys: dict[str, dict[str, None]] = {}
    rules: dict[str, dict[str, None]] = {}
    for firing in firings:
        for conclusion in firing.concluded:
            fact = conclusion.get("missing_fact")
            if fact:
                why = " ".join(firing.rule.then.missing_facts[fact].split())
                whys.setdefault(fact, {})[why] = None
                rules.setdefault(fact, {})[firing.rule.id] = None
    return [
        construct(
            MissingFact, {"fact": fact, "why": "; ".join(whys[fact]), "rules": list(rules[fact])}
        )
        for fact in CASE_KEYS
        if fact in whys
    ]
