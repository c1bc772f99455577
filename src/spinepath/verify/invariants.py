"""The check of each invariant of ``knowledge/invariants.yaml``, by its id.

The YAML says what each invariant means, what it rests on and what it reads of the
case (``when``, ``requires``); this module holds only how each is checked on one
pathway. :func:`bound` pairs the two and refuses a knowledge base where they do
not match, so an invariant can be neither written without a check nor checked
without an entry a reviewer can read.

A check is called only where its invariant applies (every ``when`` condition holds
and, for an option, the option is of its ``stages`` and ``options``) and returns
one detail line per violation. ``spinepath verify`` calls them on every case of the
space (:mod:`spinepath.verify.checks`); the property tests call them on random cases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from spinepath.case.model import Case, is_not_stated
from spinepath.errors import KnowledgeError
from spinepath.kb.model import Invariant, KnowledgeBase
from spinepath.pathway.model import Option, Pathway


@dataclass
class Seen:
    """One case and its pathway, as a check sees them."""

    kb: KnowledgeBase
    case: Case
    pathway: Pathway
    #: The case keys each rule reads, by rule id (computed once per knowledge base).
    reads: dict[str, tuple[str, ...]] = field(default_factory=dict)

    #: What the trace concluded of each option, as (rule, verdict) pairs (:meth:`said`).
    _said: dict[str, set[tuple[str, Any]]] | None = field(default=None, repr=False)

    def facts(self) -> dict[str, Any]:
        return {key: getattr(self.case, key) for key in Case.model_fields}

    def said(self, option_id: str) -> set[tuple[str, Any]]:
        """Every (rule, verdict) the trace concluded of the option (one pass per pathway)."""
        if self._said is None:
            self._said = {}
            for step in self.pathway.trace:
                for c in step.concluded:
                    if c.get("option") is not None:
                        self._said.setdefault(c["option"], set()).add((step.rule, c["verdict"]))
        return self._said.get(option_id, set())


PathwayCheck = Callable[[Invariant, Seen], list[str]]
OptionCheck = Callable[[Invariant, Seen, Option], list[str]]
CautionCheck = Callable[[Invariant, Seen, Any], list[str]]


def unmet(invariant: Invariant, case: Case, kb: KnowledgeBase) -> list[str]:
    """The keys of the ``requires`` conditions (the gates) this case does not meet."""
    facts = {key: getattr(case, key) for key in Case.model_fields}
    return [c.key or c.subject for c in invariant.requires if not kb.holds(c, facts)]


# --- the pathway as a whole (the current stage and what heads the output) ---------------


def _heads_output(level: str, detail: str) -> PathwayCheck:
    """The first alert, which heads every output, is of ``level``."""

    def check(invariant: Invariant, seen: Seen) -> list[str]:
        top = seen.pathway.alerts[0] if seen.pathway.alerts else None
        return [] if top is not None and top.level == level else [getattr(seen.pathway, detail)]

    return check


def _referral_first(invariant: Invariant, seen: Seen) -> list[str]:
    pathway = seen.pathway
    first = pathway.stages[0] if pathway.stages else None
    if (
        pathway.current_stage == "referral"
        and first is not None
        and first.id == "referral"
        and first.status == "current"
    ):
        return []
    return [pathway.current_stage]


# --- each option --------------------------------------------------------------------------


def _not_recommended(invariant: Invariant, seen: Seen, option: Option) -> list[str]:
    return [option.id] if option.verdict == "recommended" else []


def _behind_gates(invariant: Invariant, seen: Seen, option: Option) -> list[str]:
    if option.verdict != "recommended":
        return []
    missing = unmet(invariant, seen.case, seen.kb)
    return [f"{option.id} by {option.rule}, unmet: {', '.join(missing)}"] if missing else []


def _never_recommended(invariant: Invariant, seen: Seen, option: Option) -> list[str]:
    """Neither shown as recommended nor recommended once its stage is reached."""
    return [option.rule] if "recommended" in (option.verdict, option.verdict_when_reached) else []


def _known_facts(invariant: Invariant, seen: Seen, option: Option) -> list[str]:
    if option.verdict_when_reached != "recommended":
        return []
    reads = seen.reads.get(option.rule) or seen.kb.rule(option.rule).reads()
    unknown = [k for k in reads if is_not_stated(getattr(seen.case, k))]
    return [f"{option.id} by {option.rule}: {', '.join(unknown)}"] if unknown else []


def _option_cited(invariant: Invariant, seen: Seen, option: Option) -> list[str]:
    return [] if option.citations else [option.id]


def _not_both_ways(invariant: Invariant, seen: Seen, option: Option) -> list[str]:
    said = seen.said(option.id)
    recommending = {rule for rule, verdict in said if verdict == "recommended"}
    forbidding = {rule for rule, verdict in said if verdict == "contraindicated"}
    if recommending and forbidding and (recommending | forbidding) != recommending & forbidding:
        return [f"{option.id}: {sorted(recommending)} vs {sorted(forbidding)}"]
    return []


# --- each caution -------------------------------------------------------------------------


def _caution_cited(invariant: Invariant, seen: Seen, caution: Any) -> list[str]:
    return [] if caution.citations else [caution.id]


#: The per-case checks, by invariant id and by scope.
PATHWAY_CHECKS: dict[str, PathwayCheck] = {
    "red_flags_not_asked_screen_first": _heads_output("screen", "current_stage"),
    "emergency_red_flag_heads_output": _heads_output("emergency", "headline"),
    "urgent_red_flag_heads_output": _heads_output("urgent", "headline"),
    "red_flag_refers_first": _referral_first,
}
OPTION_CHECKS: dict[str, OptionCheck] = {
    "red_flag_recommends_only_referral": _not_recommended,
    "surgery_behind_its_gates": _behind_gates,
    "no_cortisone_when_chronic": _never_recommended,
    "no_recommendation_on_unknown": _known_facts,
    "option_cited": _option_cited,
    "no_option_both_ways": _not_both_ways,
}
CAUTION_CHECKS: dict[str, CautionCheck] = {"caution_cited": _caution_cited}
#: Checked elsewhere, once per run: an engine error on a case (:mod:`spinepath.verify.run`),
#: and the knowledge base as data (:mod:`spinepath.verify.static`, :mod:`~.report`).
RUN_CHECKS: frozenset[str] = frozenset(
    {"one_current_stage", "every_rule_fires", "no_conflicting_twins", "quotes_verbatim"}
)

_BY_SCOPE: dict[str, frozenset[str]] = {
    "pathway": frozenset(PATHWAY_CHECKS),
    "option": frozenset(OPTION_CHECKS),
    "caution": frozenset(CAUTION_CHECKS),
    "engine": frozenset({"one_current_stage"}),
    "knowledge": RUN_CHECKS - {"one_current_stage"},
}


def bound(kb: KnowledgeBase) -> dict[str, Invariant]:
    """The invariants verify checks, each with a check of its scope; a
    :class:`KnowledgeError` (one line per problem) where YAML and checks differ."""
    problems = []
    wanted = {i.id: i for i in kb.invariants.values() if "verify" in i.checked_by}
    checked = {name: scope for scope, names in _BY_SCOPE.items() for name in names}
    for name, invariant in wanted.items():
        if name not in checked:
            problems.append(f"invariants.yaml, {name}: verify has no check for it")
        elif checked[name] != invariant.scope:
            problems.append(
                f"invariants.yaml, {name}: scope {invariant.scope}, but its check is of "
                f"scope {checked[name]}"
            )
    problems += [
        f"invariants.yaml: verify checks {name}, which has no entry marked verify"
        for name in sorted(set(checked) - set(wanted))
    ]
    if problems:
        raise KnowledgeError(problems)
    return wanted


def applies(kb: KnowledgeBase, invariant: Invariant, facts: dict[str, Any]) -> bool:
    """Whether every ``when`` condition of the invariant holds for the case."""
    return all(kb.holds(condition, facts) for condition in invariant.when)


def violations(seen: Seen, invariants: dict[str, Invariant] | None = None) -> list[tuple[str, str]]:
    """Every (invariant title, detail) the pathway of one case violates, over every option
    and caution (what the property tests use; verify checks unit by unit)."""
    invariants = invariants or bound(seen.kb)
    facts = seen.facts()
    found = []
    for invariant in invariants.values():
        if not applies(seen.kb, invariant, facts):
            continue
        details: list[str] = []
        if invariant.id in PATHWAY_CHECKS:
            details = PATHWAY_CHECKS[invariant.id](invariant, seen)
        elif invariant.id in OPTION_CHECKS:
            for stage in seen.pathway.stages:
                for option in stage.options:
                    if invariant.covers(stage.id, option.id):
                        details += OPTION_CHECKS[invariant.id](invariant, seen, option)
        elif invariant.id in CAUTION_CHECKS:
            for caution in seen.pathway.cautions:
                details += CAUTION_CHECKS[invariant.id](invariant, seen, caution)
        found += [(invariant.title, detail) for detail in details]
    return found
