"""Proof of the knowledge base over the whole categorical case space of the contract.

:mod:`~spinepath.verify.space` reduces the space to value classes,
:mod:`~spinepath.verify.cones` splits it into cone-of-influence blocks (both
computed from the rule data), :mod:`~spinepath.verify.run` runs every case of
every block through the engine, :mod:`~spinepath.verify.checks` and
:mod:`~spinepath.verify.static` hold the checks, :mod:`~spinepath.verify.report`
shows the result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spinepath.kb.model import KnowledgeBase


def verify(
    kb: KnowledgeBase | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    phase: Callable[[str, int], None] | None = None,
) -> dict[str, Any]:
    """Run the whole proof and return the report (``report["ok"]`` says whether it holds).

    ``phase`` is called with the label and the number of cases of each phase as it
    begins (planning, which checks the context's cases, then the rest), ``progress``
    with the number of cases checked since its last call."""
    from spinepath.kb.loading import load_knowledge
    from spinepath.verify.report import build_report
    from spinepath.verify.run import enumerate_all

    plan, tally, seconds = enumerate_all(kb or load_knowledge(), workers, progress, phase)
    return build_report(plan, tally, seconds, workers)


def plan_size(kb: KnowledgeBase | None = None) -> int:
    """How many cases :func:`verify` will check (for a progress bar)."""
    from spinepath.kb.loading import load_knowledge
    from spinepath.verify.run import Plan

    return sum(b.size for b in Plan.of(kb or load_knowledge()).blocks)
