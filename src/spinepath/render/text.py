"""Text output for a terminal, rendered with jinja2 (environment from :mod:`.view`)."""

from __future__ import annotations

import textwrap
from functools import cache
from typing import Any

from spinepath.kb.model import KnowledgeBase
from spinepath.pathway.difference import Difference, Exploration
from spinepath.pathway.explanation import How, WalkStep, WhyNot
from spinepath.pathway.model import Pathway
from spinepath.render import view, words
from spinepath.terminal import visible, visible_page

WIDTH = 88


@cache
def _environment() -> Any:
    env = view.environment(autoescape=False)  # plain text for a terminal
    env.filters["wrap"] = wrap
    return env


def wrap(text: str, indent: int = 0, first: str = "") -> str:
    """Wrap ``text`` (folded onto one line first) to the terminal width, indenting
    continuation lines."""
    pad = " " * indent
    return textwrap.fill(
        view.fold(text),
        width=WIDTH,
        initial_indent=(first or pad),
        subsequent_indent=pad,
        break_on_hyphens=False,
    )


def render_pathway(pathway: Pathway, kb: KnowledgeBase, *, show_evidence: bool = False) -> str:
    """The pathway for a terminal; ``show_evidence`` adds each option's seed and guideline
    positions in full."""
    template = _environment().get_template("assess.txt.j2")
    return visible_page(
        template.render(
            p=shown(pathway), kb=kb, where=lambda c: words.where(kb, c), show_evidence=show_evidence
        )
    )


def shown(pathway: Pathway) -> Pathway:
    """The pathway with the case's text (its label) made visible: one line, no controls."""
    case = {k: visible(v) if isinstance(v, str) else v for k, v in pathway.case.items()}
    return pathway.model_copy(update={"case": case})


def render_rules(kb: KnowledgeBase, rules: list[Any]) -> str:
    return visible_page(
        _environment()
        .get_template("rules.txt.j2")
        .render(
            kb=kb,
            rules=rules,
            conditions=words.rule_conditions,
            conclusions=lambda r: words.rule_conclusions(kb, r),
            where=lambda c: words.where(kb, c),
        )
    )


def render_walkthrough_step(
    pathway: Pathway, kb: KnowledgeBase, step: WalkStep, *, header: bool, footer: bool
) -> str:
    """One step of a walkthrough (with the header before the first, the footer after the last)."""
    return visible_page(
        _environment()
        .get_template("walkthrough.txt.j2")
        .render(
            p=shown(pathway),
            s=step,
            total=len(pathway.trace),
            header=header,
            footer=footer,
            where=lambda c: words.where(kb, c),
            conclusion=lambda c: words.conclusion_words(kb, c),
        )
    )


def render_explanation(kb: KnowledgeBase, kind: str, explanation: How | WhyNot) -> str:
    """A HOW or WHY-NOT explanation (``kind`` is "how" or "why_not")."""
    return visible_page(
        _environment()
        .get_template("explain.txt.j2")
        .render(
            kind=kind,
            e=explanation,
            notes=words.why_not_notes(explanation) if isinstance(explanation, WhyNot) else [],
            actual=words.actual_words,
            disclaimer=view.full_disclaimer(kb),
            where=lambda c: words.where(kb, c),
        )
    )


def render_what_if(
    kb: KnowledgeBase,
    *,
    kind: str,
    label: str | None,
    difference: Difference | None = None,
    exploration: Exploration | None = None,
) -> str:
    """A what-if comparison (``kind`` "what_if") or an exploration (``kind`` "explore")."""
    return visible_page(
        _environment()
        .get_template("whatif.txt.j2")
        .render(
            kind=kind,
            label=None if label is None else visible(label),
            d=difference,
            e=exploration,
            empty=difference is not None and difference.is_empty(),
            disclaimer=view.full_disclaimer(kb),
            where=lambda c: words.where(kb, c),
        )
    )
