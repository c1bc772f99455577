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

from spinepath.kb.model import GuidelineCitation, KnowledgeBase, SeedCitation
from spinepath.pathway.model import Option, Pathway
from spinepath.render import words

Paper = Literal["a4", "letter"]
PAPER_SIZES: dict[str, str] = {"a4": "A4", "letter": "letter"}

#: The running header holds at most this many characters of the case label.
HEADER_LABEL_CHARS = 70

Citation = SeedCitation | GuidelineCitation


@dataclass(frozen=True)
class Reference:
    """One entry of the references section."""

    number: int
    citation: Citation
    where: str
    #: The seed's title, or the guideline's title, for the reader.
    title: str


class References:
    """Numbers for citations, in the order they are first cited."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._kb = kb
        self._numbers: dict[Citation, int] = {}

    def add(self, citations: Any) -> None:
        for citation in citations:
            self._numbers.setdefault(citation, len(self._numbers) + 1)

    def number(self, citation: Citation) -> int:
        return self._numbers[citation]

    def entries(self) -> list[Reference]:
        return [
            Reference(number, citation, words.where(self._kb, citation), self._title(citation))
            for citation, number in self._numbers.items()
        ]

    def _title(self, citation: Citation) -> str:
        if isinstance(citation, SeedCitation):
            return self._kb.seeds[citation.source].title
        return citation.reference.title


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


def diverges(option: Option) -> bool:
    """Whether an option's verdict must be qualified as the seeds' view only (decided in the
    pathway: ``Option.contested``)."""
    return option.contested


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
    label = " ".join(label.split())
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
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("spinepath.render", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["verdict"] = lambda v: words.VERDICT_WORDS[v]
    env.filters["verdict_or_absent"] = lambda v: words.VERDICT_WORDS.get(v, v)
    env.filters["value"] = words.value_word
    env.filters["fact"] = words.fact_word
    env.filters["concordance"] = words.CONCORDANCE_WORDS.__getitem__
    env.filters["css_string"] = css_string
    env.filters["marker"] = marker
    env.tests["diverging"] = diverges
    env.filters["status"] = words.status_word
    return env


def render_report(
    pathway: Pathway,
    kb: KnowledgeBase,
    *,
    paper: Paper = "a4",
    date: str | None = None,
    show_evidence: bool = False,
    exploration: dict[str, Any] | None = None,
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
    changes = (exploration or {}).get("single_changes", [])[:EXPLORE_SHOWN]
    for change in changes:
        for option in change["difference"]["options"]:
            references.add(option["citations"])
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
            verdict_order=["recommended", "consider", "not_advised", "contraindicated"],
            fired=fired,
        )
    )


def render_what_if_html(
    kb: KnowledgeBase,
    *,
    kind: str,
    label: str | None,
    difference: dict[str, Any] | None = None,
    exploration: dict[str, Any] | None = None,
) -> str:
    """A what-if comparison (``kind`` "what_if") or an exploration ("explore") as HTML."""
    from spinepath import __version__
    from spinepath.whatif.compare import is_empty

    differences = (
        [difference]
        if difference
        else [s["difference"] for s in (exploration or {}).get("single_changes", [])]
    )
    references = References(kb)
    for d in differences:
        for option in d["options"]:
            references.add(option["citations"])
        for caution in d["cautions_added"] + d["cautions_removed"]:
            references.add(caution.citations)
    return (
        _environment()
        .get_template("whatif.html.j2")
        .render(
            kind=kind,
            label=label,
            d=difference,
            e=exploration,
            empty=difference is not None and is_empty(difference),
            ref=references.number,
            references=references.entries(),
            version=__version__,
            knowledge_version=kb.meta.version,
            disclaimer=words.full_disclaimer(kb),
        )
    )
