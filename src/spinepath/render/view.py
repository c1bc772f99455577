"""The view layer shared by the text, Markdown and HTML renderers.

One place for what every output decides the same way before it words anything:

- the jinja environment (:func:`environment`), with the filters every template uses;
- the order verdicts are listed in (``kb.model.VERDICT_ORDER``, the templates' ``verdict_order``);
- how references are numbered ([1], [2], ... in the order first cited: :class:`References`);
- how prose from the knowledge base is folded onto one line (:func:`fold`);
- whether an option is shown as contested (:func:`contested`), which only reads the
  pathway's per-case decision, ``Option.contested``: no output recomputes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spinepath.kb.loading import fold as fold_prose
from spinepath.kb.model import VERDICT_ORDER, GuidelineCitation, KnowledgeBase, SeedCitation
from spinepath.render import words

Citation = SeedCitation | GuidelineCitation

#: The qualifier every output puts beside a contested option.
CONTESTED_WORDS = "the seeds' view; guidelines diverge"


def contested(option: Any) -> bool:
    """Whether ``option`` (a pathway ``Option``, or a what-if ``OptionChange``) is shown as
    contested: the pathway decided it (``Option.contested``), so this only reads it."""
    return bool(option.contested)


def glance_name(option: Any, verdict: str = "") -> str:
    """An option's name (and verdict), qualified where it is contested: a contested
    option is never presented as settled, in the summary or in the detail."""
    label = f"{option.name}: {verdict}" if verdict else option.name
    return f"{label} ({CONTESTED_WORDS})" if contested(option) else label


def fold(text: Any) -> str:
    """Prose on one line: the knowledge base's line breaks and runs of spaces become one
    space (YAML block text keeps the breaks of the file it was written in), as the loader
    folds the prose it reads (:func:`spinepath.kb.loading.fold`)."""
    return fold_prose(str(text))


def full_disclaimer(kb: KnowledgeBase) -> str:
    """The disclaimer with who has reviewed the knowledge base, for outputs without a pathway
    (a pathway carries both, folded, in ``disclaimer`` and ``review_status``)."""
    return kb.meta.disclaimer + " " + kb.meta.review_status()  # the loader folded it


@dataclass(frozen=True)
class Reference:
    """One entry of a references section."""

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


def environment(
    *,
    autoescape: bool,
    package: str = "spinepath.render",
    keep_trailing_newline: bool = True,
) -> Any:
    """A new jinja environment over ``package``'s templates, with the filters, tests and
    globals every renderer shares; each renderer adds its own (``wrap``, ``md``, ...) and
    caches it. The one factory: the renderers, the handout and the web pages all call it.

    A missing template variable is an error (``StrictUndefined``); HTML is autoescaped.
    """
    import jinja2  # here, not at the top: commands that print JSON never load jinja

    env = jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=autoescape,
        keep_trailing_newline=keep_trailing_newline,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        verdict=words.VERDICT_WORDS.__getitem__,
        verdict_or_absent=words.verdict_or_absent,
        value=words.value_word,
        fact=words.fact_word,
        status=words.status_word,
        concordance=words.CONCORDANCE_WORDS.__getitem__,
        alert_level=words.ALERT_WORDS.__getitem__,
        short_reference=words.short_reference,
        glance_name=glance_name,
        condition=words.condition_words,
        fold=fold,
    )
    env.tests["contested"] = contested
    env.globals.update(verdict_order=VERDICT_ORDER, contested_words=CONTESTED_WORDS)
    return env
