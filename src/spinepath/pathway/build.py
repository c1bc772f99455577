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
case, a fifth of an assessment.

Most of a pathway depends only on the knowledge base and on which rules fired,
not on the case's other facts: an option is the same whenever the same rule
decides it, under the same caps, in a stage of the same status, with the same
guideline view and cautions. So what depends only on the knowledge base (stage
lists and statuses, names, guideline notes, each rule's rationale, alert,
caution and cap, each option's evidence notes) is worked out once per knowledge
base (:func:`_view`), and options, cautions and stages are made once per
distinct content and shared by every pathway that holds them (:class:`_Shared`).
Pathway models are frozen and nothing changes them after they are built (no
module of spinepath edits a pathway's lists; ``model_copy`` makes new models),
so sharing is safe; their JSON text is kept too (:func:`jsontext.share`).
``tests/test_engine.py`` checks that each teaching case's pathway equals the
one pydantic validates from the same data, that :func:`construct` makes what
``model_construct`` makes, and ``tests/test_pathway_build.py`` that shared and
freshly built pathways are equal, with the same JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

from spinepath import __version__, jsontext
from spinepath.case.model import CASE_KEYS, Case
from spinepath.engine.runner import Firing, Inference, engine_for
from spinepath.errors import EngineError
from spinepath.kb.loading import load_knowledge
from spinepath.kb.model import (
    ALERT_LEVELS,
    OFFERED,
    VERDICTS_BY_CAUTION,
    CaseEvidence,
    EvidenceNote,
    KnowledgeBase,
    Rule,
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
#: The statuses in which a recommendation is shown as ``consider``, with the note saying why.
HELD_NOTES: dict[str, str] = {
    "upcoming": UPCOMING_NOTE,
    "after_specialist_assessment": ON_HOLD_NOTE,
}
#: Each verdict's place in ``VERDICTS_BY_CAUTION`` (0: the most cautious).
CAUTION_RANK: dict[str, int] = {verdict: i for i, verdict in enumerate(VERDICTS_BY_CAUTION)}
_ALERT_RANK: dict[str, int] = {level: i for i, level in enumerate(ALERT_LEVELS)}


def assess(case: Case, kb: KnowledgeBase | None = None) -> Pathway:
    """Run ``case`` through the knowledge base and return its pathway."""
    kb = kb or load_knowledge()
    return build_pathway(kb, engine_for(kb).infer(case))


_setattr = object.__setattr__
_new = object.__new__  # what a pydantic model's ``__new__`` is


def construct(model: type[M], values: dict[str, Any]) -> M:
    """``model.model_construct(**values)`` for a pathway model, given every one of its
    fields in declaration order (``values`` becomes the instance's ``__dict__``).

    pydantic's ``model_construct`` looks up aliases and defaults field by field;
    the pathway's models have neither aliases, extras nor private attributes, so
    the instance is set up directly. ``tests/test_engine.py`` checks that this
    makes what ``model_construct`` makes, and that every model of every teaching
    case's pathway holds all its fields, in order.
    """
    instance = _new(model)
    _setattr(instance, "__dict__", values)
    _setattr(instance, "__pydantic_fields_set__", set(values))
    _setattr(instance, "__pydantic_extra__", None)
    _setattr(instance, "__pydantic_private__", None)
    return instance


M = TypeVar("M", bound=BaseModel)


def _one_line(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True, eq=False)
class _CautionRule:
    id: str
    text: str  # on one line
    names: frozenset[str]  # the options and stages it concerns
    headline: str | None  # on one line


@dataclass(frozen=True, eq=False)
class _RuleView:
    """What the builder reads of one rule, worked out once per rule. Compared and hashed
    by identity: one per rule object (:meth:`_View.rule`)."""

    rule: Rule
    id: str
    stage: str
    position: int
    #: Each option it speaks to: (option, verdict, the verdict's caution rank).
    options: tuple[tuple[str, Verdict, int], ...]
    current_stage: str | None
    #: Its cap: (stages, verdict, the verdict's caution rank, reason on one line and a space).
    cap: tuple[tuple[str, ...], Verdict, int, str] | None
    alert: AlertNote | None
    caution: _CautionRule | None
    heads: bool  # whether it has an alert or a caution (which may head the output)
    rationale: str  # on one line
    #: Each fact its decision needs, with why, on one line.
    missing: dict[str, str]


def _rule_view(rule: Rule) -> _RuleView:
    then = rule.then
    cap = then.cap
    alert = _alert_note(rule)
    caution = then.caution
    return _RuleView(
        rule=rule,
        id=rule.id,
        stage=rule.stage,
        position=rule.position,
        options=tuple((o, v, CAUTION_RANK[v]) for o, v in then.options.items()),
        current_stage=then.current_stage or None,
        cap=(
            (tuple(cap.stages), cap.verdict, CAUTION_RANK[cap.verdict], _one_line(cap.reason) + " ")
            if cap
            else None
        ),
        alert=alert,
        caution=(
            _CautionRule(
                id=caution.id,
                text=_one_line(caution.text),
                names=frozenset(caution.concerns),
                headline=_one_line(caution.headline) if caution.headline else None,
            )
            if caution
            else None
        ),
        heads=bool(alert or caution),
        rationale=_one_line(rule.rationale),
        missing={fact: _one_line(why) for fact, why in then.missing_facts.items()},
    )


def _alert_note(rule: Rule) -> AlertNote | None:
    alert = rule.then.alert
    if alert is None:
        return None
    note = construct(
        AlertNote,
        {
            "id": alert.id,
            "level": alert.level,
            "headline": _one_line(alert.headline),
            "text": _one_line(alert.text),
            "rule": rule.id,
            "citations": list(rule.citations),
        },
    )
    jsontext.share(note)  # one per rule, for as long as the knowledge base's view lives
    return note


#: How many models one knowledge base may share before they are all let go (and made
#: again as cases need them): a bound on memory for long runs. 10,000 cases of the
#: reduced space share about 1,100 (217 options, 99 cautions, 786 stages).
SHARED_LIMIT = 4_096


@dataclass
class _Shared:
    """Models made once per distinct content and shared by every pathway that holds them.

    Keys hold :class:`_RuleView` objects, compared by identity, and the ids of shared
    options; every model is kept here until :meth:`clear`, so no id is reused meanwhile.
    """

    options: dict[tuple[Any, ...], Option] = field(default_factory=dict)
    cautions: dict[tuple[Any, ...], CautionNote] = field(default_factory=dict)
    stages: dict[tuple[Any, ...], StageResult] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.options) + len(self.cautions) + len(self.stages)

    def clear(self) -> None:
        jsontext.unshare([*self.cautions.values(), *self.stages.values()])
        self.options.clear()
        self.cautions.clear()
        self.stages.clear()


@dataclass(frozen=True, eq=False)
class _View:
    """What the builder reads of a knowledge base, worked out once per knowledge base."""

    stage_ids: tuple[str, ...]
    stage_names: dict[str, str]
    treatments: dict[str, tuple[str, ...]]  # stage -> its treatment ids, in order
    stage_of: dict[str, str]  # treatment -> its stage
    treatment_names: dict[str, str]
    notes: dict[str, tuple[Any, ...]]  # stage -> its guideline notes
    evidence_notes: dict[str, EvidenceNote]
    #: Option -> a test of the case for each of its evidence note's ``by_case`` entries,
    #: and the option's evidence for each (when that entry is the first that holds) and
    #: then for none (filled on first use, as are ``rules`` and ``statuses``: a single
    #: assessment, at a cold start, needs only a few).
    evidence: dict[str, tuple[tuple[Callable[[dict[str, Any]], bool], ...], tuple[Evidence, ...]]]
    #: The pathway's fields that depend only on the knowledge base.
    header: dict[str, str]
    #: Rule object id -> (the rule, its view).
    rules: dict[int, tuple[Rule, _RuleView]]
    #: Current stage -> the status of each stage shown (filled on first use).
    statuses: dict[str, dict[str, StageStatus]]
    shared: _Shared

    def rule(self, rule: Rule) -> _RuleView:
        found = self.rules.get(id(rule))
        if found is not None and found[0] is rule:
            return found[1]
        made = _rule_view(rule)
        self.rules[id(rule)] = (rule, made)
        return made

    def evidence_of(
        self, option: str
    ) -> tuple[tuple[Callable[[dict[str, Any]], bool], ...], tuple[Evidence, ...]]:
        found = self.evidence.get(option)
        if found is not None:
            return found
        note = self.evidence_notes[option]
        made = self.evidence[option] = (
            tuple(map(_evidence_test, note.by_case)),
            tuple(
                construct(
                    Evidence,
                    {
                        "concordance": shown.concordance,
                        "marker": shown.marker,
                        "seed_evidence_level": note.seed_evidence_level,
                        "seed_position": note.seed_position,
                        "guideline_position": shown.guideline_position,
                    },
                )
                for shown in (*note.by_case, note)
            ),
        )
        return made


def _evidence_test(entry: CaseEvidence) -> Callable[[dict[str, Any]], bool]:
    """``entry.matches`` for a case's JSON-mode dump, as set lookups: each condition's
    values as (type, value) pairs, since a value matches only in its own type (``True``
    is not ``1``). A value that cannot be hashed leaves the entry to ``entry.matches``."""
    try:
        tests = tuple((c.subject, frozenset((type(v), v) for v in c.values)) for c in entry.when)
    except TypeError:
        return entry.matches

    def holds(facts: dict[str, Any]) -> bool:
        for subject, allowed in tests:
            value = facts.get(subject)
            if type(value) is list or (type(value), value) not in allowed:
                return False  # a list (the red flags) equals no hashable value
        return True

    return holds


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
        evidence_notes=kb.evidence,
        evidence={},
        header={
            "spinepath_version": __version__,
            "knowledge_version": kb.meta.version,
            "knowledge_last_review": kb.meta.last_review,
            "disclaimer": kb.meta.disclaimer,  # folded once, by the loader
            "review_status": kb.meta.review_status(),
        },
        rules={},
        statuses={},
        shared=_Shared(),
    )
    _VIEWS[id(kb)] = (kb, view)
    return view


def build_pathway(kb: KnowledgeBase, inference: Inference) -> Pathway:
    view = _view(kb)
    shared = view.shared
    if len(shared) > SHARED_LIMIT:
        shared.clear()
    known = view.rules
    # One pass over the firings: who spoke to each option (in firing order), the caps,
    # the rules that may head the output (an alert or a caution), the current stages
    # concluded, the missing facts and the trace.
    spoken: dict[str, list[Any]] = {}
    caps: list[_RuleView] = []
    heads: list[_RuleView] = []
    currents: list[str] = []
    missing: list[tuple[_RuleView, Firing]] = []
    trace: list[TraceStep] = []
    for firing in inference.firings:
        rule = firing.rule
        found = known.get(id(rule))
        rv = found[1] if found is not None and found[0] is rule else view.rule(rule)
        for option_id, _, rank in rv.options:
            entry = spoken.get(option_id)
            if entry is None:
                spoken[option_id] = [rank, rv, [rv.id]]
            else:
                # The most cautious verdict stands; of equally cautious ones, the earliest.
                if rank < entry[0]:
                    entry[0] = rank
                    entry[1] = rv
                if rv.id not in entry[2]:
                    entry[2].append(rv.id)
        if rv.current_stage:
            currents.append(rv.current_stage)
        if rv.cap:
            caps.append(rv)
        if rv.heads:
            heads.append(rv)
        if rv.missing:
            missing.append((rv, firing))
        # ``construct(TraceStep, ...)`` written out: a model per firing, the bulk of
        # what is left per case. ``matched`` and ``concluded`` are the firing's own,
        # made for this firing alone and never changed.
        step = _new(TraceStep)
        _setattr(
            step,
            "__dict__",
            {
                "rule": rv.id,
                "stage": rv.stage,
                "matched": firing.matched,
                "concluded": firing.concluded,
            },
        )
        _setattr(step, "__pydantic_fields_set__", set(_TRACE_FIELDS))
        _setattr(step, "__pydantic_extra__", None)
        _setattr(step, "__pydantic_private__", None)
        trace.append(step)
    current = _current_stage(currents)
    statuses = view.statuses.get(current)
    if statuses is None:
        statuses = view.statuses[current] = _statuses(view.stage_ids, current)
    if len(heads) > 1:
        heads.sort(key=_position)  # in the order of the knowledge files
    alerts = [rv.alert for rv in heads if rv.alert]
    if len(alerts) > 1:
        alerts.sort(key=_alert_rank)
    # The case's fields are flat (strings, numbers, booleans, a list of strings), so
    # its JSON-mode dump is also what the evidence notes read; it is made once.
    case = _case_data(inference.case)
    cautions = _cautions(view, heads, spoken)
    caution_of: dict[str, tuple[str, ...]] = {}  # option -> the cautions that concern it
    for note in cautions:
        for option_id in note.concerns:
            caution_of[option_id] = (*caution_of.get(option_id, ()), note.id)
    options = _options(view, spoken, caps, statuses, case, caution_of)
    return construct(
        Pathway,
        {
            **view.header,
            "case": case,
            "red_flag_screen": kb.red_flag_screen(inference.case.red_flags),
            "alerts": alerts,
            "headline": _headline(alerts, heads, view.stage_names[current]),
            "current_stage": current,
            "stages": _stages(view, statuses, options),
            "cautions": cautions,
            "missing_facts": _missing_facts(missing) if missing else [],
            "trace": trace,
        },
    )


_TRACE_FIELDS = tuple(TraceStep.model_fields)
_SCALARS = frozenset({str, int, bool, type(None)})


def _case_data(case: Case) -> dict[str, Any]:
    """``case.model_dump(mode="json")``: the case's fields, which a validated case holds
    as text, whole numbers, booleans, ``None`` and a list of text (the red flags), so
    the dump is a copy. Anything else is left to pydantic."""
    fields = dict(case.__dict__)
    if len(fields) != _CASE_FIELD_COUNT:
        return case.model_dump(mode="json")
    for key, value in fields.items():
        kind = type(value)
        if kind not in _SCALARS:
            if kind is list and all(type(item) is str for item in value):
                fields[key] = list(value)
            else:
                return case.model_dump(mode="json")
    return fields


_CASE_FIELD_COUNT = len(Case.model_fields)


def _position(rv: _RuleView) -> int:
    return rv.position


def _alert_rank(alert: AlertNote) -> int:
    return _ALERT_RANK[alert.level]


def _current_stage(stages: list[str]) -> str:
    if len(stages) != 1:
        raise EngineError(
            f"the rules concluded {len(stages)} current stages ({', '.join(stages) or 'none'}); "
            "exactly one is expected"
        )
    return stages[0]


def _statuses(stage_ids: tuple[str, ...], current: str) -> dict[str, StageStatus]:
    """The status of each stage shown for a current stage (the referral stage is shown only
    when it is the current one)."""
    shown = [s for s in stage_ids if s != "referral" or current == "referral"]
    position = shown.index(current)
    # Past a referral, nothing applies until a specialist has assessed the red flag.
    later: StageStatus = "after_specialist_assessment" if current == "referral" else "upcoming"
    return {
        stage_id: "tried" if i < position else "current" if i == position else later
        for i, stage_id in enumerate(shown)
    }


def _cautions(
    view: _View, heads: list[_RuleView], spoken: dict[str, list[Any]]
) -> list[CautionNote]:
    """The cautions that fired, in knowledge-base order, each with the ids of the options it
    undercuts that some rule spoke to (a stage id in ``concerns`` stands for every option of
    that stage); ``heads``: the rules with an alert or a caution, in the files' order."""
    stage_of = view.stage_of
    made = view.shared.cautions
    notes: dict[str, CautionNote] = {}
    for rv in heads:
        caution = rv.caution
        if caution is None or caution.id in notes:
            continue
        names = caution.names
        concerns = tuple(o for o in spoken if o in names or stage_of[o] in names)
        key = (rv, concerns)
        note = made.get(key)
        if note is None:
            note = made[key] = construct(
                CautionNote,
                {
                    "id": caution.id,
                    "text": caution.text,
                    "rule": rv.id,
                    "stage": rv.stage,
                    "citations": list(rv.rule.citations),
                    "concerns": list(concerns),
                },
            )
            jsontext.share(note)
        notes[caution.id] = note
    return list(notes.values())


def _options(
    view: _View,
    spoken: dict[str, list[Any]],
    caps: list[_RuleView],
    statuses: dict[str, StageStatus],
    facts: dict[str, object],
    caution_of: dict[str, tuple[str, ...]],
) -> dict[str, Option]:
    """Each option some rule spoke to, by id, in the order they were first spoken to."""
    stage_of = view.stage_of
    made = view.shared.options
    options: dict[str, Option] = {}
    for option_id, (rank, rv, rule_ids) in spoken.items():
        stage = stage_of[option_id]
        capped_by: tuple[_RuleView, ...] = ()
        if caps:
            for cap_rule in caps:
                cap = cap_rule.cap
                if stage in cap[0] and cap[2] < rank:  # type: ignore[index]
                    rank = cap[2]  # type: ignore[index]
                    capped_by += (cap_rule,)
        reached = VERDICTS_BY_CAUTION[rank]
        status = statuses.get(stage)
        held = status if reached == "recommended" and status in HELD_NOTES else None
        found = view.evidence.get(option_id)
        entries, evidence_of = found if found is not None else view.evidence_of(option_id)
        which = len(entries)
        for i, entry in enumerate(entries):
            if entry(facts):
                which = i
                break
        caution_ids = caution_of.get(option_id, ())
        # Everything the option's fields depend on (the verdict reached follows from
        # the deciding rule and the caps).
        key = (option_id, rv, capped_by, held, tuple(rule_ids), which, caution_ids)
        option = made.get(key)
        if option is None:
            option = made[key] = _option(
                view, option_id, rv, reached, capped_by, held, key, evidence_of[which]
            )
        options[option_id] = option
    return options


def _option(
    view: _View,
    option_id: str,
    rv: _RuleView,
    reached: Verdict,
    capped_by: tuple[_RuleView, ...],
    held: str | None,
    key: tuple[Any, ...],
    evidence: Evidence,
) -> Option:
    """An option, made once per ``key`` (see :func:`_options`)."""
    rationale = rv.rationale
    shown: Verdict = reached
    if held is not None:
        shown = "consider"
        rationale = HELD_NOTES[held].format(verdict=reached) + rationale
    rationale = "".join(c.cap[3] for c in capped_by) + rationale  # type: ignore[index]
    return construct(
        Option,
        {
            "id": option_id,
            "name": view.treatment_names[option_id],
            "verdict": shown,
            "verdict_when_reached": reached,
            "rationale": rationale,
            "rule": rv.id,
            "rules": list(key[4]),
            "citations": list(rv.rule.citations),
            "evidence": evidence,
            "contested": is_contested(evidence.concordance, shown),
            "capped_by": [c.id for c in capped_by],
            "cautions": list(key[6]),
        },
    )


def _stages(
    view: _View, statuses: dict[str, StageStatus], options: dict[str, Option]
) -> list[StageResult]:
    made = view.shared.stages
    stages = []
    for stage_id in view.stage_ids:
        status = statuses.get(stage_id)
        if status is None:
            continue
        shown = [options[t] for t in view.treatments[stage_id] if t in options]
        key = (stage_id, status, *map(id, shown))
        stage = made.get(key)
        # The options are the shared ones, so their ids are the key; the check that
        # they are the very same objects covers an id reused by a later generation
        # (another thread may let the shared models go between making and finding).
        if stage is None or any(a is not b for a, b in zip(stage.options, shown, strict=True)):
            stage = made[key] = construct(
                StageResult,
                {
                    "id": stage_id,
                    "name": view.stage_names[stage_id],
                    "status": status,
                    "options": shown,
                    "guideline_notes": list(view.notes[stage_id]),
                },
            )
            jsontext.share(stage)
        stages.append(stage)
    return stages


def is_contested(concordance: str, verdict: str) -> bool:
    """The one predicate of "contested": the seeds offer the option, guidelines diverge.

    Every renderer reads ``Option.contested``; none recomputes it.
    """
    return concordance == "diverges" and verdict in OFFERED


def _headline(alerts: list[AlertNote], heads: list[_RuleView], current_name: str) -> str:
    """What every output says first: an alert, else a caution's headline (the surgical stage
    reached with no operation that fits), else where the case stands."""
    if alerts:
        return alerts[0].headline
    for rv in heads:
        if rv.caution and rv.caution.headline:
            return rv.caution.headline
    return f"Current stage: {current_name}"


def _missing_facts(missing: list[tuple[_RuleView, Firing]]) -> list[MissingFact]:
    """The facts the case leaves open that some firing's decision needs, in the case's
    key order; ``missing``: the firings of rules that list such facts."""
    whys: dict[str, dict[str, None]] = {}
    by: dict[str, dict[str, None]] = {}
    for rv, firing in missing:
        for conclusion in firing.concluded:
            fact = conclusion.get("missing_fact")
            if fact:
                whys.setdefault(fact, {})[rv.missing[fact]] = None
                by.setdefault(fact, {})[rv.id] = None
    return [
        construct(
            MissingFact, {"fact": fact, "why": "; ".join(whys[fact]), "rules": list(by[fact])}
        )
        for fact in CASE_KEYS
        if fact in whys
    ]
