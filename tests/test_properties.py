"""Property-based tests: invariants of the pathway over random valid cases.

The cases are drawn from the case vocabulary documented in ``docs/case-format.md``,
written out here rather than read from the case model, so that a drift between
the model and its documentation shows up (``test_vocabulary_matches_the_case_model``).
Every key is optional except ``onset``; the contradictions the model rejects are never generated.

Each monotone property states, in its docstring, the passage of the sources
(or the reading rule of ``knowledge/README.md``) that justifies it.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from spinepath.case.loading import validate_case
from spinepath.case.model import allowed_values
from spinepath.kb.loading import load_knowledge
from spinepath.pathway.build import assess
from spinepath.pathway.model import Pathway
from spinepath.verify.invariants import (
    CAUTION_CHECKS,
    OPTION_CHECKS,
    PATHWAY_CHECKS,
    Seen,
    unmet,
    violations,
)
from tests.contract import (
    DISCECTOMY_OUTCOMES,
    EMERGENCY_FLAGS,
    ENUM_KEYS,
    ONSETS,
    RED_FLAGS,
    REFERRALS,
    STAGE_ORDER,
    SURGICAL_OPTIONS,
    TRI_STATE,
    VERDICTS,
)
from tests.helpers import DISC_REPLACEMENT_FINDINGS, SURGICAL_GATES

# --- the contract's vocabulary (tests/contract.py) and the invariants ------------------------

KB = load_knowledge()
#: The invariants of knowledge/invariants.yaml the property tests check.
CHECKED = {i.id: i for i in KB.invariants.values() if "properties" in i.checked_by}
GATES = KB.invariants["surgery_behind_its_gates"]
#: The onsets under which cortisone is never recommended, as the invariant says.
CHRONIC_ONSETS = tuple(KB.invariants["no_cortisone_when_chronic"].when[0].values)
#: Keys that take the value "unknown"; the others are "not stated" when absent.
UNKNOWABLE = {key for key, values in ENUM_KEYS.items() if "unknown" in values} | {
    "large_lamina_removal",
    "prior_discectomy",
}
#: Keys that have no "unknown" value: leaving them out means "not stated". Every key of
#: the case but onset (required) and label (read by no rule) is here or in UNKNOWABLE.
STATABLE = (
    "conservative_care",
    "non_invasive_therapy",
    "daily_life",
    "discectomy_outcome",
    "red_flags",
    "symptom_months",
    "pain_score",
    "age",
)
DAILY_LIFE_WORST_FIRST = ("cannot_live_normally", "limited", "normal")
#: The gates of surgery (``surgery_behind_its_gates``), all open.
GATES_OPEN: dict[str, object] = {k: SURGICAL_GATES[k] for k in GATES.reads()}

ABSENT = object()  # a key left out of the case

#: ``SPINEPATH_PROPERTY_EXAMPLES=5000`` runs a deeper search than CI's default.
PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("SPINEPATH_PROPERTY_EXAMPLES", "200")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# --- strategies ------------------------------------------------------------------------------


def _maybe(values: tuple[object, ...]) -> st.SearchStrategy[object]:
    """One of ``values``, or the key left out."""
    return st.one_of(st.just(ABSENT), st.sampled_from(values))


@st.composite
def case_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """A valid case as a plain mapping, as a case file would give it.

    Three steps: every key drawn freely (or left out); then, for half the cases, every
    gate of surgery opened (conservative care and non-invasive therapy failed, daily life
    impossible), so that the surgical stage, where verdicts are shown as they are, is
    reached often; then up to two rules of the knowledge base picked and their conditions
    made to hold, so that the narrow conjunctions the rules test are met far more often
    than chance would meet them. Contradictions are repaired last.
    """
    drawn: dict[str, object] = {"onset": draw(st.sampled_from(ONSETS))}
    prior = draw(_maybe(TRI_STATE))
    drawn["prior_discectomy"] = prior
    if prior is True:
        drawn["discectomy_outcome"] = draw(_maybe(DISCECTOMY_OUTCOMES))
        drawn["large_lamina_removal"] = draw(_maybe(TRI_STATE))
    for key, values in ENUM_KEYS.items():
        drawn[key] = draw(_maybe(values))
    drawn["red_flags"] = draw(
        st.one_of(
            st.just(ABSENT),
            st.just([]),
            st.lists(st.sampled_from(RED_FLAGS), min_size=1, unique=True),
        )
    )
    drawn["symptom_months"] = draw(st.one_of(st.just(ABSENT), st.integers(0, 600)))
    drawn["age"] = draw(st.one_of(st.just(ABSENT), st.integers(12, 120)))
    drawn["pain_score"] = draw(st.one_of(st.just(ABSENT), st.integers(0, 10)))
    drawn["label"] = draw(st.one_of(st.just(ABSENT), st.text(max_size=200)))
    if draw(st.booleans()):
        drawn.update(GATES_OPEN)
    data = {key: value for key, value in drawn.items() if value is not ABSENT}
    rules = load_knowledge().rules
    for rule in draw(st.lists(st.sampled_from(rules), max_size=2), label="targeted rules"):
        _satisfy(rule, data, draw, depth=0)
    return _repaired(data)


def _satisfy(rule: Any, drawn: dict[str, Any], draw: st.DrawFn, depth: int) -> None:
    """Make ``rule``'s conditions hold in ``drawn``, where one rule's conditions can.

    An intermediate that must be established is met through one of the rules that
    establish it; "not established", and "no option in a stage", are left to chance.
    """
    for condition in rule.when:
        if condition.kind == "case":
            value = draw(st.sampled_from(condition.values))
            if value is None:
                drawn.pop(condition.subject, None)
            else:
                drawn[condition.subject] = value
        elif condition.kind == "red_flags":
            drawn["red_flags"] = (
                draw(st.lists(st.sampled_from(RED_FLAGS), min_size=1, unique=True))
                if condition.values[0] == "any"
                else []
            )
        elif condition.kind == "intermediate" and condition.values[0] and depth < 4:
            establishers = [
                other
                for other in load_knowledge().rules
                if condition.subject in other.then.establish
            ]
            _satisfy(draw(st.sampled_from(establishers)), drawn, draw, depth + 1)


def _repaired(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` without the contradictions the case model rejects.

    Without ``prior_discectomy: true`` its outcome and lamina removal are left out; a
    reherniation makes ``herniation: false`` into ``true``; an acute onset keeps the pain
    to three months at most; failed conservative care needs a month of pain at least.
    """
    months = data.get("symptom_months")
    if isinstance(months, int):
        if data.get("onset") == "acute" and months > 3:
            data["symptom_months"] = months % 4
        if data.get("conservative_care") == "failed" and data["symptom_months"] == 0:
            data["symptom_months"] = 1
    if data.get("prior_discectomy") is not True:
        data.pop("discectomy_outcome", None)
        data.pop("large_lamina_removal", None)
    if data.get("discectomy_outcome") == "reherniation" and data.get("herniation") is False:
        data["herniation"] = True
    return data


def run(data: dict[str, Any]) -> Pathway:
    """Validate ``data`` as a case and assess it."""
    return assess(validate_case(data))


def verdicts(pathway: Pathway, field: str = "verdict") -> dict[str, str]:
    """Every option's shown verdict (or another verdict ``field``), by option id."""
    return {
        option.id: getattr(option, field) for stage in pathway.stages for option in stage.options
    }


def stage_rank(stage_id: str) -> int:
    """How far along the ladder a stage is (referral first)."""
    return STAGE_ORDER.index(stage_id)


def has_referral(pathway: Pathway) -> bool:
    """Whether the pathway carries a recommended referral (emergency or urgent)."""
    return any(
        (option := pathway.option(referral)) is not None and option.verdict == "recommended"
        for referral in REFERRALS
    )


# --- robustness and the output contract ------------------------------------------------------


def test_vocabulary_matches_the_case_model() -> None:
    """The vocabulary written here from the contract is the case model's vocabulary."""
    for key, values in ENUM_KEYS.items():
        model_values = {v for v in allowed_values(key) or () if v is not None}
        assert model_values == set(values), key
    assert set(allowed_values("onset") or ()) == set(ONSETS)
    assert {v for v in allowed_values("discectomy_outcome") or () if v is not None} == set(
        DISCECTOMY_OUTCOMES
    )


@PROPERTY_SETTINGS
@given(case_dicts())
def test_never_crashes_and_output_follows_the_contract(data: dict[str, Any]) -> None:
    """Any valid case gives a pathway whose JSON has the contract's keys, types and citations."""
    pathway = run(data)
    output = json.loads(pathway.to_json())
    check_top_level(output)
    check_stages(output)
    check_citations_and_notes(output)


def check_top_level(output: dict[str, Any]) -> None:
    """The contract's top-level keys, with their types; the case with every key filled in."""
    for key, kind in {
        "spinepath_version": str,
        "knowledge_version": str,
        "case": dict,
        "current_stage": str,
        "stages": list,
        "cautions": list,
        "missing_facts": list,
        "trace": list,
    }.items():
        assert isinstance(output[key], kind), key
    assert output["current_stage"] in STAGE_ORDER
    assert set(ENUM_KEYS) | {"onset", "red_flags", "prior_discectomy"} <= set(output["case"])
    for missing in output["missing_facts"]:
        assert isinstance(missing["fact"], str) and isinstance(missing["why"], str)
        assert missing["fact"] in output["case"]
    for step in output["trace"]:
        assert isinstance(step["rule"], str)
        assert isinstance(step["matched"], dict) and isinstance(step["concluded"], list)


def check_stages(output: dict[str, Any]) -> None:
    """Stages in the ladder's order, one current, tried before it, upcoming after it."""
    ids = [stage["id"] for stage in output["stages"]]
    current = output["current_stage"]
    expected = list(STAGE_ORDER) if current == "referral" else list(STAGE_ORDER[1:])
    assert ids == expected
    if output["case"]["red_flags"]:
        assert current == "referral" and ids[0] == "referral"
    position = ids.index(current)
    for index, stage in enumerate(output["stages"]):
        later = "after_specialist_assessment" if current == "referral" else "upcoming"
        want = "tried" if index < position else "current" if index == position else later
        assert stage["status"] == want, (stage["id"], current)


def check_citations_and_notes(output: dict[str, Any]) -> None:
    """Each option and caution has its fields and at least one citation, each one exact."""
    kb = load_knowledge()
    for stage in output["stages"]:
        for option in stage["options"]:
            assert option["verdict"] in VERDICTS
            for key in ("id", "rationale", "rule"):
                assert isinstance(option[key], str) and option[key], key
            assert option["citations"], option["id"]
            for citation in option["citations"]:
                check_citation(citation, kb)
    for caution in output["cautions"]:
        for key in ("id", "text", "rule"):
            assert isinstance(caution[key], str) and caution[key], key
        assert caution["citations"], caution["id"]
        for citation in caution["citations"]:
            check_citation(citation, kb)


def check_citation(citation: dict[str, Any], kb: Any) -> None:
    """A seed citation quotes ``text[start:end]`` exactly; any other carries a reference."""
    source = citation["source"]
    if source in kb.seeds:
        text = kb.seeds[source].text
        assert citation["quote"] == text[citation["start"] : citation["end"]]
        assert citation["quote"]
    else:
        assert source in kb.guidelines, source
        assert "quote" not in citation
        reference = citation["reference"]
        for key in ("title", "publisher", "section"):
            assert isinstance(reference[key], str) and reference[key], key
        assert "year" in reference


@PROPERTY_SETTINGS
@given(case_dicts())
def test_deterministic(data: dict[str, Any]) -> None:
    """The same case twice gives the same JSON, byte for byte (the engine is reused)."""
    assert run(data).to_json() == run(data).to_json()


# --- monotone and safety properties ----------------------------------------------------------


@PROPERTY_SETTINGS
@given(case_dicts(), st.data())
def test_adding_a_red_flag_refers(data: dict[str, Any], more: st.DataObject) -> None:
    """Adding a red flag never removes the referral, and makes the current stage referral.

    Justification: knowledge/README.md, reading rule 2 ("A red flag comes before all of
    it: urgent referral"), from NICE NG59 1.1.1 (rule out specific causes such as cancer,
    infection, trauma first) and the contract ("With a red flag, current_stage is
    referral"). A further flag can only add to the reasons for referral.
    """
    present = set(data.get("red_flags") or [])
    absent = [flag for flag in RED_FLAGS if flag not in present]
    assume(absent)
    flag = more.draw(st.sampled_from(absent), label="added flag")
    before = run(data)
    after = run({**data, "red_flags": [*present, flag]})
    assert after.current_stage == "referral"
    assert has_referral(after)
    if has_referral(before):
        assert has_referral(after)
    emergency = any(f in EMERGENCY_FLAGS for f in [*present, flag])
    assert after.headline == (
        "Emergency: seek immediate assessment"
        if emergency
        else "Urgent: see a specialist before any treatment"
    )
    later = [o for stage in after.stages if stage.id != "referral" for o in stage.options]
    assert all(o.verdict != "recommended" for o in later)
    assert all(s.status == "after_specialist_assessment" for s in after.stages[1:])


@PROPERTY_SETTINGS
@given(case_dicts())
def test_red_flags_never_asked_put_the_screen_first(data: dict[str, Any]) -> None:
    """A case whose red flags are not stated has the red-flag screen as its first step and
    headline, whatever its stage, lists red flags as a deciding fact, and recommends nothing.

    Justification: NICE NG59 1.1.1 (rule out serious causes first) and the safety issue's
    invariant: red flags that were never asked are not "none".
    """
    data = {k: v for k, v in data.items() if k != "red_flags"}
    pathway = run(data)
    assert pathway.red_flag_screen == "not_asked"
    assert pathway.alerts[0].id == "red_flag_screen_first"
    assert pathway.headline == pathway.alerts[0].headline
    assert "red_flags" in [m.fact for m in pathway.missing_facts]
    assert "recommended" not in verdicts(pathway).values()


@PROPERTY_SETTINGS
@given(case_dicts(), st.data())
def test_better_daily_life_never_moves_later(data: dict[str, Any], more: st.DataObject) -> None:
    """Making daily life better (cannot_live_normally -> limited -> normal) never moves the
    current stage later.

    Justification: source 000 sets the inability to live normally as a condition of
    surgery, the last stage: "If nothing stated above works and you cannot have a normal
    life even with some limitations then you may be recommended surgery." No passage
    moves a patient further along the ladder because daily life is better.
    """
    worse, better = sorted(
        more.draw(
            st.lists(st.sampled_from(DAILY_LIFE_WORST_FIRST), min_size=2, max_size=2, unique=True),
            label="daily_life pair",
        ),
        key=DAILY_LIFE_WORST_FIRST.index,
    )
    stage_worse = run({**data, "daily_life": worse}).current_stage
    stage_better = run({**data, "daily_life": better}).current_stage
    assert stage_rank(stage_better) <= stage_rank(stage_worse), (worse, better)


def known_facts(data: dict[str, Any]) -> list[str]:
    """The keys of ``data`` that could be made unknown or not stated."""
    unknowable = [k for k in sorted(UNKNOWABLE) if k in data and data[k] != "unknown"]
    statable = [k for k in STATABLE if k in data and data[k] is not None]
    return unknowable + statable


def test_forgetting_covers_every_key() -> None:
    """Every key a case can state, but onset (required) and label (read by no rule), can be
    forgotten by the property below: none has a default that reads as an answer."""
    from spinepath.case.model import CASE_KEYS

    assert set(CASE_KEYS) - {"onset", "label"} == UNKNOWABLE | set(STATABLE)


def forget(data: dict[str, Any], key: str, how: str) -> dict[str, Any]:
    """``data`` with ``key`` turned to "unknown" or left out ("not stated")."""
    forgotten = {k: v for k, v in data.items() if k != key}
    if how == "unknown":
        forgotten[key] = "unknown"
    return forgotten


@st.composite
def forgettings(draw: st.DrawFn) -> tuple[dict[str, Any], str, str]:
    """A case, one of its known facts, and how to forget it ("unknown" or "absent").

    Aimed where a violation would be: a rule that recommends some option is made to
    hold, then a rival rule speaking to the same option (one that may lower its verdict),
    and the fact to forget is preferably one the rival reads. Forgetting it silences the
    rival; if that lets the recommendation through, the property fails.
    """
    data = draw(case_dicts())
    rules = load_knowledge().rules
    recommending = [r for r in rules if "recommended" in r.then.options.values()]
    target = draw(st.sampled_from(recommending), label="recommending rule")
    option = draw(
        st.sampled_from(sorted(o for o, v in target.then.options.items() if v == "recommended"))
    )
    rivals = [r for r in rules if option in r.then.options and r.id != target.id]
    _satisfy(target, data, draw, depth=0)
    reads: tuple[str, ...] = ()
    if rivals:
        rival = draw(st.sampled_from(rivals), label="rival rule")
        _satisfy(rival, data, draw, depth=0)
        reads = rival.reads()
    data = _repaired(data)
    keys = known_facts(data)
    assume(keys)
    preferred = [key for key in keys if key in reads]
    key = draw(st.sampled_from(preferred or keys), label="forgotten fact")
    ways = ["absent"] + (["unknown"] if key in UNKNOWABLE else [])
    return data, key, draw(st.sampled_from(ways), label="how")


def raised_to_recommended(before: Pathway, after: Pathway, field: str) -> list[str]:
    """Options whose ``field`` verdict is recommended after but was not before."""
    was = verdicts(before, field)
    return sorted(
        option_id
        for option_id, verdict in verdicts(after, field).items()
        if verdict == "recommended" and was.get(option_id) != "recommended"
    )


@PROPERTY_SETTINGS
@given(forgettings())
def test_unknown_never_raises_a_verdict_to_recommended(
    drawn: tuple[dict[str, Any], str, str],
) -> None:
    """Turning one known fact to unknown (or to not stated) never makes an option
    recommended that was not recommended before (neither the verdict shown nor the
    verdict it would have once its stage is reached).

    Justification: knowledge/README.md, reading rule 5 ("Unknown is a value. A rule that
    recommends needs every fact it reads to be known. Where a deciding fact is unknown,
    the option is at most consider"), and the reliability note ("An unknown fact never
    raises a recommendation; it lowers it to 'needs data'"). Knowing less can never be a
    stronger basis for a recommendation than knowing more.
    """
    data, key, how = drawn
    forgotten = _repaired(forget(data, key, how))
    if key == "prior_discectomy":  # its outcome and lamina go with it
        dependent = ("discectomy_outcome", "large_lamina_removal")
        forgotten = {k: v for k, v in forgotten.items() if k not in dependent}
    before, after = run(data), run(forgotten)
    for field in ("verdict", "verdict_when_reached"):
        raised = raised_to_recommended(before, after, field)
        assert not raised, f"{key} made {how}: {field} now recommended for {raised}"


def test_forgetting_discectomy_outcome_does_not_raise_disc_replacement() -> None:
    """A counterexample the property once found (fixed by
    surgical.disc_replacement_after_discectomy_outcome_unknown), kept as a regression test."""
    data = {
        "onset": "chronic",
        **DISC_REPLACEMENT_FINDINGS,
        "prior_discectomy": True,
        "discectomy_outcome": "failed",
        "large_lamina_removal": False,
        **GATES_OPEN,
    }
    before, after = run(data), run(forget(data, "discectomy_outcome", "absent"))
    assert raised_to_recommended(before, after, "verdict") == []


@PROPERTY_SETTINGS
@given(case_dicts())
def test_no_cortisone_for_chronic_pain(data: dict[str, Any]) -> None:
    """Cortisone is never recommended when onset is chronic.

    Justification: source 000, "I do not really advise cortisone injections since they do
    more harm than good in the long run" and "However they are not generally helpful in
    chronic cases."
    """
    onset = "chronic" if len(repr(data)) % 2 else "acute_on_chronic"
    pathway = run(_repaired({**data, "onset": onset}))
    option = pathway.option("cortisone_injection")
    assert option is None or option.verdict != "recommended"
    assert option is None or option.verdict_when_reached != "recommended"


@PROPERTY_SETTINGS
@given(case_dicts())
def test_no_surgery_recommended_before_its_gates(data: dict[str, Any]) -> None:
    """No surgical option is recommended unless the case meets every gate of
    ``surgery_behind_its_gates`` (knowledge/invariants.yaml): conservative care and
    non-invasive therapy failed, many months of pain, daily life impossible, red flags
    screened and absent, no earlier fusion.

    Justification: source 000, "If the pain is so bad that does not respond to anything
    stated above for many months/years, you can try some non-invasive therapies" and "If
    nothing stated above works and you cannot have a normal life even with some
    limitations then you may be recommended surgery"; knowledge/README.md, reading rules 2
    and 4 (an upcoming stage shows `recommended` as `consider`).
    """
    gates_hold = not unmet(GATES, validate_case(data), KB)
    found = verdicts(run(data))
    recommended = [o for o in SURGICAL_OPTIONS if found.get(o) == "recommended"]
    if not gates_hold:
        assert not recommended, recommended


@pytest.mark.parametrize("key", sorted(GATES_OPEN), ids=str)
def test_surgery_gate_cases_exist(key: str) -> None:
    """A guard on the property above: with all gates held, surgery can be recommended, and
    loosening any one gate withholds it (so the property is not vacuous)."""
    gated = {"onset": "chronic", **DISC_REPLACEMENT_FINDINGS, **SURGICAL_GATES}
    assert not unmet(GATES, validate_case(gated), KB)  # the tests' gates are the invariant's
    assert verdicts(run(gated)).get("disc_replacement") == "recommended"
    loosened = {k: v for k, v in gated.items() if k != key}
    assert verdicts(run(loosened)).get("disc_replacement") != "recommended"


# --- every invariant of knowledge/invariants.yaml marked `properties` -------------------------


@PROPERTY_SETTINGS
@given(case_dicts())
def test_every_per_case_invariant_holds(data: dict[str, Any]) -> None:
    """Each per-case invariant marked ``properties`` holds for random cases: the same checks
    ``spinepath verify`` runs (``spinepath.verify.invariants``), on cases it never enumerates
    (every whole number, every subset of red flags)."""
    case = validate_case(data)
    per_case = {k: v for k, v in CHECKED.items() if k in _PER_CASE}
    assert violations(Seen(KB, case, assess(case)), per_case) == []


_PER_CASE = {*PATHWAY_CHECKS, *OPTION_CHECKS, *CAUTION_CHECKS}
#: The property tests of the invariants that compare two cases (scope ``pair``), and of
#: those checked when the engine runs (scope ``engine``).
PAIR_TESTS = {
    "unknown_never_raises": test_unknown_never_raises_a_verdict_to_recommended,
    "adding_red_flag_refers": test_adding_a_red_flag_refers,
    "better_daily_life_never_later": test_better_daily_life_never_moves_later,
    "one_current_stage": test_never_crashes_and_output_follows_the_contract,
}


def test_every_invariant_marked_properties_is_tested() -> None:
    """Each invariant invariants.yaml marks ``properties`` has a per-case check (run by
    the test above) or a property test of its own here; no test claims one it lacks."""
    untested = set(CHECKED) - _PER_CASE - set(PAIR_TESTS)
    assert not untested
    assert set(PAIR_TESTS) <= set(CHECKED)
    assert {CHECKED[name].scope for name in PAIR_TESTS} <= {"pair", "engine"}
