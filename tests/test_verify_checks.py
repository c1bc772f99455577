"""Each of verify's per-case checks, shown a pathway that violates it.

The pathways are the engine's own for teaching cases, with one thing broken, so
that turning any check off (or weakening it) fails one of these tests. The
unbroken pathway passes every check, so each violation comes from the break.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from spinepath.case.model import Case
from spinepath.errors import EngineError
from spinepath.kb.loading import knowledge_dir, load_knowledge
from spinepath.kb.teaching import load_teaching_case
from spinepath.pathway.build import assess
from spinepath.pathway.model import Option, Pathway, TraceStep
from spinepath.verify import run
from spinepath.verify.checks import CaseContext, Checker, Tally
from spinepath.verify.cones import Unit
from spinepath.verify.invariants import bound

FUSION = "19_surgical_fusion.yaml"
CORTISONE = "09_noninvasive_acute_cortisone.yaml"


def _teaching(name: str) -> dict[str, Any]:
    return dict(load_teaching_case(knowledge_dir() / "cases" / name).case)


def _checked(
    data: dict[str, Any],
    units: list[Unit],
    break_pathway: Callable[[Pathway], Pathway] = lambda p: p,
    **case_changes: Any,
) -> Tally:
    """The tally of checking ``data``'s pathway, broken by ``break_pathway``, as if the case
    had ``case_changes`` (what a wrong rule would have concluded for such a case)."""
    kb = load_knowledge()
    case = Case.model_validate(data)
    pathway = break_pathway(assess(case, kb))
    tally = Tally()
    seen_as = case.model_copy(update=case_changes)
    Checker(kb).check(CaseContext(seen_as, data, 1, (0, 0), tally), pathway, units)
    return tally


def _checks(tally: Tally) -> list[str]:
    return sorted({check for check, _ in tally.violations})


def _with_option(pathway: Pathway, option_id: str, **changes: Any) -> Pathway:
    def edited(option: Option) -> Option:
        return option.model_copy(update=changes) if option.id == option_id else option

    stages = [
        stage.model_copy(update={"options": [edited(o) for o in stage.options]})
        for stage in pathway.stages
    ]
    return pathway.model_copy(update={"stages": stages})


def _unit(kind: str, name: str) -> list[Unit]:
    return [Unit(kind, name, frozenset())]


def test_the_unbroken_pathways_pass_every_check() -> None:
    for name in (FUSION, CORTISONE):
        data = _teaching(name)
        pathway = assess(Case.model_validate(data), load_knowledge())
        units = [Unit("stage", "current stage", frozenset())]
        units += [Unit("option", o.id, frozenset()) for s in pathway.stages for o in s.options]
        units += [Unit("caution", c.id, frozenset()) for c in pathway.cautions]
        assert _checks(_checked(data, units)) == []


def test_red_flag_must_put_referral_first_and_current() -> None:
    data = {**_teaching(FUSION), "red_flags": ["cauda_equina"]}
    units = _unit("stage", "current stage")
    assert _checks(_checked(data, units)) == []

    def surgery_first(pathway: Pathway) -> Pathway:
        return pathway.model_copy(update={"current_stage": "surgical"})

    assert _checks(_checked(data, units, surgery_first)) == [
        "red flag puts referral first and current"
    ]

    def referral_not_first(pathway: Pathway) -> Pathway:
        return pathway.model_copy(update={"stages": [*pathway.stages[1:], pathway.stages[0]]})

    assert _checks(_checked(data, units, referral_not_first)) == [
        "red flag puts referral first and current"
    ]


def test_every_option_has_a_citation() -> None:
    tally = _checked(
        _teaching(FUSION),
        _unit("option", "fusion"),
        lambda p: _with_option(p, "fusion", citations=[]),
    )
    assert _checks(tally) == ["every option has a citation"]


def test_no_option_both_recommended_and_contraindicated() -> None:
    def also_forbidden(pathway: Pathway) -> Pathway:
        step = TraceStep(
            rule="surgical.forbids_fusion",
            stage="surgical",
            matched={},
            concluded=[{"option": "fusion", "verdict": "contraindicated"}],
        )
        return pathway.model_copy(update={"trace": [*pathway.trace, step]})

    tally = _checked(_teaching(FUSION), _unit("option", "fusion"), also_forbidden)
    assert _checks(tally) == ["no option both recommended and contraindicated"]
    ((_, detail),) = tally.violations
    assert "surgical.forbids_fusion" in detail and "surgical.fusion" in detail


@pytest.mark.parametrize(
    "gate",
    [
        {"conservative_care": "ongoing"},
        {"non_invasive_therapy": "not_tried"},
        {"daily_life": "limited"},
    ],
)
def test_surgery_only_behind_its_gates(gate: dict[str, str]) -> None:
    tally = _checked(_teaching(FUSION), _unit("option", "fusion"), **gate)
    assert _checks(tally) == [
        "surgery recommended only when everything failed and daily life is impossible"
    ]
    ((_, detail),) = tally.violations
    assert next(iter(gate)) in detail


@pytest.mark.parametrize("field", ["verdict", "verdict_when_reached"])
def test_cortisone_never_recommended_for_chronic_pain(field: str) -> None:
    data = _teaching(CORTISONE)
    units = _unit("option", "cortisone_injection")

    def recommended(pathway: Pathway) -> Pathway:
        return _with_option(pathway, "cortisone_injection", **{field: "recommended"})

    assert _checks(_checked(data, units, recommended)) == []  # acute: allowed
    assert _checks(_checked(data, units, recommended, onset="chronic")) == [
        "cortisone never recommended for chronic pain"
    ]


def test_no_recommendation_rests_on_an_unknown_fact() -> None:
    for unknown in ("unknown", None):
        tally = _checked(_teaching(FUSION), _unit("option", "fusion"), facet_arthritis=unknown)
        assert _checks(tally) == ["no recommendation rests on an unknown fact"]
        ((_, detail),) = tally.violations
        assert detail == "fusion by surgical.fusion: facet_arthritis"


def _with_caution(pathway: Pathway, caution_id: str, **changes: Any) -> Pathway:
    cautions = [c.model_copy(update=changes) if c.id == caution_id else c for c in pathway.cautions]
    return pathway.model_copy(update={"cautions": cautions})


def test_every_caution_has_a_citation() -> None:
    caution = "consult_experienced_surgeons"
    units = _unit("caution", caution)
    uncited = _checked(_teaching(FUSION), units, lambda p: _with_caution(p, caution, citations=[]))
    assert _checks(uncited) == ["every caution has a citation"]


def test_an_uncovered_caution_is_counted() -> None:
    caution = "consult_experienced_surgeons"
    tally = _checked(
        _teaching(FUSION),
        _unit("caution", "uncovered_test"),
        lambda p: _with_caution(p, caution, id="uncovered_test"),
    )
    assert _checks(tally) == []
    assert list(tally.uncovered) == ["caution uncovered_test (surgical)"]
    assert tally.uncovered["caution uncovered_test (surgical)"].cases == 1


def test_a_current_stage_with_only_always_on_options_is_counted() -> None:
    units = _unit("coverage", "surgical")
    assert _checked(_teaching(FUSION), units).uncovered == {}

    def nothing_offered(pathway: Pathway) -> Pathway:
        stages = [
            s.model_copy(update={"options": []}) if s.id == "surgical" else s
            for s in pathway.stages
        ]
        return pathway.model_copy(update={"stages": stages})

    tally = _checked(_teaching(FUSION), units, nothing_offered)
    assert list(tally.uncovered) == ["current stage surgical: no option beyond the always-on ones"]


def test_a_rule_is_recorded_only_when_it_fired() -> None:
    fired = _checked(_teaching(FUSION), _unit("rule", "surgical.fusion"))
    assert fired.fired == {"surgical.fusion"}
    assert _checked(_teaching(FUSION), _unit("rule", "surgical.discectomy")).fired == set()


def test_an_engine_error_is_a_violation_of_one_current_stage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kb = load_knowledge()
    run._prime(kb)
    try:

        def no_single_stage(case: Case, inference: object) -> Pathway:
            raise EngineError("no current stage concluded")

        monkeypatch.setitem(run._WORKER, "build", no_single_stage)
        tally = run.check_range((0, 0, 2))
    finally:
        run._WORKER.clear()
    assert tally.cases == 2
    assert list(tally.violations) == [("exactly one current stage", "no current stage concluded")]
    assert tally.violations[("exactly one current stage", "no current stage concluded")].cases == 2


def _alerts_as(level: str) -> Callable[[Pathway], Pathway]:
    """The pathway with its first alert turned to ``level`` (or no alert at all)."""

    def broken(pathway: Pathway) -> Pathway:
        alerts = [a.model_copy(update={"level": level}) for a in pathway.alerts[:1]]
        return pathway.model_copy(update={"alerts": alerts if level else []})

    return broken


@pytest.mark.parametrize(
    ("flags", "check"),
    [
        (None, "red flags never asked put the screen first"),
        (["cauda_equina"], "an emergency red flag heads the output as emergency"),
        (["cancer_history"], "an urgent red flag heads the output as urgent"),
    ],
)
def test_the_red_flag_screen_heads_the_output(flags: list[str] | None, check: str) -> None:
    data = {k: v for k, v in _teaching(FUSION).items() if k != "red_flags"}
    if flags is not None:
        data["red_flags"] = flags
    units = _unit("stage", "current stage")
    assert _checks(_checked(data, units)) == []
    assert check in _checks(_checked(data, units, _alerts_as("")))
    other = "urgent" if flags == ["cauda_equina"] else "emergency"
    assert check in _checks(_checked(data, units, _alerts_as(other)))


def test_with_a_red_flag_only_the_referral_is_recommended() -> None:
    data = {**_teaching(FUSION), "red_flags": ["major_trauma"]}
    units = _unit("option", "fusion")
    assert _checks(_checked(data, units)) == []
    tally = _checked(data, units, lambda p: _with_option(p, "fusion", verdict="recommended"))
    # A surgical option: its gates (red flags screened and absent) are broken as well.
    assert _checks(tally) == [
        "surgery recommended only when everything failed and daily life is impossible",
        "with a red flag, only the referral is recommended",
    ]


def test_every_verified_invariant_has_a_test_here() -> None:
    """Each invariant verify checks is broken by some test of this file (by its title)."""
    here = Path(__file__).read_text(encoding="utf-8")
    static = {"every_rule_fires", "no_conflicting_twins", "quotes_verbatim"}  # test_verify.py
    for name, invariant in bound(load_knowledge()).items():
        if name not in static:
            assert invariant.title in here or f'"{name}"' in here, name
