"""Enumerating the blocks of the reduced space, in parallel, and checking every case.

Engines cannot be pickled, so each worker process builds its own (once) and is
sent only ranges of case indexes; it returns a :class:`~spinepath.verify.checks.Tally`.

The run has two phases. The blocks inside the context are checked first; the
engine runs that check the block over exactly the context's dimensions also give
each combination's behaviour (:mod:`~spinepath.verify.context`), so planning the
rest costs no engine run of its own. The blocks over the quotient space are then
known and checked in the second phase.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from spinepath.case.model import Case
from spinepath.errors import EngineError
from spinepath.kb.loading import load_knowledge
from spinepath.kb.model import KnowledgeBase
from spinepath.verify.checks import CaseContext, Checker, Tally
from spinepath.verify.cones import Block, blocks
from spinepath.verify.context import Behaviours, context_keys, quotient
from spinepath.verify.space import Dimension, Space, ValueClass, build_space, is_default

CHUNK = 500

#: Called once per phase with what it checks and how many cases, before its progress.
Phase = Callable[[str, int], None]
Progress = Callable[[int], None]

#: The phases' labels (the second is also the only one when the plan is known already).
CONTEXT_PHASE = "planning: checking the context"
CASES_PHASE = "checking cases"
#: When no block enumerates the context as it is, its behaviours are found apart.
BEHAVIOURS_PHASE = "planning: finding the context's behaviours"


@dataclass
class Plan:
    """The space, its blocks, and how to turn a (block, index) pair into a case."""

    kb: KnowledgeBase
    #: The space of value classes; each block is enumerated over its own space (this one,
    #: or the one whose context is reduced to behaviours, see :mod:`~spinepath.verify.context`).
    space: Space
    blocks: list[Block]

    @classmethod
    def of(cls, kb: KnowledgeBase, progress: Progress | None = None) -> Plan:
        """The plan of ``kb`` (made once per knowledge base and process: finding the
        context's behaviours runs the engine some ten thousand times, reported to
        ``progress``; :func:`enumerate_all` finds them while checking instead)."""
        plan = _PLANS.get(id(kb))
        if plan is None or plan.kb is not kb:
            draft = Draft.of(kb)
            plan = _remember(draft.finish(quotient(kb, draft.space, draft.keys, progress)))
        return plan

    @classmethod
    def known(cls, kb: KnowledgeBase) -> Plan | None:
        """The plan of ``kb`` if this process has made it already."""
        plan = _PLANS.get(id(kb))
        return plan if plan is not None and plan.kb is kb else None

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
        return Enumeration(self.blocks[block_index]).cases(start, stop)


@dataclass
class Draft:
    """The plan before the context's behaviours are known: the space, the context's keys
    and the blocks inside the context (over the full space)."""

    kb: KnowledgeBase
    space: Space
    keys: frozenset[str]
    inside: list[Block]
    behaviours: Behaviours

    @classmethod
    def of(cls, kb: KnowledgeBase) -> Draft:
        space = build_space(kb)
        keys = context_keys(kb, space)
        inside = blocks(kb, space, lambda unit: unit.keys <= keys)
        return cls(kb, space, keys, inside, Behaviours(kb, space, keys))

    def context_block(self) -> int | None:
        """The index of the inside block whose cases are the context's combinations, in
        the same order (its dimensions are exactly the context's), if there is one."""
        wanted = frozenset(dim.name for dim in self.behaviours.context)
        return next((i for i, b in enumerate(self.inside) if b.dims == wanted), None)

    def finish(self, space: Space) -> Plan:
        """The plan, given the space whose context is reduced to behaviours."""
        keys = self.keys
        outside = blocks(self.kb, space, lambda unit: not unit.keys <= keys)
        return Plan(self.kb, self.space, sorted([*self.inside, *outside], key=lambda b: -b.size))


class Enumeration:
    """A block's cases by index, fast: what each class of each dimension adds to the case
    data, and the weight of the dimensions the block holds fixed, are worked out once
    (the same data, in the same key order, as :meth:`Space.case_data`)."""

    def __init__(self, block: Block) -> None:
        space = block.space
        dims = space.dims(block.dims)
        #: For each dimension of the space, in order: per class, the (key, value) items
        #: it sets (a dimension outside the block has only its default class).
        self.items: list[tuple[tuple[tuple[str, Any], ...], ...]] = []
        self.varied: list[int] = []  # positions in ``items`` of the block's dimensions
        for dim in space.dimensions:
            if dim.name in block.dims:
                self.varied.append(len(self.items))
                classes = dim.classes
            else:
                classes = (space.default_of(dim),)
            self.items.append(tuple(_items(dim, cls) for cls in classes))
        self.radix = [len(d.classes) for d in dims]
        self.raws = [[c.raw for c in d.classes] for d in dims]
        self.outside = math.prod(d.raw_valid for d in space.dimensions if d.name not in block.dims)

    def cases(self, start: int, stop: int) -> Iterator[tuple[int, dict[str, Any], int]]:
        """``(index, case data, weight)`` for the cases ``start:stop``."""
        radix, raws, varied = self.radix, self.raws, self.varied
        positions = range(len(radix) - 1, -1, -1)
        chosen = [0] * len(self.items)
        for index in range(start, stop):
            rest, weight = index, self.outside
            for position in positions:
                rest, digit = divmod(rest, radix[position])
                chosen[varied[position]] = digit
                weight *= raws[position][digit]
            data: dict[str, Any] = {"onset": "chronic"}
            for items, digit in zip(self.items, chosen, strict=True):
                for key, value in items[digit]:
                    data[key] = list(value) if isinstance(value, tuple) else value
            yield index, data, weight


def _items(dim: Dimension, cls: ValueClass) -> tuple[tuple[str, Any], ...]:
    """What one class of a dimension sets in a case's data (as :meth:`Space.case_data`:
    only values other than the default; a tuple becomes a list, per case)."""
    values = cls.representative if len(dim.keys) > 1 else (cls.representative,)
    return tuple(
        (key, value)
        for key, value in zip(dim.keys, values, strict=True)
        if not is_default(key, value)
    )


_PLANS: dict[int, Plan] = {}
_WORKER: dict[str, Any] = {}


def _remember(plan: Plan) -> Plan:
    _PLANS[id(plan.kb)] = plan
    return plan


def _prime(
    kb: KnowledgeBase,
    plan: Plan | None = None,
    block_list: list[Block] | None = None,
    behaviours: Behaviours | None = None,
) -> None:
    """Make ``kb`` the knowledge base this process checks, over ``block_list`` (the
    plan's blocks by default); forked workers inherit it. With ``behaviours``, the
    context block's checks also return each case's behaviour."""
    from spinepath.engine.runner import engine_for
    from spinepath.pathway.build import build_pathway

    _WORKER.clear()
    if block_list is None:
        block_list = (plan if plan is not None and plan.kb is kb else Plan.of(kb)).blocks
    engine = engine_for(kb)
    _WORKER.update(
        kb=kb,
        blocks=block_list,
        enumerations={},
        checker=Checker(kb),
        infer=lambda case: _inferred(engine, case),
        build=lambda case, inference: build_pathway(kb, inference),
        behaviours=behaviours,
    )


def _inferred(engine: Any, case: Case) -> Any:
    """The engine's inference on ``case``, or its error."""
    try:
        return engine.infer(case)
    except EngineError as error:
        return error


def _worker_state() -> dict[str, Any]:
    if "kb" not in _WORKER:
        _prime(load_knowledge())
    return _WORKER


def check_range(task: tuple[int, int, int]) -> Tally:
    """Check the cases ``start:stop`` of one block (runs in a worker)."""
    return _check(task)[0]


def _check(task: tuple[int, int, int]) -> tuple[Tally, list[str]]:
    """Check the cases ``start:stop`` of one block; for the context block (when the
    worker was primed with behaviours), also return each case's behaviour."""
    block_index, start, stop = task
    state = _worker_state()
    block = state["blocks"][block_index]
    enumeration = state["enumerations"].get(block_index)
    if enumeration is None:
        enumeration = state["enumerations"][block_index] = Enumeration(block)
    checker, infer, build = state["checker"], state["infer"], state["build"]
    behaviours = state["behaviours"]
    units = block.units
    tally = Tally()
    signatures: list[str] = []
    for index, data, weight in enumeration.cases(start, stop):
        case = Case.model_validate(data)
        ctx = CaseContext(case, data, weight, (block_index, index), tally)
        tally.cases += 1
        inference = infer(case)
        failed = isinstance(inference, EngineError)
        if behaviours is not None:
            signatures.append(
                behaviours.signature(case, inference if failed else inference.firings)
            )
        try:
            if failed:
                raise inference
            pathway = build(case, inference)
        except EngineError as error:
            ctx.violation(checker.invariants["one_current_stage"].title, error.problems[0])
            continue
        checker.check(ctx, pathway, units)
    return tally, signatures


def _quiet_worker() -> None:
    """A worker leaves Ctrl-C to the parent, which stops it with SIGTERM: one message, from
    the parent, instead of a traceback from every worker. The parent forks its workers
    with both signals blocked (:func:`_pool`), so none arrives before this is set."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)


_STOPS = {signal.SIGINT, signal.SIGTERM}


def tasks(
    block_list: list[Block], chunk: int = CHUNK, which: Iterable[int] | None = None
) -> list[tuple[int, int, int]]:
    """The (block, start, stop) ranges of the blocks ``which`` (all by default)."""
    chosen = range(len(block_list)) if which is None else which
    return [
        (b, start, min(start + chunk, block_list[b].size))
        for b in chosen
        for start in range(0, block_list[b].size, chunk)
    ]


def enumerate_all(
    kb_or_plan: KnowledgeBase | Plan,
    workers: int,
    progress: Progress | None = None,
    phase: Phase | None = None,
) -> tuple[Plan, Tally, float]:
    """Check every case of every block; return the plan, the merged tally and the wall
    time. Given a knowledge base whose plan is not made yet, the plan is finished on
    the way (see the module docstring); each phase is announced to ``phase``."""
    started = time.perf_counter()
    total = Tally()
    checked: list[Block] = []
    try:
        if isinstance(kb_or_plan, Plan):
            plan = kb_or_plan
        else:
            plan = Plan.known(kb_or_plan) or _plan_while_checking(
                kb_or_plan, total, checked, workers, progress, phase
            )
        todo = [i for i, b in enumerate(plan.blocks) if not any(b is c for c in checked)]
        if phase:
            phase(CASES_PHASE, sum(plan.blocks[i].size for i in todo))
        _prime(plan.kb, plan)
        _check_all(tasks(plan.blocks, which=todo), total, workers, progress)
    finally:
        # The primed knowledge base is this run's only: a later check_range in this
        # process (another verify, a test) must not inherit it.
        _WORKER.clear()
    return plan, total, time.perf_counter() - started


def _plan_while_checking(
    kb: KnowledgeBase,
    total: Tally,
    checked: list[Block],
    workers: int,
    progress: Progress | None,
    phase: Phase | None,
) -> Plan:
    """Check the blocks inside the context into ``total`` (and list them in ``checked``),
    reading the behaviours off the context block's engine runs; return the plan."""
    draft = Draft.of(kb)
    found = draft.context_block()
    if found is None:  # no block enumerates the context as it is: find them apart
        if phase:
            phase(BEHAVIOURS_PHASE, draft.behaviours.size)
        return _remember(draft.finish(quotient(kb, draft.space, draft.keys, progress)))
    if phase:
        phase(CONTEXT_PHASE, sum(b.size for b in draft.inside))
    first = Tally()
    _prime(kb, block_list=draft.inside, behaviours=draft.behaviours)
    signatures = _check_all(tasks(draft.inside), first, workers, progress, keep=found)
    plan = _remember(draft.finish(draft.behaviours.quotient(signatures)))
    # Examples are ordered by (block, index) in the final plan: number them so.
    first.renumber(
        {
            i: next(j for j, b in enumerate(plan.blocks) if b is block)
            for i, block in enumerate(draft.inside)
        }
    )
    total.merge(first)
    checked += draft.inside
    return plan


def _check_all(
    todo: list[tuple[int, int, int]],
    total: Tally,
    workers: int,
    progress: Progress | None,
    keep: int | None = None,
) -> list[str]:
    """Check every task into ``total``, in this process or in a pool of ``workers``;
    return the behaviours of the cases of block ``keep`` in order."""
    signatures: list[str] = []

    def merge(task: tuple[int, int, int], result: tuple[Tally, list[str]]) -> None:
        total.merge(result[0])
        if task[0] == keep:
            signatures.extend(result[1])
        if progress:
            progress(task[2] - task[1])

    if workers <= 1 or len(todo) <= 1:
        for task in todo:
            merge(task, _check(task))
    else:
        # Leaving the block terminates the pool, also on Ctrl-C or SIGTERM in the parent.
        with _pool(workers) as pool:
            for task, result in zip(todo, pool.imap(_check, todo), strict=True):
                merge(task, result)
    return signatures


@contextlib.contextmanager
def _pool(workers: int) -> Iterator[Any]:
    """A pool of ``workers`` forked with SIGINT and SIGTERM blocked, so that a signal that
    arrives while it starts is taken by the parent once every worker exists (and stops
    them all), and never by a worker before it ignores Ctrl-C."""
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
    try:
        pool = context.Pool(workers, initializer=_quiet_worker)
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        raise
    with pool:
        # Unblocked inside the block: a signal pending since the fork is raised here,
        # and leaving the block terminates every worker.
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        yield pool
