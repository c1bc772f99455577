"""``knowledge/invariants.yaml``: loaded and checked like the rules, bound one to one to the
checks of ``spinepath.verify.invariants``, and the source of what verify's reduction keeps.

The last tests add an invariant that reads a key no invariant read before, and show that
the reduction takes the key in (its values are told apart, the units the invariant is
checked on read it, it joins the context) rather than silently holding it fixed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from spinepath.case.model import Case
from spinepath.errors import KnowledgeError
from spinepath.kb.loading import knowledge_dir, load_knowledge, parse_knowledge
from spinepath.kb.model import KnowledgeBase
from spinepath.verify import invariants as registry
from spinepath.verify.cones import units
from spinepath.verify.context import context_keys
from spinepath.verify.space import build_space, invariant_keys
from tests.helpers import SURGICAL_GATES

NEW = {
    "id": "prp_not_when_exercise_changes_nothing",
    "title": "prp not recommended when exercise changes nothing (a test invariant)",
    "statement": "A test invariant that reads a key no other invariant reads.",
    "kind": "integrity",
    "scope": "option",
    "options": ["prp"],
    "when": {"exercise_response": "no_change"},
    "checked_by": ["verify"],
    "basis": "Only for the test.",
}


def _copy_with(tmp_path: Path, *entries: dict[str, object]) -> Path:
    """A copy of the knowledge base with ``entries`` added to invariants.yaml."""
    target = tmp_path / "knowledge"
    shutil.copytree(knowledge_dir(), target)
    path = target / "invariants.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.write_text(yaml.safe_dump([*data, *entries], sort_keys=False), encoding="utf-8")
    return target


def _problems(tmp_path: Path, *entries: dict[str, object]) -> list[str]:
    with pytest.raises(KnowledgeError) as caught:
        parse_knowledge(_copy_with(tmp_path, *entries))
    return caught.value.problems


def test_every_invariant_is_bound_to_a_check_of_its_scope(kb: KnowledgeBase) -> None:
    bound = registry.bound(kb)
    assert set(bound) == {i for i, inv in kb.invariants.items() if "verify" in inv.checked_by}
    for invariant in kb.invariants.values():
        assert invariant.statement.strip() and invariant.title.strip()
        if invariant.kind == "safety":
            assert invariant.citations, invariant.id
        else:
            assert invariant.basis, invariant.id


def test_the_gates_are_read_from_the_yaml(kb: KnowledgeBase) -> None:
    gates = kb.invariants["surgery_behind_its_gates"]
    assert set(gates.reads()) == {
        "conservative_care",
        "non_invasive_therapy",
        "symptom_months",
        "daily_life",
        "red_flags",
        "prior_fusion",
    }
    case = Case.model_validate({"onset": "chronic", **SURGICAL_GATES})
    assert registry.unmet(gates, case, kb) == []
    five_months = case.model_copy(update={"symptom_months": 5, "prior_fusion": "unknown"})
    assert registry.unmet(gates, five_months, kb) == ["symptom_months", "prior_fusion"]
    never_asked = case.model_copy(update={"red_flags": None})
    assert registry.unmet(gates, never_asked, kb) == ["red_flags"]


def test_an_invariant_without_a_check_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb = parse_knowledge(_copy_with(tmp_path, NEW))
    with pytest.raises(KnowledgeError) as caught:
        registry.bound(kb)
    assert caught.value.problems == [f"invariants.yaml, {NEW['id']}: verify has no check for it"]


def test_a_check_without_an_invariant_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.OPTION_CHECKS, "unwritten", registry.OPTION_CHECKS["option_cited"])
    monkeypatch.setitem(registry._BY_SCOPE, "option", frozenset(registry.OPTION_CHECKS))
    with pytest.raises(KnowledgeError) as caught:
        registry.bound(load_knowledge())
    assert caught.value.problems == [
        "invariants.yaml: verify checks unwritten, which has no entry marked verify"
    ]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"when": {"pain": 3}}, "when.pain: neither a case fact nor an intermediate"),
        ({"requires": {"daily_life": "fine"}}, "requires.daily_life: ['fine'] not among"),
        (
            {"when": {"conservative_care_failed": True}},
            "when.conservative_care_failed: an invariant",
        ),
        ({"kind": "safety"}, "a safety invariant cites a seed or a guideline, like a rule"),
        ({"scope": "pathway"}, "only an option invariant is narrowed to stages or options"),
        ({"options": ["massage"]}, "options: massage is not a treatment id"),
        ({"id": "option_cited"}, "id is used twice"),
        ({"checked_by": []}, "checked_by: Tuple should have at least 1 item"),
    ],
)
def test_a_wrong_invariant_is_a_knowledge_error(
    tmp_path: Path, change: dict[str, object], problem: str
) -> None:
    problems = _problems(tmp_path, {**NEW, **change})
    assert len(problems) == 1 and problem in problems[0], problems
    assert problems[0].startswith("invariants.yaml, ")


def test_a_new_invariant_on_a_new_key_widens_the_reduction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: no invariant reads exercise_response, and "no change" and "unknown" are one
    class, outside the prp unit and the context. After: all three, from the YAML alone."""
    kb = load_knowledge()
    assert "exercise_response" not in invariant_keys(kb)
    before = next(d for d in build_space(kb).dimensions if d.name == "exercise_response")
    assert "no_change|unknown" in [c.label() for c in before.classes]
    prp = next(u for u in units(kb) if (u.kind, u.name) == ("option", "prp"))
    assert "exercise_response" not in prp.keys

    monkeypatch.setitem(registry.OPTION_CHECKS, NEW["id"], registry.OPTION_CHECKS["option_cited"])
    monkeypatch.setitem(registry._BY_SCOPE, "option", frozenset(registry.OPTION_CHECKS))
    widened = parse_knowledge(_copy_with(tmp_path, NEW))
    registry.bound(widened)  # the check is there now
    space = build_space(widened)
    after = next(d for d in space.dimensions if d.name == "exercise_response")
    assert [c.label() for c in after.classes] == ["better", "worse", "no_change", "unknown"]
    prp = next(u for u in units(widened) if (u.kind, u.name) == ("option", "prp"))
    assert "exercise_response" in prp.keys
    assert "exercise_response" in context_keys(widened, space)
