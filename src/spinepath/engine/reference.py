"""The reference engine: the compiled rules on experta exactly as released.

:mod:`spinepath.engine.speedups` replaces parts of experta (rule preparation,
conflict-set polling, reset, token copies, the agenda key, the run loop) for
speed. This engine uses none of that: experta's own ``KnowledgeEngine``, RETE
matcher and ``DepthStrategy``. The tests hold the fast engine to it, firing by
firing, and the benchmark measures against it.
"""

from __future__ import annotations

from spinepath.engine.compat import experta_module
from spinepath.engine.compiler import compile_rules
from spinepath.engine.runner import PathwayEngine, fire
from spinepath.kb.model import KnowledgeBase

experta = experta_module()
from experta.strategies import DepthStrategy  # noqa: E402 - after the compatibility shim


class ReferenceEngine(PathwayEngine):
    """A :class:`~spinepath.engine.runner.PathwayEngine` on unmodified experta."""

    def __init__(self, kb: KnowledgeBase) -> None:
        attributes = compile_rules(kb, fire)
        # Each compiled rule has its own salience, so DepthStrategy's tie-break
        # (recency) never decides and the firing order is the fast engine's.
        attributes["__strategy__"] = DepthStrategy
        engine_class = type("ReferenceKnowledgeEngine", (experta.KnowledgeEngine,), attributes)
        self._setup(kb, engine_class())
