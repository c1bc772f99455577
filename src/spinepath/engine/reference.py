"""The reference engine: the compiled rules on experta exactly as released.

:mod:`spinepath.engine.runner` replaces parts of experta (rule preparation,
conflict-set polling, token copies, the agenda key, the run loop) for speed.
This engine uses none of that: experta's own ``KnowledgeEngine``, RETE matcher
and ``DepthStrategy``. The tests hold the fast engine to it, firing by firing,
and the benchmark measures against it.
"""

from __future__ import annotations

from spinepath.engine import runner
from spinepath.engine.compiler import compile_rules
from spinepath.kb.model import KnowledgeBase


class ReferenceEngine(runner.PathwayEngine):
    """A :class:`~spinepath.engine.runner.PathwayEngine` on unmodified experta."""

    def __init__(self, kb: KnowledgeBase) -> None:
        attributes = compile_rules(kb, runner.fire)
        # Each compiled rule has its own salience, so DepthStrategy's tie-break
        # (recency) never decides and the firing order is the fast engine's.
        attributes["__strategy__"] = runner.DepthStrategy
        engine_class = type(
            "ReferenceKnowledgeEngine", (runner.experta.KnowledgeEngine,), attributes
        )
        self._setup(kb, engine_class())
