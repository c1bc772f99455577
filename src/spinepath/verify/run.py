"""Enumerating the blocks of the reduced space, in parallel, and checking every case.

Engines cannot be pickled, so each worker process builds its own (once) and is
sent only ranges of case indexes; it returns a :class:`~spinepath.verify.checks.Tally`.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from spinepath.case.model import Case
from spinepath.errors import EngineError
from spinepath.kb.loading import load_knowledge
from spinepath.kb.model import KnowledgeBase
from spinepath.verify.checks import CaseContext, Checker, Tally
from spinepath.verify.cones import Block, blocks
from spinepath.verify.context import context_keys, quotient
from spinepath.verify.space import Dimension, Space, ValueClass, build_space

CHUNK = 1500


@dataclass
class Plan:
    """The space, its blocks, and how to turn a (block, index) pair into a case."""

    kb: KnowledgeBase
    #: The space of value classes; each block is enumerated over its own space (this one,
    #: or the one whose context is reduced to behaviours, see :mod:`~spinepath.verify.context`).
    space: Space
    blocks: list[Block]

    @classmethod
    def of(cls, kb: KnowledgeBase) -> Plan:
        """The plan of ``kb`` (made once per knowledge base and process: finding the
        context's behaviours runs the engine some ten thousand times)."""
        plan = _PLANS.get(id(kb))
        if plan is None or plan.kb is not kb:
            plan = _PLANS[id(kb)] = cls._make(kb)
        return plan

    @classmethod
    def _make(cls, kb: KnowledgeBase) -> Plan:
        space = build_space(kb)
        keys = context_keys(kb, space)
        inside = blocks(kb, space, lambda unit: unit.keys <= keys)
        outside = blocks(kb, quotient(kb, space, keys), lambda unit: not unit.keys <= keys)
        return cls(kb, space, sorted([*inside, *outside], key=lambda b: -b.size))

    def block_dims(self, block: Block) -> list[Dimension]:
        return block.space.dims(block.dims)

    def assignment(self, block: Block, index: int) -> dict[str, ValueClass]:
        """The ``index``-th combination of classes of the block (mixed radix, last dim fastest)."""
        chosen: dict[str, ValueClass] = {}
        for dim in reversed(self.block_dims(block)):
            index, digit = divmod(index, len(dim.classes))
            chosen[dim.name] = dim.classes[digit]
        return chosen

    def weight(self, block: Block, chosen: dict[str, ValueClass]) -> int:
        """How many valid raw cases this enumerated case stands for."""
        inside = math.prod(c.raw for c in chosen.values())
        outside = math.prod(d.raw_valid for d in block.space.dimensions if d.name not in block.dims)
        return inside * outside

    def cases(
        self, block_index: int, start: int, stop: int
    ) -> Iterator[tuple[int, dict[str, Any], int]]:
        block = self.blocks[block_index]
        for index in range(start, stop):
            chosen = self.assignment(block, index)
            yield index, block.space.case_data(chosen), self.weight(block, chosen)


_PLANS: dict[int, Plan] = {}
_WORKER: dict[str, Any] = {}


def _prime(kb: KnowledgeBase, plan: Plan | None = None) -> None:
    """Make ``kb`` the knowledge base this process checks (forked workers inherit it)."""
    _WORKER.clear()
    _worker_state(kb, plan)


def _worker_state(
    kb: KnowledgeBase | None = None, plan: Plan | None = None
) -> tuple[Plan, Checker, Callable[[Case], Any]]:
    kb = kb or _WORKER.get("kb") or load_knowledge()
    if _WORKER.get("kb") is not kb:
        from spinepath.pathway.build import assess

        _WORKER["kb"] = kb
        _WORKER["plan"] = plan if plan is not None and plan.kb is kb else Plan.of(kb)
        _WORKER["checker"] = Checker(kb)
        _WORKER["assess"] = lambda case: assess(case, kb)
    return _WORKER["plan"], _WORKER["checker"], _WORKER["assess"]


def check_range(task: tuple[int, int, int]) -> Tally:
    """Check the cases ``start:stop`` of one block (runs in a worker)."""
    block_index, start, stop = task
    plan, checker, assess = _worker_state()
    units = plan.blocks[block_index].units
    tally = Tally()
    for index, data, weight in plan.cases(block_index, start, stop):
        case = Case.model_validate(data)
        ctx = CaseContext(case, data, weight, (block_index, index), tally)
        tally.cases += 1
        try:
            pathway = assess(case)
        except EngineError as error:
            ctx.violation(checker.invariants["one_current_stage"].title, error.problems[0])
            continue
        checker.check(ctx, pathway, units)
    return tally


def _quiet_worker() -> None:
    """A worker leaves Ctrl-C to the parent, which stops it with SIGTERM: one message, from
    the parent, instead of a traceback from every worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def tasks(plan: Plan, chunk: int = CHUNK) -> list[tuple[int, int, int]]:
    return [
        (b, start, min(start + chunk, block.size))
        for b, block in enumerate(plan.blocks)
        for start in range(0, block.size, chunk)
    ]


def enumerate_all(
    plan: Plan, workers: int, progress: Callable[[int], None] | None = None
) -> tuple[Tally, float]:
    """Check every case of every block; return the merged tally and the wall time."""
    started = time.perf_counter()
    todo = tasks(plan)
    total = Tally()
    _prime(plan.kb, plan)
    try:
        _check_all(todo, total, workers, progress)
    finally:
        # The primed knowledge base is this run's only: a later check_range in this
        # process (another verify, a test) must not inherit it.
        _WORKER.clear()
    return total, time.perf_counter() - started


def _check_all(
    todo: list[tuple[int, int, int]],
    total: Tally,
    workers: int,
    progress: Callable[[int], None] | None,
) -> None:
    """Check every task into ``total``, in this process or in a pool of ``workers``."""
    if workers <= 1:
        for task in todo:
            total.merge(check_range(task))
            if progress:
                progress(task[2] - task[1])
    else:
        context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        # Leaving the block terminates the pool, also on Ctrl-C or SIGTERM in the parent.
        with context.Pool(workers, initializer=_quiet_worker) as pool:
            for task, tally in zip(todo, pool.imap(check_range, todo), strict=True):
                total.merge(tally)
                if progress:
                    progress(task[2] - task[1])
