"""Domain words for values, conditions, conclusions and citations, shared by every renderer.

The results the renderers receive (pathway, explanations, differences) hold values;
this is where those values become words.
"""

from __future__ import annotations

from typing import Any

from spinepath.case.words import fact_word, value_word
from spinepath.kb.model import Condition, GuidelineCitation, KnowledgeBase, Rule, SeedCitation
from spinepath.pathway.explanation import ConditionCheck, WhyNot

VERDICT_WORDS = {
    "recommended": "recommended",
    "consider": "consider",
    "not_advised": "not advised",
    "contraindicated": "contraindicated",
}

CONCORDANCE_WORDS = {
    "agrees": "guidelines agree",
    "partly_agrees": "guidelines partly agree",
    "diverges": "guidelines diverge",
    "not_addressed": "one side is silent",
}

STATUS_WORDS = {
    "tried": "tried",
    "current": "current",
    "upcoming": "upcoming",
    "after_specialist_assessment": "after specialist assessment",
    "not_in_pathway": "not in this pathway",
}

ALERT_WORDS = {"emergency": "EMERGENCY", "urgent": "URGENT", "screen": "FIRST STEP"}


def status_word(status: str) -> str:
    return STATUS_WORDS[status]


def verdict_or_absent(verdict: str) -> str:
    """A verdict in words, or "absent" where no rule spoke to the option."""
    return VERDICT_WORDS.get(verdict, verdict)


RED_FLAG_SCREEN_WORDS: dict[object, str] = {
    "any": "at least one present",
    "emergency": "an emergency one present",
    "urgent": "an urgent one present (no emergency)",
    "none": "checked, none present",
    None: "not stated (never asked)",
}


def screen_word(screen: str) -> str:
    """A pathway's red-flag screen (``emergency``, ``urgent``, ``none``, ``not_asked``) in words."""
    return RED_FLAG_SCREEN_WORDS[None if screen == "not_asked" else screen]


def condition_words(condition: Condition) -> str:
    """One condition of a rule, in domain words."""
    if condition.kind == "red_flags":
        return "red flags: " + " or ".join(RED_FLAG_SCREEN_WORDS[v] for v in condition.values)
    if condition.kind == "no_option_in":
        return f"no option was found for the {fact_word(condition.subject)} stage"
    if condition.kind == "intermediate":
        verb = "established" if condition.values[0] else "not established"
        return f"{fact_word(condition.subject)}: {verb}"
    words = [value_word(v) for v in condition.values]
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
    return f"{fact_word(condition.subject)}: {listed}"


def rule_conditions(rule: Rule) -> list[str]:
    return [condition_words(c) for c in rule.when] or ["always (every case)"]


def rule_conclusions(kb: KnowledgeBase, rule: Rule) -> list[str]:
    then = rule.then
    lines = [f"establish {fact_word(name)}" for name in then.establish]
    if then.current_stage:
        lines.append(f"current stage: {fact_word(then.current_stage)}")
    lines += [
        f"{kb.treatment(option).name}: {VERDICT_WORDS[verdict]}"
        for option, verdict in then.options.items()
    ]
    if then.caution:
        lines.append(f"caution {then.caution.id}")
    if then.alert:
        lines.append(f"first of all ({then.alert.level}): {then.alert.headline}")
    if then.cap:
        stages = ", ".join(fact_word(stage) for stage in then.cap.stages)
        lines.append(f"verdicts in {stages}: at most {VERDICT_WORDS[then.cap.verdict]}")
    lines += [f"missing fact if unknown: {fact_word(fact)}" for fact in then.missing_facts]
    return lines


def paragraph_of(text: str, offset: int) -> int:
    """The 1-based paragraph (blocks separated by a blank line) holding ``offset``."""
    paragraph = 1
    in_gap = False
    for line in text[:offset].split("\n")[:-1]:
        if line.strip():
            if in_gap:
                paragraph += 1
            in_gap = False
        else:
            in_gap = True
    if in_gap and text[:offset].strip():
        paragraph += 1
    return paragraph


def where(kb: KnowledgeBase, citation: SeedCitation | GuidelineCitation) -> str:
    """Where a cited passage stands, for a person."""
    if isinstance(citation, SeedCitation):
        seed = kb.seeds[citation.source]
        paragraph = paragraph_of(seed.text, citation.start)
        return (
            f"source {citation.source}, paragraph {paragraph} "
            f"(characters {citation.start}-{citation.end})"
        )
    ref = citation.reference
    year = f" ({ref.year})" if ref.year else ""
    return f"{ref.publisher}, {ref.title}{year}, section {ref.section}"


def short_reference(citation: SeedCitation | GuidelineCitation) -> str:
    """A citation in a few words: ``000`` or ``nice-ng59 1.1.2``."""
    if isinstance(citation, SeedCitation):
        return f"source {citation.source}"
    return f"{citation.source} {citation.reference.section}"


# --- explanations ------------------------------------------------------------------------


def conclusion_words(kb: KnowledgeBase, concluded: dict[str, Any]) -> str:
    """One conclusion of a firing (as the trace records it), in domain words."""
    if "establish" in concluded:
        suffix = " (already established)" if concluded.get("already") else ""
        return f"established: {fact_word(concluded['establish'])}{suffix}"
    if "current_stage" in concluded:
        stage = next(s for s in kb.stages if s.id == concluded["current_stage"])
        return f"current stage: {stage.name}"
    if "option" in concluded:
        name = kb.treatment(concluded["option"]).name
        return f"{name}: {VERDICT_WORDS[concluded['verdict']]}"
    if "caution" in concluded:
        return f"caution: {fact_word(concluded['caution'])}"
    if "alert" in concluded:
        return f"first of all: {fact_word(concluded['alert'])}"
    if "cap" in concluded:
        stages = ", ".join(fact_word(stage) for stage in concluded["cap"])
        return f"verdicts in {stages} at most {VERDICT_WORDS[concluded['at_most']]}"
    return f"missing fact: {fact_word(concluded['missing_fact'])}"


def actual_words(check: ConditionCheck) -> str:
    """What the case gives for one checked condition, in words."""
    actual = check.actual
    if "band" in actual:
        return f"{value_word(actual['value'])} ({value_word(actual['band'])})"
    if "screen" in actual:
        return f"{value_word(actual['value'])} ({screen_word(actual['screen'])})"
    if "established" in actual:
        return "established" if actual["established"] else "not established"
    if "has_options" in actual:
        return "some options" if actual["has_options"] else "no option"
    return value_word(actual["value"])


def why_not_notes(explanation: WhyNot) -> list[str]:
    """The notes a reader needs beside the rules of a WHY NOT, in words."""
    e = explanation
    if e.verdict == "absent":
        return ["No rule concluded anything about it for this case: it is absent."]
    notes = []
    when_reached = VERDICT_WORDS[e.verdict_when_reached or e.verdict]
    if e.downgraded:
        notes.append(
            f"Its stage is {status_word(e.stage_status)}: the verdict there would be "
            f"{when_reached}, shown as {VERDICT_WORDS[e.verdict]} until the case reaches it."
        )
    if e.capped_by:
        notes.append(
            f"Held at most at {when_reached} by {', '.join(e.capped_by)}: a fact the sources "
            "make a condition is not stated, or the sources do not cover the case."
        )
    if e.contested:
        notes.append("Contested: the seeds offer it, but guidelines diverge for this case.")
    if e.decided_by:
        notes.append(
            f"Several rules spoke to it ({', '.join(e.spoke)}); the most cautious "
            f"verdict stands, from {e.decided_by}."
        )
    return notes
