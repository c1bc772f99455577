"""Explore: every single-fact change (and, on request, pairs) that changes the current stage
or a recommended option, in the order a patient would ask (``whatif/ranking.py``)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from spinepath.case.model import CASE_KEYS, Case, allowed_values, same_value
from spinepath.errors import CaseError
from spinepath.kb.model import KnowledgeBase
from spinepath.pathway.build import assess
from spinepath.pathway.difference import Exploration, Scenario
from spinepath.pathway.model import Pathway
from spinepath.whatif.compare import compare
from spinepath.whatif.ranking import direction, kind, rank
from spinepath.whatif.scenario import apply_changes


def alternatives(case: Case, kb: KnowledgeBase | None = None) -> list[tuple[str, Any]]:
    """Every single change of a categorical fact to another value it can take, and of a
    number that the knowledge base reads in bands to one value of each other band."""
    changes: list[tuple[str, Any]] = []
    for measure in kb.measures.values() if kb else ():
        current = measure.band(getattr(case, measure.key))
        for band in measure.bands:
            if band.value != current and len(measure.bands) > 1:
                # The band's first value, or its last for a band that starts at nothing.
                changes.append((measure.key, band.low or band.high))
    for key in CASE_KEYS:
        if key == "red_flags":
            # Adding a red flag always puts referral first; removing flags, or checking
            # flags never asked, is informative.
            if case.red_flags != []:
                changes.append((key, []))
            continue
        values = allowed_values(key)
        if values is None:
            continue
        current = getattr(case, key)
        changes += [(key, value) for value in values if not same_value(value, current)]
    return changes


def explore(
    kb: KnowledgeBase,
    case: Case,
    *,
    pairs: bool = False,
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Exploration:
    """Rank the changes of one fact (and of two, with ``pairs``: the ``limit`` most useful,
    of ``pairs_found``) that matter for ``case``."""
    base = assess(case, kb)
    singles = []
    valid: list[tuple[str, Any]] = []
    for key, value in alternatives(case, kb):
        scenario = _scenario(kb, case, {key: value}, base)
        if progress:
            progress(1)
        if scenario is None:
            continue
        valid.append((key, value))
        if scenario.difference.matters():
            singles.append(scenario)
    doubles = []
    if pairs:
        for (key1, value1), (key2, value2) in itertools.combinations(valid, 2):
            if key1 == key2:
                continue
            scenario = _scenario(kb, case, {key1: value1, key2: value2}, base)
            if progress:
                progress(1)
            if scenario is not None and scenario.difference.matters():
                doubles.append(scenario)
    return Exploration(
        base_stage=base.current_stage,
        single_changes=rank(singles),
        pairs=rank(doubles)[:limit] if pairs else None,
        pairs_found=len(doubles) if pairs else None,
        tried=len(valid),
    )


def pair_count(case: Case, kb: KnowledgeBase | None = None) -> int:
    n = len(alternatives(case, kb))
    return n + n * (n - 1) // 2


def _scenario(
    kb: KnowledgeBase, case: Case, changes: dict[str, Any], base: Pathway
) -> Scenario | None:
    try:
        changed = apply_changes(case, changes)
    except CaseError:
        return None  # a contradictory combination is not a case
    difference = compare(base, assess(changed, kb))
    return Scenario(
        set=changes,
        size=difference.size(),
        difference=difference,
        direction=direction(difference),
        kind=kind(kb, changes),
    )
