"""The pathway builder's shared models and the JSON text kept for them.

The builder makes options, cautions and stages once per distinct content and
shares them between pathways; ``Pathway.to_json`` writes shared alerts,
stages and cautions from text kept per indentation level. Neither may change a
byte: every pathway must equal the one built with nothing shared, and its JSON
must be the documented format written by the standard library.
"""

from __future__ import annotations

import json
import random
import typing
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from spinepath import jsontext
from spinepath.case.loading import validate_case
from spinepath.case.model import CASE_KEYS, Case, RedFlag, allowed_values, number_bounds
from spinepath.engine.runner import engine_for
from spinepath.errors import SpinepathError
from spinepath.kb.model import KnowledgeBase
from spinepath.kb.teaching import load_teaching_cases
from spinepath.pathway import build
from spinepath.pathway.model import Pathway
from tests.helpers import KNOWLEDGE
from tests.test_properties import case_dicts

RED_FLAGS: tuple[str, ...] = typing.get_args(RedFlag)


def _reference(pathway: Pathway) -> str:
    """The documented format, written by the standard library from pydantic's dump."""
    return jsontext.standard_dumps(pathway.model_dump(mode="json"))


def _fresh(kb: KnowledgeBase, case: Case) -> Pathway:
    """The pathway of ``case`` built with nothing shared from earlier cases."""
    build._view(kb).shared.clear()
    return build.assess(case, kb)


def _teaching_cases() -> list[Case]:
    return [validate_case(t.case) for t in load_teaching_cases(KNOWLEDGE / "cases")]


def _random_cases(count: int, seed: int) -> list[Case]:
    """Seeded random valid cases: any value of each fact, stated or not (contradictory
    draws are skipped)."""
    rng = random.Random(seed)
    choices: dict[str, tuple[object, ...]] = {
        key: (None, *values) if None not in values else values
        for key in CASE_KEYS
        if (values := allowed_values(key)) is not None
    }
    for key in ("symptom_months", "pain_score", "age"):
        low, high = number_bounds(key)
        choices[key] = (None, low, high, *(rng.randint(low, high) for _ in range(6)))
    cases: list[Case] = []
    while len(cases) < count:
        facts = {key: rng.choice(values) for key, values in choices.items()}
        facts = {key: value for key, value in facts.items() if value is not None}
        facts.setdefault("onset", "chronic")
        if rng.random() < 0.7:
            facts["red_flags"] = rng.sample(RED_FLAGS, rng.choice((0, 0, 0, 1, 2)))
        try:
            cases.append(validate_case(facts))
        except SpinepathError:
            continue
    return cases


def test_teaching_and_random_cases_write_the_documented_bytes(kb: KnowledgeBase) -> None:
    cases = _teaching_cases() + _random_cases(400, seed=3)
    for _ in range(2):  # the second time, every model is shared and its text kept
        for case in cases:
            pathway = build.assess(case, kb)
            assert pathway.to_json() == _reference(pathway), case


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case_dicts())
def test_any_case_writes_the_documented_bytes(data: dict[str, Any]) -> None:
    kb = build.load_knowledge()
    pathway = build.assess(validate_case(data), kb)
    assert pathway.to_json() == _reference(pathway)


def test_shared_models_give_the_pathway_built_afresh(kb: KnowledgeBase) -> None:
    cases = _teaching_cases() + _random_cases(150, seed=4)
    for case in cases:
        build.assess(case, kb)  # fills the shared models
    for case in cases:
        shared = build.assess(case, kb)
        fresh = _fresh(kb, case)
        assert shared == fresh, case
        assert shared.to_json() == fresh.to_json() == _reference(fresh), case
        assert shared.model_dump() == fresh.model_dump()


def test_equal_options_and_stages_are_one_object(kb: KnowledgeBase) -> None:
    case = _teaching_cases()[0]
    first, second = build.assess(case, kb), build.assess(case, kb)
    assert first is not second and first.trace is not second.trace
    assert [s is t for s, t in zip(first.stages, second.stages, strict=True)] == [True] * len(
        first.stages
    )


def test_shared_models_are_let_go_past_the_limit(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build, "SHARED_LIMIT", 20)
    shared = build._view(kb).shared
    shared.clear()
    kept_before = len(jsontext._SHARED)
    for case in _random_cases(120, seed=5):
        pathway = build.assess(case, kb)
        assert len(shared) <= 20 + 40  # one pathway adds a few dozen at most
        assert pathway.to_json() == _reference(pathway)
    assert len(jsontext._SHARED) <= kept_before + 60


def test_a_copied_stage_is_written_from_its_own_fields(kb: KnowledgeBase) -> None:
    # model_copy makes a model that is not shared: its text is never the kept one.
    pathway = build.assess(_teaching_cases()[0], kb)
    pathway.to_json()  # keeps the text of its stages
    stages = [stage.model_copy(update={"options": []}) for stage in pathway.stages]
    edited = pathway.model_copy(update={"stages": stages})
    assert edited.to_json() == _reference(edited)
    assert '"options": []' in edited.to_json()


@pytest.mark.parametrize("level", [0, 1, 2, 5])
def test_kept_text_at_any_level_is_what_the_encoder_writes_there(
    kb: KnowledgeBase, level: int
) -> None:
    import orjson

    stage = build.assess(_teaching_cases()[0], kb).stages[0]
    kept = jsontext._items([stage], level)[0]
    assert isinstance(kept, orjson.Fragment)
    document: Any = stage.model_dump(mode="json")
    inner: Any = kept
    for _ in range(level):  # a list in a list...: the stage ``level`` deep
        document, inner = [document], [inner]
    written = orjson.dumps(inner, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    assert written.decode() == jsontext.standard_dumps(document)


def test_a_shared_model_orjson_refuses_falls_back_to_the_standard_library(
    kb: KnowledgeBase,
) -> None:
    pathway = build.assess(_teaching_cases()[0], kb)
    stage = pathway.stages[0].model_copy(update={"name": "lone \ud800 surrogate"})
    jsontext.share(stage)
    try:
        odd = pathway.model_copy(update={"stages": [stage, *pathway.stages[1:]]})
        assert odd.to_json() == _reference(odd)
    finally:
        jsontext.unshare([stage])


def test_engine_errors_still_name_the_current_stages(kb: KnowledgeBase) -> None:
    inference = engine_for(kb).infer(_teaching_cases()[0])
    inference.firings = [f for f in inference.firings if not f.rule.then.current_stage]
    with pytest.raises(build.EngineError, match="0 current stages"):
        build.build_pathway(kb, inference)


def _reference_line(pathway: Pathway, where: str) -> str:
    """``batch --full``'s line as it was always written: pydantic's dump, then json."""
    data = {"record": where, **pathway.model_dump(mode="json")}
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def test_batch_lines_are_what_json_writes_from_the_dump(kb: KnowledgeBase) -> None:
    cases = _teaching_cases() + _random_cases(150, seed=6)
    cases.append(validate_case({"onset": "chronic", "label": '"quoted" é\n\x00 \u2028'}))
    for _ in range(2):  # the second time, from the kept one-line text
        for number, case in enumerate(cases, start=1):
            pathway = build.assess(case, kb)
            where = f"line {number}"
            written = pathway.to_json_line(record=where)
            assert written == _reference_line(pathway, where), case


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case_dicts())
def test_any_case_writes_the_batch_line_json_writes(data: dict[str, Any]) -> None:
    pathway = build.assess(validate_case(data), build.load_knowledge())
    written = pathway.to_json_line(record="x")
    assert written == _reference_line(pathway, "x")
