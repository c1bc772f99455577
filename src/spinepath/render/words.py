"""Domain words for conditions, conclusions and citations, shared by every renderer."""

from __future__ import annotations

from typing import Any

from spinepath.kb.model import Condition, GuidelineCitation, KnowledgeBase, Rule, SeedCitation

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
}

ALERT_WORDS = {"emergency": "EMERGENCY", "urgent": "URGENT", "screen": "FIRST STEP"}


def status_word(status: str) -> str:
    return STATUS_WORDS[status]


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


def value_word(value: Any) -> str:
    """A fact value as a person would read it."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None:
        return "not stated"
    if isinstance(value, (list, tuple)):
        return ", ".join(value_word(v) for v in value) or "none"
    return str(value).replace("_", " ")


def fact_word(key: str) -> str:
    return key.replace("_", " ")


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


def glance_name(option: Any, verdict: str = "") -> str:
    """An option's name (and verdict), qualified where it is contested.

    A contested option (``Option.contested``, decided in the pathway) is never
    presented as settled, in the summary or in the detail.
    """
    label = f"{option.name}: {verdict}" if verdict else option.name
    if option.contested:
        return f"{label} (the seeds' view; guidelines diverge)"
    return label


def full_disclaimer(kb: KnowledgeBase) -> str:
    """The disclaimer with who has reviewed the knowledge base, for outputs without a pathway."""
    return " ".join(kb.meta.disclaimer.split()) + " " + kb.meta.review_status()
