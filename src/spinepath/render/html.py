"""A self-contained HTML report of a pathway, to print or hand out.

One file, inline CSS, no scripts and no external assets. Everything that comes
from the case is escaped (jinja2 ``autoescape``), and a missing template
variable is an error (``StrictUndefined``). The same pathway, paper and date
always give the same bytes.

Citations are numbered in reading order ([1], [2], ...) and link to a
references section that holds each quoted passage in full, with where it
stands in its source.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from markupsafe import Markup

from spinepath.kb.model import KnowledgeBase
from spinepath.pathway.difference import Difference, Exploration
from spinepath.pathway.model import Option, Pathway
from spinepath.render import view, words
from spinepath.render.view import References

Paper = Literal["a4", "letter"]
PAPER_SIZES: dict[str, str] = {"a4": "A4", "letter": "letter"}

#: The running header holds at most this many characters of the case label.
HEADER_LABEL_CHARS = 70


def collect_references(
    pathway: Pathway, kb: KnowledgeBase, *, show_evidence: bool = False
) -> References:
    """Number every citation of the report in the order the report shows them."""
    references = References(kb)
    for alert in pathway.alerts:
        references.add(alert.citations)
    for stage in pathway.stages:
        for option in stage.options:
            references.add(option.citations)
            references.add(option.evidence.guideline_position.citations)
            if show_evidence:
                references.add(option.evidence.seed_position.citations)
        for note in stage.guideline_notes:
            references.add(note.citations)
    for caution in pathway.cautions:
        references.add(caution.citations)
    return references


#: The report's "what could change" section shows at most this many changes.
EXPLORE_SHOWN = 8


def marker(option: Option) -> str:
    """The option's evidence marker, without a leading concordance the badge already says."""
    text = option.evidence.marker
    said = words.CONCORDANCE_WORDS[option.evidence.concordance]
    for joint in (": ", "; "):
        if text.startswith(said + joint):
            return text[len(said + joint) :]
    return text


def css_string(text: str) -> Markup:
    """``text`` as a quoted CSS string: every character but letters, digits and spaces is
    written as a hex escape, so nothing in it can end the string or the style sheet."""
    out = []
    for char in text:
        if char.isascii() and (char.isalnum() or char == " "):
            out.append(char)
        else:
            # Six hex digits, then the one space CSS takes as the end of the escape.
            out.append(f"\\{ord(char):06x} ")
    return Markup('"' + "".join(out) + '"')


def header_label(label: str | None) -> str:
    if not label:
        return "spinepath pathway"
    label = view.fold(label)
    if len(label) <= HEADER_LABEL_CHARS:
        return label
    return label[: HEADER_LABEL_CHARS - 1].rstrip() + "…"


@dataclass(frozen=True)
class Step:
    """One step of the stage ladder, placed in the SVG."""

    number: int
    name_lines: list[str]
    status: str
    x: int
    y: int
    width: int
    height: int


LADDER_WIDTH = 640
LADDER_HEIGHT = 150
LADDER_GAP = 8


def ladder(pathway: Pathway) -> list[Step]:
    """The stages as a staircase that rises to the right, one step per stage."""
    count = len(pathway.stages)
    width = (LADDER_WIDTH - LADDER_GAP * (count - 1)) // count
    lowest = 86
    rise = (LADDER_HEIGHT - lowest) // max(count - 1, 1)
    steps = []
    for index, stage in enumerate(pathway.stages):
        height = lowest + rise * index
        steps.append(
            Step(
                number=index + 1,
                name_lines=textwrap.wrap(stage.name, 17 if count > 3 else 22)[:3],
                status=stage.status,
                x=index * (width + LADDER_GAP),
                y=LADDER_HEIGHT - height,
                width=width,
                height=height,
            )
        )
    return steps


@cache
def _environment() -> Any:
    env = view.environment(autoescape=True)
    # The qualifier is spinepath's own constant text: written as is (an apostrophe needs
    # no escape in element content), so reports keep their bytes.
    env.globals["contested_words"] = Markup(view.CONTESTED_WORDS)
    env.filters["css_string"] = css_string
    env.filters["marker"] = marker
    return env


def render_report(
    pathway: Pathway,
    kb: KnowledgeBase,
    *,
    paper: Paper = "a4",
    date: str | None = None,
    show_evidence: bool = False,
    exploration: Exploration | None = None,
    patient: str | None = None,
    clinician: str | None = None,
) -> str:
    """The pathway as one self-contained HTML document.

    ``date`` is printed as the report's date when given; nothing else in the
    output depends on when or where it is made. ``show_evidence`` adds each
    option's seed and guideline positions in full.
    """
    if paper not in PAPER_SIZES:
        raise ValueError(f"paper must be one of {', '.join(PAPER_SIZES)}, not {paper!r}")
    references = collect_references(pathway, kb, show_evidence=show_evidence)
    changes = exploration.single_changes[:EXPLORE_SHOWN] if exploration else []
    for change in changes:
        for option in change.difference.options:
            references.add(option.citations)
    # Every rule that fired, with what it rests on: the trace a reviewer can follow.
    fired = [kb.rule(step.rule) for step in pathway.trace]
    for rule in fired:
        references.add(rule.citations)
    current = pathway.stage(pathway.current_stage)
    facts = [(key, value) for key, value in pathway.case.items() if key != "label"]
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            p=pathway,
            kb=kb,
            current=current,
            facts=facts,
            steps=ladder(pathway),
            ladder_width=LADDER_WIDTH,
            ladder_height=LADDER_HEIGHT,
            ref=references.number,
            references=references.entries(),
            paper=PAPER_SIZES[paper],
            date=date,
            patient=patient,
            clinician=clinician,
            show_evidence=show_evidence,
            exploration=exploration,
            changes=changes,
            header_label=header_label(pathway.case.get("label")),
            fired=fired,
        )
    )


def render_what_if_html(
    kb: KnowledgeBase,
    *,
    kind: str,
    label: str | None,
    difference: Difference | None = None,
    exploration: Exploration | None = None,
) -> str:
    """A what-if comparison (``kind`` "what_if") or an exploration ("explore") as HTML."""
    from spinepath import __version__

    differences = (
        [difference]
        if difference
        else [s.difference for s in exploration.single_changes]
        if exploration
        else []
    )
    references = References(kb)
    for d in differences:
        for option in d.options:
            references.add(option.citations)
        for caution in d.cautions_added + d.cautions_removed:
            references.add(caution.citations)
    return (
        _environment()
        .get_template("whatif.html.j2")
        .render(
            kind=kind,
            label=label,
            d=difference,
            e=exploration,
            empty=difference is not None and difference.is_empty(),
            ref=references.number,
            references=references.entries(),
            version=__version__,
            knowledge_version=kb.meta.version,
            disclaimer=view.full_disclaimer(kb),
        )
    )


def notebook_html(pathway: Pathway) -> str:
    """The report for a notebook cell: a whole document with its own stylesheet, shown in
    a sandboxed ``iframe`` (``srcdoc``, escaped) so that its styles stay out of the
    notebook's page and nothing of the page reaches into it."""
    import html

    from spinepath.kb.loading import load_knowledge

    report = render_report(pathway, load_knowledge())
    return (
        '<iframe sandbox="" title="spinepath pathway report" '
        'style="width: 100%; height: 48em; border: 1px solid #ccc" '
        f'srcdoc="{html.escape(report, quote=True)}"></iframe>'
    )
