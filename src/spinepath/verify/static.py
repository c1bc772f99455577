"""Checks of the rule base as data: conflicts, subsumption, quotes, review date."""

from __future__ import annotations

import datetime

from spinepath.kb.model import KnowledgeBase, Rule, SeedCitation

REVIEW_MAX_DAYS = 365


def _conditions(rule: Rule) -> dict[tuple[str, str], frozenset[object]]:
    return {
        (c.kind, c.subject): frozenset((type(v).__name__, v) for v in c.values) for c in rule.when
    }


def _conclusions(rule: Rule) -> set[tuple[str, object]]:
    then = rule.then
    found: set[tuple[str, object]] = {("establish", name) for name in then.establish}
    found |= {("option", item) for item in then.options.items()}
    found |= {("missing_fact", fact) for fact in then.missing_facts}
    if then.current_stage:
        found.add(("current_stage", then.current_stage))
    if then.caution:
        found.add(("caution", then.caution.id))
    if then.alert:
        found.add(("alert", then.alert.id))
    if then.cap:
        found.add(("cap", (then.cap.stages, then.cap.verdict)))
    return found


def conflicting_rules(kb: KnowledgeBase) -> list[str]:
    """Pairs of rules with identical conditions and conflicting conclusions (violations)."""
    problems = []
    rules = list(kb.rules)
    for i, a in enumerate(rules):
        for b in rules[i + 1 :]:
            if _conditions(a) != _conditions(b):
                continue
            clashes = [
                f"{option}: {verdict} vs {b.then.options[option]}"
                for option, verdict in a.then.options.items()
                if option in b.then.options and b.then.options[option] != verdict
            ]
            if (
                a.then.current_stage
                and b.then.current_stage
                and a.then.current_stage != b.then.current_stage
            ):
                clashes.append(f"current stage {a.then.current_stage} vs {b.then.current_stage}")
            if clashes:
                problems.append(f"{a.id} and {b.id}: same conditions, {'; '.join(clashes)}")
    return problems


def subsumed_rules(kb: KnowledgeBase) -> list[str]:
    """Rules whose conclusions another rule with weaker conditions already draws (informational)."""
    found = []
    for a in kb.rules:
        ca, ka = _conditions(a), _conclusions(a)
        for b in kb.rules:
            if a is b:
                continue
            cb, kb_ = _conditions(b), _conclusions(b)
            weaker = all(key in ca and ca[key] <= values for key, values in cb.items())
            if weaker and ka <= kb_ and (ca != cb or ka != kb_ or b.position < a.position):
                found.append(f"{a.id} is subsumed by {b.id}")
                break
    return found


def quote_problems(kb: KnowledgeBase) -> tuple[int, list[str]]:
    """Re-check every seed quote against its seed text; return (quotes checked, problems)."""
    checked, problems = 0, []
    for rule in kb.rules:
        for citation in rule.citations:
            if isinstance(citation, SeedCitation):
                checked += 1
                seed = kb.seeds.get(citation.source)
                text = seed.text if seed else ""
                if text[citation.start : citation.end] != citation.quote:
                    problems.append(
                        f"{rule.id}: quote of {citation.source} at "
                        f"{citation.start}:{citation.end} is not verbatim"
                    )
    return checked, problems


def review_warnings(kb: KnowledgeBase, today: datetime.date | None = None) -> list[str]:
    """A warning when the knowledge base's last review is more than a year old."""
    today = today or datetime.date.today()
    try:
        reviewed = datetime.date.fromisoformat(kb.meta.last_review)
    except ValueError:
        return [f"last_review {kb.meta.last_review!r} is not a date (YYYY-MM-DD)"]
    age = (today - reviewed).days
    if age > REVIEW_MAX_DAYS:
        return [f"knowledge base last reviewed {kb.meta.last_review}, {age} days ago (over a year)"]
    return []
