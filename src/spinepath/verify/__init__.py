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
) -> dict[str, Any]:
    """Run the whole proof and return the report (``report["ok"]`` says whether it holds)."""
    from spinepath.kb.loading import load_knowledge
    from spinepath.verify.report import build_report
    from spinepath.verify.run import Plan, enumerate_all

    kb = kb or load_knowledge()
    plan = Plan.of(kb)
    tally, seconds = enumerate_all(plan, workers, progress)
    return build_report(plan, tally, seconds, workers)


def plan_size(kb: KnowledgeBase | None = None) -> int:
    """How many cases :func:`verify` will check (for a progress bar)."""
    from spinepath.kb.loading import load_knowledge
    from spinepath.verify.run import Plan

    return sum(b.size for b in Plan.of(kb or load_knowledge()).blocks)
