"""The ``spinepath`` program's first module: the cyclic collector set for a command, then the CLI.

A start allocates some hundred thousand objects that live as long as the process
(pydantic's models, experta's RETE network, the knowledge base, click) and frees
few, and nearly none of them in cycles. At Python's default thresholds the
cyclic collector examined them all the same: some 90 collections of the
youngest generation (every 700 new objects), each over the objects made since
the last, and about 8 collections of the middle generation, each over
everything allocated so far. Here:

- **No collection during a start.** The youngest generation is first collected
  after :data:`START_YOUNG` new objects (a cold ``assess`` makes about 66,000),
  so a command that ends soon after starting is never interrupted by the
  collector; that was about 3 % of a cold ``assess`` (25 million of its 840
  million instructions). The first collection, in a command that goes on
  allocating, puts Python's own threshold for the youngest generation back.
- **The middle generation** is collected after 100 collections of the youngest
  instead of 10 (every 70,000 allocations instead of 7,000).

Everything not in a cycle is still freed at once by reference counting, and
cyclic garbage waits a bounded while longer (at most one first stretch of
:data:`START_YOUNG` objects), so long-running commands (``serve``, ``verify``,
``batch``) keep collecting.

Only the program does this (the ``spinepath`` command and ``python -m
spinepath`` start here): importing spinepath as a library leaves the collector
as the application set it.
"""

import gc
from typing import Any

#: Collections of the youngest generation between two of the middle one (Python's: 10).
MIDDLE_GENERATION_EVERY = 100
#: New objects before the first collection: three times what a cold ``assess`` makes.
START_YOUNG = 200_000

_young, _, _old = gc.get_threshold()
gc.set_threshold(START_YOUNG, MIDDLE_GENERATION_EVERY, _old)


def _after_first_collection(phase: str, info: dict[str, Any]) -> None:
    """A ``gc.callbacks`` entry: once the first collection is done, the youngest
    generation is collected at Python's own threshold again."""
    if phase == "stop" and gc.get_threshold()[0] == START_YOUNG:
        gc.set_threshold(_young, MIDDLE_GENERATION_EVERY, _old)


gc.callbacks.append(_after_first_collection)

from spinepath.cli import entry_point  # noqa: E402 - after the collector is set

__all__ = ["entry_point"]
