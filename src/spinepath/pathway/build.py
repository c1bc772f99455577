"""From the engine's firings to a :class:`Pathway`.

The reading rules applied here are those of ``knowledge/README.md``: exactly
one current stage; when several rules speak to one option, the most cautious
verdict stands; in an upcoming stage a recommendation is shown as ``consider``,
because it applies only once the case gets there.
"""

from __future__ import annotations

from spinepath import __version__
from spinepath.case.model import CASE_KEYS, Case
from spinepath.engine.runner import Firing, Inference, engine_for
from spinepath.errors import EngineError
from spinepath.kb.loading import load_knowledge
from spinepath.kb.model import VERDICTS_BY_CAUTION, KnowledgeBase, Verdict
from spinepath.pathway.model import (
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


def assess(case: Case, kb: KnowledgeBase | None = None) -> Pathway:
    """Run ``case`` through the knowledge base and return its pathway."""
    kb = kb or load_knowledge()
    return build_pathway(kb, engine_for(kb).infer(case))


def build_pathway(kb: KnowledgeBase, inference: Inference) -> Pathway:
    firings = inference.firings
    current = _current_stage(firings)
    stage_ids = [stage.id for stage in kb.stages]
    if current != "referral":
        stage_ids.remove("referral")
    statuses = _statuses(stage_ids, current)
    options = _options(kb, firings, statuses)
    stages = [
        StageResult(
            id=stage.id,
            name=stage.name,
            status=statuses[stage.id],
            options=[options[t.id] for t in stage.treatments if t.id in options],
            guideline_notes=[n for n in kb.guideline_notes if n.stage == stage.id],
        )
        for stage in kb.stages
        if stage.id in statuses
    ]
    return Pathway(
        spinepath_version=__version__,
        knowledge_version=kb.meta.version,
        knowledge_last_review=kb.meta.last_review,
        disclaimer=" ".join(kb.meta.disclaimer.split()),
        case=inference.case.model_dump(mode="json"),
        current_stage=current,
        stages=stages,
        cautions=_cautions(firings),
        missing_facts=_missing_facts(firings),
        trace=[
            TraceStep(rule=f.rule.id, stage=f.rule.stage, matched=f.matched, concluded=f.concluded)
            for f in firings
        ],
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
    return {
        stage_id: "tried" if i < position else "current" if i == position else "upcoming"
        for i, stage_id in enumerate(stage_ids)
    }


def _options(
    kb: KnowledgeBase, firings: list[Firing], statuses: dict[str, StageStatus]
) -> dict[str, Option]:
    spoken: dict[str, list[tuple[Verdict, Firing]]] = {}
    for firing in firings:
        for conclusion in firing.concluded:
            if "option" in conclusion:
                spoken.setdefault(conclusion["option"], []).append((conclusion["verdict"], firing))
    options = {}
    for option_id, verdicts in spoken.items():
        # min() keeps the first of equally cautious verdicts: the earliest firing.
        verdict, firing = min(verdicts, key=lambda vf: VERDICTS_BY_CAUTION.index(vf[0]))
        rationale = " ".join(firing.rule.rationale.split())
        shown: Verdict = verdict
        if statuses.get(kb.stage_of(option_id)) == "upcoming" and verdict == "recommended":
            shown = "consider"
            rationale = UPCOMING_NOTE.format(verdict=verdict) + rationale
        options[option_id] = Option(
            id=option_id,
            name=kb.treatment(option_id).name,
            verdict=shown,
            verdict_when_reached=verdict,
            rationale=rationale,
            rule=firing.rule.id,
            rules=list(dict.fromkeys(f.rule.id for _, f in verdicts)),
            citations=list(firing.rule.citations),
            evidence=_evidence(kb, option_id),
        )
    return options


def _evidence(kb: KnowledgeBase, option_id: str) -> Evidence:
    note = kb.evidence[option_id]
    return Evidence(
        concordance=note.concordance,
        marker=note.marker,
        seed_evidence_level=note.seed_evidence_level,
        seed_position=note.seed_position,
        guideline_position=note.guideline_position,
    )


def _cautions(firings: list[Firing]) -> list[CautionNote]:
    notes: dict[str, CautionNote] = {}
    for firing in sorted(firings, key=lambda f: f.rule.position):
        caution = firing.rule.then.caution
        if caution and caution.id not in notes:
            notes[caution.id] = CautionNote(
                id=caution.id,
                text=" ".join(caution.text.split()),
                rule=firing.rule.id,
                stage=firing.rule.stage,
                citations=list(firing.rule.citations),
            )
    return list(notes.values())


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
        MissingFact(fact=fact, why="; ".join(whys[fact]), rules=list(rules[fact]))
        for fact in CASE_KEYS
        if fact in whys
    ]
