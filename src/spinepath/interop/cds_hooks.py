"""One case's pathway as CDS Hooks cards, for teaching how decision support reaches an EHR.

This is an output format, not a CDS service: the response body a service would
return (``{"cards": [...]}``), following the CDS Hooks card model. The cards, in
order: every alert (an emergency is ``critical``, an urgent referral ``warning``,
a screening step ``info``); the options of the current stage (``info``, or
``warning`` when contested: offered by the seeds while guidelines diverge); each
caution (``info``); and, when facts are missing, one ``info`` card naming them.

Each card's ``source`` is its first citation (label, and URL where the source has
one: the seeds were supplied without their addresses); its ``detail`` (Markdown)
quotes every passage verbatim and ends with the disclaimer. ``docs/schema/``
holds the JSON Schema the suite validates the cards against.
"""

from __future__ import annotations

import uuid
from typing import Any

from spinepath.kb.model import GuidelineCitation, KnowledgeBase, SeedCitation
from spinepath.pathway.model import Pathway
from spinepath.render import view, words

#: The specification's limit on a card's summary.
SUMMARY_MAX = 140
INDICATOR = {"emergency": "critical", "urgent": "warning", "screen": "info"}
#: Card ids are UUIDs derived from their content: the same pathway, the same bytes.
_NAMESPACE = uuid.UUID("6f1c0f4e-2b1a-4f1e-9a57-7370696e6570")


def cards(pathway: Pathway, kb: KnowledgeBase) -> dict[str, Any]:
    """The CDS Hooks response holding the pathway's cards."""
    found = [
        _card(kb, pathway, alert.headline, INDICATOR[alert.level], alert.text, alert.citations)
        for alert in pathway.alerts
    ]
    current = pathway.stage(pathway.current_stage)
    for option in current.options if current else []:
        summary = (
            f"{current.name}: {view.glance_name(option, words.VERDICT_WORDS[option.verdict])}"
        )
        indicator = "warning" if option.contested else "info"
        found.append(_card(kb, pathway, summary, indicator, option.rationale, option.citations))
    for caution in pathway.cautions:
        found.append(
            _card(kb, pathway, f"Caution: {caution.text}", "info", caution.text, caution.citations)
        )
    if pathway.missing_facts:
        named = ", ".join(words.fact_word(m.fact) for m in pathway.missing_facts)
        detail = "\n".join(
            f"- **{_md(words.fact_word(m.fact))}**: {_md(m.why)}" for m in pathway.missing_facts
        )
        found.append(_card(kb, pathway, f"Would decide: {named}", "info", detail, [], raw=True))
    return {"cards": found}


def _card(
    kb: KnowledgeBase,
    pathway: Pathway,
    summary: str,
    indicator: str,
    text: str,
    citations: Any,
    *,
    raw: bool = False,
) -> dict[str, Any]:
    lines = [text if raw else _md(text), ""]
    for citation in citations:
        lines += [_quoted(kb, citation), ""]
    lines.append(f"*{_md(pathway.disclaimer)} {_md(pathway.review_status)}*")
    card: dict[str, Any] = {
        "summary": _short(summary),
        "indicator": indicator,
        "detail": "\n".join(lines),
        "source": _source(kb, citations[0] if citations else None, pathway),
    }
    card["uuid"] = str(uuid.uuid5(_NAMESPACE, repr(sorted(card.items()))))
    return card


def _source(
    kb: KnowledgeBase, citation: SeedCitation | GuidelineCitation | None, pathway: Pathway
) -> dict[str, str]:
    if isinstance(citation, SeedCitation):
        return {"label": _short(f"Source {citation.source}: {kb.seeds[citation.source].title}")}
    if isinstance(citation, GuidelineCitation):
        ref = citation.reference
        source = {"label": _short(f"{ref.publisher}: {ref.title}, section {ref.section}")}
        if ref.url:
            source["url"] = ref.url
        return source
    return {"label": f"spinepath, knowledge base {pathway.knowledge_version}"}


def _quoted(kb: KnowledgeBase, citation: SeedCitation | GuidelineCitation) -> str:
    """A citation in Markdown: a seed's passage verbatim as a quote, a guideline in own words."""
    if isinstance(citation, SeedCitation):
        return f"> {_md(citation.quote)}\n>\n> \u2014 {_md(words.where(kb, citation))}"
    ref = citation.reference
    where = _md(words.where(kb, citation))
    link = f"[{where}]({ref.url})" if ref.url else where
    return f"{link}: {_md(ref.summary)} (in spinepath's words)"


def _short(text: str) -> str:
    """One line of at most :data:`SUMMARY_MAX` characters, cut at a word with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= SUMMARY_MAX:
        return text
    return text[: SUMMARY_MAX - 1].rsplit(" ", 1)[0].rstrip(",;:") + "\u2026"


def _md(text: str) -> str:
    """Text with Markdown's special characters escaped, on one line."""
    text = " ".join(str(text).split())
    for char in "\\`*_[]<>#|":
        text = text.replace(char, "\\" + char)
    return text
