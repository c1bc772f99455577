"""Every output flags the same options as contested: the ones the pathway decided are.

"Contested" (the seeds offer an option while guidelines diverge for this case) is
decided once, per case, in the pathway (``Option.contested``). Here, for every
teaching case, the options each output flags are read back from the output itself
(assess text, assess JSON, the HTML report, what-if text, what-if HTML, and the first
line of HOW) and must be the same set, and that set must be the pathway's.
"""

from __future__ import annotations

import html
import json
import re

import pytest

from spinepath.case.loading import validate_case
from spinepath.explain.how import how
from spinepath.kb.teaching import load_teaching_cases
from spinepath.pathway.build import assess
from spinepath.pathway.model import Pathway
from spinepath.render.html import render_report, render_what_if_html
from spinepath.render.text import render_explanation, render_pathway, render_what_if
from spinepath.render.view import CONTESTED_WORDS
from spinepath.whatif.compare import compare
from tests.helpers import KNOWLEDGE

CASES = load_teaching_cases(KNOWLEDGE / "cases")
FLAG = re.escape(f" ({CONTESTED_WORDS})")
HTML_FLAG = re.escape(f' <span class="flag-diverges">{CONTESTED_WORDS}</span>')
VERDICT = "RECOMMENDED|CONSIDER|NOT ADVISED|CONTRAINDICATED"

#: One line (or element) per option in each output: its name, and the flag if shown.
PATTERNS = {
    "assess text": re.compile(rf"^  \* (?P<name>.+?): (?:{VERDICT})(?P<flag>{FLAG})?$", re.M),
    "report html": re.compile(
        rf'<div class="option-head"><h3>(?P<name>[^<]+)</h3><span class="badge [^"]+">'
        rf"[^<]+</span>(?P<flag>{HTML_FLAG})?</div>"
    ),
    "what-if text": re.compile(rf"^  \* (?P<name>.+?): absent -> [a-z ]+?(?P<flag>{FLAG})?$", re.M),
    "what-if html": re.compile(rf"<tr><td>(?P<name>[^<]+?)(?P<flag>{HTML_FLAG})?</td>"),
}


def flagged(output: str, pattern: re.Pattern[str], names: dict[str, str]) -> tuple[set, set]:
    """The options an output shows, and those it flags as contested (by id)."""
    shown, flags = set(), set()
    for match in pattern.finditer(output):
        option_id = names[html.unescape(match["name"])]
        shown.add(option_id)
        if match["flag"]:
            flags.add(option_id)
    return shown, flags


def without_options(pathway: Pathway) -> Pathway:
    """The pathway with no option in any stage: a what-if from it gains every option."""
    stages = [stage.model_copy(update={"options": []}) for stage in pathway.stages]
    return pathway.model_copy(update={"stages": stages})


@pytest.mark.parametrize("teaching", CASES, ids=[c.file for c in CASES])
def test_every_output_flags_the_options_the_pathway_calls_contested(teaching, kb) -> None:
    pathway = assess(validate_case(teaching.case), kb)
    options = {o.id for stage in pathway.stages for o in stage.options}
    decided = {o.id for stage in pathway.stages for o in stage.options if o.contested}
    names = {kb.treatment(option_id).name: option_id for option_id in options}
    difference = compare(without_options(pathway), pathway)
    outputs = {
        "assess text": render_pathway(pathway, kb),
        "report html": render_report(pathway, kb),
        "what-if text": render_what_if(kb, kind="what_if", label=None, difference=difference),
        "what-if html": render_what_if_html(kb, kind="what_if", label=None, difference=difference),
    }
    document = json.loads(pathway.to_json())
    in_json = {o["id"] for s in document["stages"] for o in s["options"] if o["contested"]}
    assert in_json == decided
    for output, text in outputs.items():
        shown, flags = flagged(text, PATTERNS[output], names)
        assert shown == options, output  # every option is read, so no flag can hide
        assert flags == decided, output
    # HOW names the option in its first line, qualified where it is contested.
    for option_id in options:
        first = render_explanation(kb, "how", how(kb, pathway, option_id)).splitlines()[0]
        assert (f"({CONTESTED_WORDS})" in first) == (option_id in decided), first


def test_some_teaching_case_has_a_contested_option(kb) -> None:
    """The check above is not vacuous."""
    contested = [
        teaching.file
        for teaching in CASES
        if any(
            o.contested for s in assess(validate_case(teaching.case), kb).stages for o in s.options
        )
    ]
    assert len(contested) >= 5
