"""The engine's speed-ups change nothing experta itself would conclude.

``engine/speedups.py`` replaces parts of experta (rule preparation, conflict-set
polling, reset, token copies, the agenda key, the run loop) for speed. These
tests hold it to the reference engine, the same rules on experta as released.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from spinepath import jsontext
from spinepath.case.loading import validate_case
from spinepath.case.model import CASE_KEYS, allowed_values
from spinepath.engine import runner, speedups
from spinepath.engine.compiler import compile_rules
from spinepath.engine.reference import ReferenceEngine
from spinepath.kb.model import KnowledgeBase
from spinepath.kb.teaching import load_teaching_cases
from spinepath.pathway.build import assess
from spinepath.pathway.model import Pathway
from tests.helpers import KNOWLEDGE


def _firings(engine: runner.PathwayEngine, case: Any) -> list[tuple[str, list[dict[str, Any]]]]:
    return [(f.rule.id, f.concluded) for f in engine.infer(case).firings]


def _random_cases(count: int) -> list[Any]:
    rng = random.Random(7)
    categorical = {
        key: values
        for key in CASE_KEYS
        if (values := allowed_values(key)) is not None and key != "red_flags"
    }
    cases = []
    while len(cases) < count:
        facts = {key: rng.choice(values) for key, values in categorical.items()}
        facts = {key: value for key, value in facts.items() if value is not None}
        if rng.random() < 0.2:
            facts["red_flags"] = ["cauda_equina"]
        try:
            cases.append(validate_case(facts))
        except Exception:  # contradictory draws are skipped, not repaired
            continue
    return cases


@pytest.fixture(scope="module")
def reference(kb: KnowledgeBase) -> ReferenceEngine:
    return ReferenceEngine(kb)


def test_rules_skipped_by_preparation_are_the_ones_experta_leaves_unchanged(
    kb: KnowledgeBase,
) -> None:
    compiled = compile_rules(kb, runner.fire)
    skipped = [rule for rule in compiled.values() if speedups.in_prepared_form(rule)]
    rewritten = [rule for rule in compiled.values() if not speedups.in_prepared_form(rule)]
    assert skipped and rewritten
    for rule in skipped:
        prepared = speedups.prepare_rule(rule)
        assert prepared == rule and repr(prepared) == repr(rule)
        assert [getattr(p, "__bind__", None) for p in prepared] == [
            getattr(p, "__bind__", None) for p in rule
        ]
    for rule in rewritten:
        assert speedups.prepare_rule(rule) != rule


def test_prepared_ruleset_is_experta_own(kb: KnowledgeBase) -> None:
    engine = runner.engine_for(kb)._engine
    ours = speedups.FastMatcher.prepare_ruleset(engine)
    upstream = speedups.ReteMatcher.prepare_ruleset(engine)
    assert ours == upstream
    assert sorted(map(repr, ours)) == sorted(map(repr, upstream))


def test_teaching_cases_fire_as_on_the_reference_engine(
    kb: KnowledgeBase, reference: ReferenceEngine
) -> None:
    engine = runner.engine_for(kb)
    for teaching in load_teaching_cases(KNOWLEDGE / "cases"):
        case = validate_case(teaching.case)
        assert _firings(engine, case) == _firings(reference, case), teaching.file


def test_random_cases_fire_as_on_the_reference_engine(
    kb: KnowledgeBase, reference: ReferenceEngine
) -> None:
    engine = runner.engine_for(kb)
    for case in _random_cases(300):
        assert _firings(engine, case) == _firings(reference, case), case


def test_pathways_built_without_validation_equal_validated_ones(kb: KnowledgeBase) -> None:
    # build_pathway uses model_construct; pydantic, validating the same data, must
    # accept it and give an equal pathway with the same JSON.
    for teaching in load_teaching_cases(KNOWLEDGE / "cases"):
        built = assess(validate_case(teaching.case), kb)
        validated = Pathway.model_validate(built.model_dump())
        assert validated == built, teaching.file
        assert validated.to_json() == built.to_json(), teaching.file


# --- JSON for programs ---------------------------------------------------------------


def test_pathway_json_is_byte_identical_to_the_standard_library(kb: KnowledgeBase) -> None:
    for teaching in load_teaching_cases(KNOWLEDGE / "cases"):
        pathway = assess(validate_case(teaching.case), kb)
        assert pathway.to_json() == jsontext.standard_dumps(pathway.model_dump(mode="json"))


def test_pathway_model_has_no_float_field() -> None:
    # Pathway.to_json skips the check for values orjson spells differently.
    assert '"type": "number"' not in json.dumps(Pathway.model_json_schema())


@pytest.mark.parametrize(
    "data",
    [
        {"b": 'a\x00\x01\x1b\x7f\u2028"\\\t\n\r\b\f é 😀', "a": [[], {}, None, True, 0, -1]},
        {"surrogate": "\ud800"},  # orjson refuses it; the standard library writes it
        {"float": 1e16, "nan": float("nan"), "big": 2**70},
        {1: "a key that is not a string"},
        {"z": {"y": [1, {"x": False}]}, "é": "ü"},
    ],
)
def test_json_text_matches_the_standard_library_on_awkward_values(data: Any) -> None:
    assert jsontext.dumps(data) == jsontext.standard_dumps(data)
