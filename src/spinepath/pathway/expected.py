"""A pathway checked against what a teaching case expects of it."""

from __future__ import annotations

from spinepath.kb.teaching import Expected
from spinepath.pathway.model import Pathway


def mismatches(expected: Expected, pathway: Pathway) -> list[str]:
    """How the pathway differs from what the teaching case expects, one line each."""
    problems = []
    if pathway.current_stage != expected.current_stage:
        problems.append(
            f"current stage: expected {expected.current_stage}, got {pathway.current_stage}"
        )
    for option_id, verdict in expected.options.items():
        option = pathway.option(option_id)
        got = option.verdict if option else "absent"
        if got != verdict:
            problems.append(f"{option_id}: expected {verdict}, got {got}")
    if expected.missing_facts is not None:
        got_facts = sorted(m.fact for m in pathway.missing_facts)
        if got_facts != sorted(expected.missing_facts):
            problems.append(
                f"missing facts: expected {sorted(expected.missing_facts)}, got {got_facts}"
            )
    if expected.cautions is not None:
        got_cautions = sorted(c.id for c in pathway.cautions)
        if got_cautions != sorted(expected.cautions):
            problems.append(f"cautions: expected {sorted(expected.cautions)}, got {got_cautions}")
    if expected.contested is not None:
        got_contested = sorted(
            option.id for stage in pathway.stages for option in stage.options if option.contested
        )
        if got_contested != sorted(expected.contested):
            problems.append(
                f"contested: expected {sorted(expected.contested)}, got {got_contested}"
            )
    return problems
