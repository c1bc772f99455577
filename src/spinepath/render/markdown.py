"""Markdown output to paste into notes: the text output's content, quotes as blockquotes.

Free text (the case label above all) is escaped, so that nothing in it can
become a link, an HTML tag or a table cell in whatever renders the Markdown.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from spinepath.kb.model import KnowledgeBase
from spinepath.pathway.model import Pathway
from spinepath.render import view, words
from spinepath.terminal import visible_page

#: ASCII punctuation that Markdown (CommonMark, GitHub) may read as markup.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|#&!~])")


_BLANK_RUNS = re.compile(r"\n{3,}")


def md_escape(text: Any) -> str:
    """``text`` on one line, with every Markdown-significant character backslash-escaped."""
    return _SPECIAL.sub(r"\\\1", view.fold(text))


@cache
def _environment() -> Any:
    env = view.environment(autoescape=False)  # Markdown, escaped by the md filter
    env.filters["md"] = md_escape
    return env


def render_markdown(pathway: Pathway, kb: KnowledgeBase, *, show_evidence: bool = False) -> str:
    """The pathway as Markdown; ``show_evidence`` adds seed and guideline positions in full."""
    text = (
        _environment()
        .get_template("assess.md.j2")
        .render(p=pathway, kb=kb, where=lambda c: words.where(kb, c), show_evidence=show_evidence)
    )
    return visible_page(_BLANK_RUNS.sub("\n\n", text))
