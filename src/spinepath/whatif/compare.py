"""The difference between two pathways, with the rules and passages responsible."""

from __future__ import annotations

from spinepath.kb.model import STAGE_ORDER
from spinepath.pathway.difference import Change, ConcordanceChange, Difference, OptionChange
from spinepath.pathway.model import Option, Pathway


def _options(pathway: Pathway) -> dict[str, Option]:
    return {option.id: option for stage in pathway.stages for option in stage.options}


def compare(before: Pathway, after: Pathway) -> Difference:
    """What changes from ``before`` to ``after``: stage, options, cautions, missing facts."""
    old, new = _options(before), _options(after)
    options = []
    for option_id in (
        [o for o in new if o not in old]
        + [o for o in old if o not in new]
        + [o for o in new if o in old and old[o].verdict != new[o].verdict]
        + [
            o
            for o in new
            if o in old
            and old[o].verdict == new[o].verdict
            and old[o].evidence.concordance != new[o].evidence.concordance
        ]
    ):
        was, now = old.get(option_id), new.get(option_id)
        responsible = now or was
        assert responsible is not None
        options.append(
            OptionChange(
                option=option_id,
                name=responsible.name,
                before=was.verdict if was else "absent",
                after=now.verdict if now else "absent",
                change="gained"
                if was is None
                else "lost"
                if now is None
                else "changed"
                if was.verdict != now.verdict
                else "evidence",
                concordance=ConcordanceChange(
                    before=was.evidence.concordance if was else None,
                    after=now.evidence.concordance if now else None,
                ),
                rule=responsible.rule,
                rationale=responsible.rationale,
                citations=responsible.citations,
                evidence_marker=responsible.evidence.marker,
                # Read from the pathway after the change, never recomputed here.
                contested=now.contested if now else False,
            )
        )
    cautions_before = {c.id: c for c in before.cautions}
    cautions_after = {c.id: c for c in after.cautions}
    missing_before = {m.fact: m for m in before.missing_facts}
    missing_after = {m.fact: m for m in after.missing_facts}
    return Difference(
        changed_facts={
            key: Change(before=before.case[key], after=after.case[key])
            for key in before.case
            if before.case[key] != after.case[key]
        },
        current_stage=Change(before=before.current_stage, after=after.current_stage),
        headline=Change(before=before.headline, after=after.headline),
        stage_moves=STAGE_ORDER.index(after.current_stage)
        - STAGE_ORDER.index(before.current_stage),
        options=options,
        cautions_added=[cautions_after[c] for c in cautions_after if c not in cautions_before],
        cautions_removed=[cautions_before[c] for c in cautions_before if c not in cautions_after],
        missing_facts_added=[missing_after[m] for m in missing_after if m not in missing_before],
        missing_facts_removed=[missing_before[m] for m in missing_before if m not in missing_after],
    )
