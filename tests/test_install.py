"""experta imports and runs on this Python, through spinepath's compatibility module."""

from __future__ import annotations

import importlib.metadata

from spinepath.engine.compat import experta_module


def test_experta_runs_a_tiny_engine() -> None:
    experta = experta_module()

    class Greeting(experta.Fact):
        pass

    fired: list[str] = []

    class Engine(experta.KnowledgeEngine):
        @experta.Rule(Greeting(word=experta.L("hello")))
        def answer(self) -> None:
            fired.append("answered")

    engine = Engine()
    engine.reset()
    engine.declare(Greeting(word="hello"))
    engine.run()
    assert fired == ["answered"]


def test_pinned_experta_release_is_the_one_installed() -> None:
    # The compatibility module is written for experta 1.9.4 and its frozendict 1.2 pin.
    assert importlib.metadata.version("experta") == "1.9.4"
    assert importlib.metadata.version("frozendict") == "1.2"
