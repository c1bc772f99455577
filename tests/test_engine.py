"""The engine's speed-ups change nothing experta itself would conclude.

``engine/speedups.py`` replaces parts of experta (rule preparation, conflict-set
polling, reset, token copies, the agenda key, the run loop) for speed. These
tests hold it to the reference engine, the same rules on experta as released.
"""

from __future__ import annotations

import bisect
import json
import random
from typing import Any

import pytest
from pydantic import BaseModel, computed_field, field_serializer

from spinepath import jsontext
from spinepath.case.loading import validate_case
from spinepath.case.model import CASE_KEYS, allowed_values
from spinepath.engine import runner, speedups
from spinepath.engine.compiler import CaseFact, Established, compile_rules
from spinepath.engine.reference import ReferenceEngine
from spinepath.kb.model import KnowledgeBase
from spinepath.kb.teaching import load_teaching_cases
from spinepath.pathway.build import assess, construct
from spinepath.pathway.model import Pathway
from tests.helpers import KNOWLEDGE


def _firings(
    engine: runner.PathwayEngine, case: Any
) -> list[tuple[str, dict[str, Any], list[dict[str, Any]]]]:
    return [(f.rule.id, f.matched, f.concluded) for f in engine.infer(case).firings]


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


def _negated(rule: Any) -> bool:
    """Whether a rule has a ``NOT`` pattern (an intermediate not established, or no
    option offered in a stage)."""
    return any(
        c.kind == "no_option_in" or (c.kind == "intermediate" and not c.values[0])
        for c in rule.when
    )


def test_random_cases_fire_as_on_the_reference_engine(
    kb: KnowledgeBase, reference: ReferenceEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = runner.engine_for(kb)
    # Count the activations a NOT pattern withdraws before they fire (an establishing
    # rule firing first), so that the cases are known to exercise negation both ways.
    strategy = engine._engine.strategy
    update = strategy._update_agenda
    withdrawn = []

    def counting(agenda: Any, added: Any, removed: Any) -> None:
        withdrawn.extend(removed)
        update(agenda, added, removed)

    monkeypatch.setattr(strategy, "_update_agenda", counting)
    negated_fired = 0
    for case in _random_cases(600):
        ours = _firings(engine, case)
        assert ours == _firings(reference, case), case
        negated_fired += sum(_negated(kb.rule(rule_id)) for rule_id, _, _ in ours)
    assert withdrawn and negated_fired


def test_firings_are_the_records_the_dataclass_makes(kb: KnowledgeBase) -> None:
    # runner.fire sets a Firing's fields at once rather than through its __init__.
    for teaching in load_teaching_cases(KNOWLEDGE / "cases"):
        for firing in runner.engine_for(kb).infer(validate_case(teaching.case)).firings:
            made = runner.Firing(firing.rule, firing.matched, firing.concluded)
            assert firing == made and vars(firing) == vars(made)
            assert list(vars(firing)) == list(vars(made))


def test_reset_leaves_the_state_experta_reset_leaves(kb: KnowledgeBase) -> None:
    # Later resets restore the state the first one left, without sending the
    # InitialFact through the network again: the same facts, ids and counts, an
    # empty agenda and empty memories.
    engine = runner.PathwayEngine(kb)._engine
    assert engine._restorable is None
    engine.reset()
    assert engine._restorable is True
    first = (list(engine.facts.items()), dict(engine.facts.reference_counter))
    engine.firings = []
    engine.declare(
        runner.case_fact(kb, validate_case(load_teaching_cases(KNOWLEDGE / "cases")[0].case))
    )
    engine.run()
    assert engine.firings and engine.matcher.holds_anything()
    engine.reset()
    assert (list(engine.facts.items()), dict(engine.facts.reference_counter)) == first
    assert engine.facts.last_index == 1 and not engine.facts.added and not engine.facts.removed
    assert not engine.agenda.activations and not engine.matcher.holds_anything()
    for node in speedups._all_nodes(engine.matcher.root_node):
        for memory in ("memory", "left_memory", "right_memory", "added", "removed"):
            assert not getattr(node, memory, None)
    # experta's own reset leaves the same facts.
    upstream = ReferenceEngine(kb)._engine
    upstream.reset()
    assert list(upstream.facts.items()) == first[0]
    assert dict(upstream.facts.reference_counter) == first[1]


def test_declared_facts_keep_experta_identity_and_hash(kb: KnowledgeBase) -> None:
    # FastFactList computes a fact's identity and hash itself; experta's FactList and
    # Fact.__hash__ must agree.
    ours, theirs = speedups.FastFactList(), speedups.FactList()
    case = runner.case_fact(kb, validate_case(load_teaching_cases(KNOWLEDGE / "cases")[0].case))
    facts = [case, Established(name="a"), Established(name="a"), Established(name="b")]
    for fact in facts:
        mine, other = fact.copy(), fact.copy()
        assert (ours.declare(mine) is None) == (theirs.declare(other) is None)
        if mine.__factid__ is not None:
            assert mine._hash == hash(other)
    assert dict(ours.reference_counter) == dict(theirs.reference_counter)
    assert list(ours.items()) == list(theirs.items())


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ({"case": 1}, {}),
        ({"case": 1}, {"__pattern_1__": 2}),
        ({"case": 1}, {"case": 1}),
        ({"case": 1}, {"case": 2}),
        ({"case": 1}, {(False, "case"): 1}),
        ({"case": 1}, {(False, "case"): 2}),
        ({"a": 1, "b": 2}, {"b": 2, (False, "a"): 3}),
        ({}, {"case": 1}),
        ({(False, "a"): 1}, {}),  # experta raises: a negated value before its capture
    ],
)
def test_same_context_test_is_experta_own(left: dict[Any, Any], right: dict[Any, Any]) -> None:
    node = speedups.OrdinaryMatchNode(speedups.SameContextCheck())
    test = speedups._context_test(node)
    try:
        expected: Any = node.matcher(left, right)
    except RuntimeError as error:
        expected = error
    for mine_left in (left, frozenset(left.items())):
        for mine_right in (right, frozenset(right.items())):
            if isinstance(expected, RuntimeError):
                with pytest.raises(RuntimeError, match=str(expected)):
                    test(mine_left, mine_right)
            else:
                assert test(mine_left, mine_right) == expected


def test_agenda_orders_as_experta_depth_strategy_orders() -> None:
    # RuleOrderStrategy bisects on the keys directly; experta's bisects through
    # Activation.__lt__, which compares the same keys.
    rng = random.Random(3)
    ours, theirs = speedups.Agenda(), speedups.Agenda()
    strategy = speedups.RuleOrderStrategy()
    rules = [_SalienceRule(rng.randrange(50)) for _ in range(40)]
    for _ in range(30):
        added = [
            speedups.Activation(rng.choice(rules), [_fact(rng.randrange(9)) for _ in range(2)])
            for _ in range(rng.randrange(4))
        ]
        removed = rng.sample(ours.activations, min(len(ours.activations), rng.randrange(3)))
        strategy._update_agenda(ours, added, removed)
        for act in removed:
            theirs.activations.remove(act)
        for act in added:
            act.key = strategy.get_key(act)
            bisect.insort(theirs.activations, act)
        assert [a.key for a in ours.activations] == [a.key for a in theirs.activations]


def _fact(factid: int) -> Any:
    fact = speedups.experta.Fact(n=factid)
    fact.__factid__ = factid
    return fact


class _SalienceRule:
    """A stand-in rule: the agenda reads only its salience."""

    def __init__(self, salience: int) -> None:
        self.salience = salience


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


# --- what the speed-ups build directly equals what the libraries build -------------


def _models(value: Any) -> list[Any]:
    """Every pydantic model inside ``value`` (a model, or lists and dicts of them)."""
    found = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, BaseModel):
            found.append(item)
            stack.extend(item.__dict__.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return found


def test_pathway_models_built_directly_equal_model_construct(kb: KnowledgeBase) -> None:
    # build.construct sets up the instance as model_construct would, given every field.
    built = 0
    for teaching in load_teaching_cases(KNOWLEDGE / "cases"):
        for model in _models(assess(validate_case(teaching.case), kb)):
            if type(model).__module__ != "spinepath.pathway.model":
                continue
            kind = type(model)
            fields = kind.__pydantic_fields__
            assert all(f.alias is None and f.validation_alias is None for f in fields.values())
            assert not kind.__private_attributes__ and not kind.__pydantic_post_init__
            # Every model the builder makes holds all its fields, in declaration order.
            assert list(model.__dict__) == list(fields), kind
            ours = construct(kind, dict(model.__dict__))
            theirs = kind.model_construct(**dict(model.__dict__))
            assert list(ours.__dict__.items()) == list(theirs.__dict__.items())
            assert ours.model_fields_set == theirs.model_fields_set
            assert ours.__pydantic_extra__ == theirs.__pydantic_extra__
            assert ours.__pydantic_private__ == theirs.__pydantic_private__
            built += 1
    assert built > 1000


def test_facts_built_directly_equal_experta_facts(kb: KnowledgeBase) -> None:
    # speedups.trusted_fact skips Fact.__setitem__; the fact must be the one experta makes.
    for teaching in load_teaching_cases(KNOWLEDGE / "cases"):
        fact = runner.case_fact(kb, validate_case(teaching.case))
        values = dict(fact)
        made = CaseFact(**values)
        assert type(fact) is CaseFact
        assert list(fact.items()) == list(made.items())
        assert fact == made and hash(fact) == hash(made)
        assert fact._Fact__defaults == made._Fact__defaults
    odd = {"name": ["a", {"b": 1}], "other": {1, 2}}  # values freeze() must change
    assert list(speedups.trusted_fact(Established, odd).items()) == list(Established(**odd).items())


class _Inner(BaseModel):
    text: str
    items: tuple[str, ...] = ()


class _Outer(BaseModel):
    name: str
    inner: list[_Inner]
    extra: dict[str, Any] = {}


class _Shouting(BaseModel):
    word: str

    @field_serializer("word")
    def _loud(self, word: str) -> str:
        return word.upper()


class _Computed(BaseModel):
    word: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def length(self) -> int:
        return len(self.word)


@pytest.mark.parametrize(
    "model",
    [
        _Outer(name="é\x00\u2028", inner=[_Inner(text='"\\', items=("a", "b"))], extra={"k": [1]}),
        _Outer(name="\ud800", inner=[]),  # orjson refuses it: pydantic and json write it
        _Outer(name="n", inner=[], extra={"keys": {1: "not a string"}}),
        _Outer(name="n", inner=[_Inner(text="t")], extra={"set": {"a"}}),  # orjson cannot
        _Outer(name="n", inner=[], extra={"model": _Shouting(word="hi")}),
        _Outer(name="n", inner=[], extra={"model": _Computed(word="hi")}),
    ],
)
def test_models_written_directly_match_their_json_mode_dump(model: BaseModel) -> None:
    expected = jsontext.standard_dumps(model.model_dump(mode="json"))
    assert jsontext.dumps_model(model) == expected


def test_joins_keep_and_withdraw_tokens_as_experta_joins_do() -> None:
    # speedups._join keeps each token's own facts and context in its memories, not
    # to_info(); joining, and withdrawing a token, must go as on experta's node.
    def fact(name: str) -> Any:
        made = speedups.experta.Fact(name=name)
        made.__factid__ = len(name)
        return made

    case, other, third = fact("c"), fact("oo"), fact("ttt")
    steps = [
        ("left", speedups._VALID, {case}, {"case": case}),
        ("right", speedups._VALID, {other}, {"__pattern_1__": other}),
        ("right", speedups._VALID, {third}, {"__pattern_1__": third}),
        ("left", speedups._VALID, {other}, {"case": other}),
        ("right", speedups._INVALID, {other}, {"__pattern_1__": other}),
        ("left", speedups._INVALID, {case}, {"case": case}),
        ("right", speedups._VALID, {case}, {"case": other}),  # a context that clashes
        ("left", speedups._INVALID, {other}, {"case": other}),
    ]
    made: dict[str, list[Any]] = {"ours": [], "theirs": []}
    theirs = speedups.OrdinaryMatchNode(speedups.SameContextCheck())
    ours = speedups.OrdinaryMatchNode(speedups.SameContextCheck())
    for node, name in ((theirs, "theirs"), (ours, "ours")):
        sink = speedups.ConflictSetNode(speedups.experta.Rule())
        sink._activate = lambda token, name=name: made[name].append(
            (token.tag, frozenset(token.data), frozenset(token.context.items()))
        )
        node.add_child(sink, sink._activate)
    left, right = speedups._join(ours, {})
    ports = {"left": left, "right": right}
    for port, tag, data, context in steps:
        token = speedups._token(tag, set(data), dict(context))
        getattr(theirs, f"activate_{port}")(speedups.Token(tag, set(data), dict(context)))
        ports[port](token)
        assert made["ours"] == made["theirs"]
        for memory in ("left_memory", "right_memory"):
            assert [
                (frozenset(data), frozenset(context.items()))
                for data, context in getattr(ours, memory)
            ] == list(getattr(theirs, memory))
    assert made["ours"]
