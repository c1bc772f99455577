"""The ``spinepath`` program's first module: the cyclic collector set for a command, then the CLI.

A start allocates some hundred thousand objects that live as long as the process
(pydantic's models, experta's RETE network, the knowledge base, click) and frees
few. At Python's default thresholds the cyclic collector examined the survivors
again and again: besides some 90 quick collections of the youngest objects,
about 8 collections of the middle generation, each over everything allocated so
far, together some 5-10 % of a cold start. Here the middle generation is
collected after 100 collections of the youngest instead of 10 (every 70,000
allocations instead of 7,000), which halves the collector's time in a start.
Everything not in a cycle is still freed at once by reference counting, and
cyclic garbage waits a bounded while longer, so long-running commands (``serve``,
``verify``, ``batch``) keep collecting.

Only the program does this (the ``spinepath`` command and ``python -m
spinepath`` start here): importing spinepath as a library leaves the collector
as the application set it.
"""

import gc

#: Collections of the youngest generation between two of the middle one (Python's: 10).
MIDDLE_GENERATION_EVERY = 100

_young, _, _old = gc.get_threshold()
gc.set_threshold(_young, MIDDLE_GENERATION_EVERY, _old)

from spinepath.cli import entry_point  # noqa: E402 - after the collector is set

__all__ = ["entry_point"]
