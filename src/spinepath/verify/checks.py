"""The checks run on every enumerated case, one function per kind of unit.

Each takes the case, its pathway and a :class:`Tally` to record into. They
read only the parts of the pathway their unit covers (see
:mod:`spinepath.verify.cones`), so that running them inside a block is sound.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from spinepath.case.model import Case, is_not_stated
from spinepath.kb.model import KnowledgeBase
from spinepath.pathway.model import Pathway
from spinepath.verify.cones import Unit
from spinepath.verify.space import GATE_MONTHS

#: What a surgical recommendation needs (source 000), as (key, value) pairs; besides, the
#: pain must have lasted "many months" (:data:`~spinepath.verify.space.GATE_MONTHS`) and the
#: red flags must have been checked and found absent.
SURGICAL_GATES: tuple[tuple[str, object], ...] = (
    ("conservative_care", "failed"),
    ("non_invasive_therapy", "failed"),
    ("daily_life", "cannot_live_normally"),
    ("prior_fusion", False),
)
CHRONIC_ONSETS = ("chronic", "acute_on_chronic")


def unmet_surgical_gates(case: Case) -> list[str]:
    """The gates of a surgical recommendation this case does not meet."""
    unmet = [k for k, v in SURGICAL_GATES if not _same(getattr(case, k), v)]
    if case.symptom_months is None or case.symptom_months < GATE_MONTHS:
        unmet.append("symptom_months")
    if case.red_flags != []:
        unmet.append("red_flags")
    return unmet


def _same(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b


@dataclass
class Group:
    """Cases sharing one finding: how many (enumerated, and raw ones), and one example."""

    cases: int = 0
    raw: int = 0
    example: tuple[int, int, dict[str, Any]] | None = None

    def add(self, weight: int, where: tuple[int, int], data: dict[str, Any]) -> None:
        self.cases += 1
        self.raw += weight
        if self.example is None or where < self.example[:2]:
            self.example = (*where, data)

    def merge(self, other: Group) -> None:
        self.cases += other.cases
        self.raw += other.raw
        if other.example and (self.example is None or other.example[:2] < self.example[:2]):
            self.example = other.example


@dataclass
class Tally:
    """What the checks found over some cases: violations, coverage gaps, rules that fired."""

    violations: dict[tuple[str, str], Group] = field(default_factory=dict)
    uncovered: dict[str, Group] = field(default_factory=dict)
    fired: set[str] = field(default_factory=set)
    cases: int = 0

    def merge(self, other: Tally) -> None:
        for target, source in (
            (self.violations, other.violations),
            (self.uncovered, other.uncovered),
        ):
            for key, group in source.items():
                target.setdefault(key, Group()).merge(group)  # type: ignore[arg-type]
        self.fired |= other.fired
        self.cases += other.cases


@dataclass
class CaseContext:
    """One enumerated case and where it came from."""

    case: Case
    data: dict[str, Any]
    weight: int
    where: tuple[int, int]
    tally: Tally

    def violation(self, check: str, detail: str) -> None:
        self.tally.violations.setdefault((check, detail), Group()).add(
            self.weight, self.where, self.data
        )

    def uncovered(self, group: str) -> None:
        self.tally.uncovered.setdefault(group, Group()).add(self.weight, self.where, self.data)


class Checker:
    """The checks of one knowledge base."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.stage_of = {t.id: s.id for s in kb.stages for t in s.treatments}
        self.always_on = {
            option for rule in kb.rules if not rule.when for option in rule.then.options
        }
        self.reads = {rule.id: rule.reads() for rule in kb.rules}

    def check(self, ctx: CaseContext, pathway: Pathway, units: list[Unit]) -> None:
        for unit in units:
            getattr(self, "_" + unit.kind)(ctx, pathway, unit.name)

    def _stage(self, ctx: CaseContext, pathway: Pathway, _name: str) -> None:
        flags = ctx.case.red_flags
        top = pathway.alerts[0] if pathway.alerts else None
        if flags is None and (top is None or top.level != "screen"):
            ctx.violation("red flags never asked put the screen first", pathway.current_stage)
        level = self.kb.red_flag_level(flags)
        if level in ("emergency", "urgent") and (top is None or top.level != level):
            ctx.violation(f"an {level} red flag heads the output as {level}", pathway.headline)
        if flags:
            first = pathway.stages[0] if pathway.stages else None
            if not (
                pathway.current_stage == "referral"
                and first is not None
                and first.id == "referral"
                and first.status == "current"
            ):
                ctx.violation("red flag puts referral first and current", pathway.current_stage)

    def _option(self, ctx: CaseContext, pathway: Pathway, option_id: str) -> None:
        option = pathway.option(option_id)
        if option is None:
            return
        if not option.citations:
            ctx.violation("every option has a citation", option_id)
        said = {
            (step.rule, c["verdict"])
            for step in pathway.trace
            for c in step.concluded
            if c.get("option") == option_id
        }
        recommending = {rule for rule, verdict in said if verdict == "recommended"}
        forbidding = {rule for rule, verdict in said if verdict == "contraindicated"}
        if recommending and forbidding and (recommending | forbidding) != recommending & forbidding:
            ctx.violation(
                "no option both recommended and contraindicated",
                f"{option_id}: {sorted(recommending)} vs {sorted(forbidding)}",
            )
        case = ctx.case
        if case.red_flags and option.verdict == "recommended" and self.stage_of[option_id] != (
            "referral"
        ):
            ctx.violation("with a red flag, only the referral is recommended", option_id)
        if self.stage_of[option_id] == "surgical" and option.verdict == "recommended":
            unmet = unmet_surgical_gates(case)
            if unmet:
                ctx.violation(
                    "surgery recommended only when everything failed and daily life is impossible",
                    f"{option_id} by {option.rule}, unmet: {', '.join(unmet)}",
                )
        if (
            option_id == "cortisone_injection"
            and case.onset in CHRONIC_ONSETS
            and "recommended" in (option.verdict, option.verdict_when_reached)
        ):
            ctx.violation("cortisone never recommended for chronic pain", option.rule)
        if option.verdict_when_reached == "recommended":
            unknown = [k for k in self.reads[option.rule] if is_not_stated(getattr(case, k))]
            if unknown:
                ctx.violation(
                    "no recommendation rests on an unknown fact",
                    f"{option_id} by {option.rule}: {', '.join(unknown)}",
                )

    def _caution(self, ctx: CaseContext, pathway: Pathway, caution_id: str) -> None:
        for caution in pathway.cautions:
            if caution.id == caution_id:
                if not caution.citations:
                    ctx.violation("every caution has a citation", caution_id)
                if caution_id.startswith("uncovered"):
                    ctx.uncovered(f"caution {caution_id} ({caution.stage})")

    def _coverage(self, ctx: CaseContext, pathway: Pathway, stage_id: str) -> None:
        if pathway.current_stage != stage_id:
            return
        stage = pathway.stage(stage_id)
        offered = [
            o
            for o in (stage.options if stage else [])
            if o.verdict in ("recommended", "consider") and o.id not in self.always_on
        ]
        if not offered:
            ctx.uncovered(f"current stage {stage_id}: no option beyond the always-on ones")

    def _rule(self, ctx: CaseContext, pathway: Pathway, rule_id: str) -> None:
        if rule_id not in ctx.tally.fired and any(s.rule == rule_id for s in pathway.trace):
            ctx.tally.fired.add(rule_id)
