"""``spinepath verify``: the reduction is sound, and the proof fails on a broken knowledge base.

The full proof takes minutes, so these tests check its parts on the real
knowledge base (the reduction, the checks on selected blocks) and run the whole
proof only on small, deliberately broken copies, where a block is enough to
show the violation.
"""

from __future__ import annotations

import copy
import json
import random
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from spinepath.case.model import CASE_KEYS, RED_FLAGS, Case, allowed_values, same_value
from spinepath.kb.loading import knowledge_dir, load_knowledge
from spinepath.pathway.build import assess
from spinepath.verify.checks import CaseContext, Checker, Tally
from spinepath.verify.cones import Unit, rule_cones
from spinepath.verify.run import Plan, check_range
from spinepath.verify.space import COUPLED, COUPLED_GROUPS, Space, build_space, number_values
from tests.helpers import DISC_REPLACEMENT_FINDINGS, SURGICAL_GATES


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    load_knowledge.cache_clear()
    yield
    load_knowledge.cache_clear()


def _random_raw_case(rng: random.Random) -> dict[str, Any] | None:
    """A random case of the raw space (every categorical value possible), or None if invalid."""
    data: dict[str, Any] = {}
    for key in CASE_KEYS:
        values = allowed_values(key)
        if key in ("red_flags", "label"):
            continue
        if values is None:  # a number: any whole number in its range, or not stated
            low, high = NUMBER_RANGES[key]
            value = rng.choice([None, rng.randint(low, high), rng.randint(low, min(high, 12))])
        else:
            value = rng.choice(values)
        if value is not None and value != "unknown":
            data[key] = value
    screen = rng.random()
    if screen < 0.3:
        data["red_flags"] = rng.sample(RED_FLAGS, rng.randint(1, 6))
    elif screen < 0.65:
        data["red_flags"] = []
    data.setdefault("onset", "acute")
    try:
        Case.model_validate(data)
    except ValueError:
        return None
    return data


def _decision(pathway: Any) -> dict[str, Any]:
    """What the rules decided, without the echo of the case's own values."""
    return {
        "stage": pathway.current_stage,
        "stages": [(s.id, s.status) for s in pathway.stages],
        "options": sorted(
            (o.id, o.verdict, o.verdict_when_reached, o.rule, tuple(o.rules))
            for s in pathway.stages
            for o in s.options
        ),
        "cautions": sorted((c.id, c.rule) for c in pathway.cautions),
        "missing": sorted((m.fact, tuple(m.rules)) for m in pathway.missing_facts),
        "trace": [(t.rule, repr(t.concluded)) for t in pathway.trace],
    }


NUMBER_RANGES = {"symptom_months": (0, 600), "pain_score": (0, 10), "age": (12, 120)}


def _snap(key: str, value: Any) -> Any:
    """A number as its representative: the largest band or contradiction edge not above it
    (every band's first value is an edge, so the band and the contradictions agree)."""
    if value is None or key not in NUMBER_RANGES:
        return value
    edges = [v for v in number_values(load_knowledge(), key) or () if v is not None]
    return max(v for v in edges if v <= value)


def _representative(space: Space, data: dict[str, Any]) -> dict[str, Any]:
    """The case that stands for ``data`` in the value-class product."""
    chosen = {}
    case = Case.model_validate(data)
    kb = load_knowledge()
    for dim in space.dimensions:
        value: Any = tuple(_snap(k, getattr(case, k)) for k in dim.keys)
        if dim.name == "red_flags":
            screen = kb.red_flag_level(case.red_flags)
            value = {None: "never asked", "none": "none", "urgent": "urgent only"}.get(
                screen, "emergency"
            )
        elif len(dim.keys) == 1:
            value = value[0]
        matches = [c for c in dim.classes if any(same_value(m, value) for m in c.members)]
        assert len(matches) == 1, (dim.name, value)
        chosen[dim.name] = matches[0]
    return space.case_data(chosen)


def test_space_sizes_and_reduction_reasons() -> None:
    space = build_space(load_knowledge())
    assert space.raw_size > 10**8
    assert space.valid_size < space.raw_size  # contradictory cases are excluded
    assert space.reduced_size < space.valid_size
    assert set(space.held) == {"label"}  # numbers are read through the measures' bands
    red = next(d for d in space.dimensions if d.name == "red_flags")
    # never asked, none, urgent flags only (2^4 - 1), some emergency flag (64 - 2^4)
    assert [c.raw for c in red.classes] == [1, 1, 15, 48]
    months = next(d for d in space.dimensions if "symptom_months" in d.keys)
    assert months.excluded > 0  # "acute" with years of pain, "failed" at 0 months
    coupled = next(d for d in space.dimensions if d.keys == COUPLED)
    assert coupled.excluded > 0
    for cls in coupled.classes:  # no contradictory combination is enumerated
        for member in cls.members:
            data = {"onset": "chronic", **dict(zip(COUPLED, member, strict=True))}
            data = {k: v for k, v in data.items() if v not in (None, "unknown")}
            if data.get("prior_discectomy") is False:
                del data["prior_discectomy"]
            Case.model_validate(data)


def test_value_classes_are_sound_on_random_raw_cases() -> None:
    """Every raw case decides exactly as the representative of its value classes."""
    kb = load_knowledge()
    space = build_space(kb)
    rng = random.Random(20261121)
    checked = 0
    while checked < 300:
        data = _random_raw_case(rng)
        if data is None:
            continue
        rep = _representative(space, data)
        got = _decision(assess(Case.model_validate(data), kb))
        want = _decision(assess(Case.model_validate(rep), kb))
        assert got == want, (data, rep)
        checked += 1


def test_cones_are_sound_on_random_raw_cases() -> None:
    """Whether a rule fires depends only on the keys of its cone."""
    kb = load_knowledge()
    cones = rule_cones(kb)
    rng = random.Random(7)
    checked = 0
    while checked < 150:
        data = _random_raw_case(rng)
        if data is None:
            continue
        fired = {t.rule for t in assess(Case.model_validate(data), kb).trace}
        for rule in rng.sample(list(kb.rules), 5):
            # Keep the cone, drop everything else back to the default case.
            keep = set(cones[rule.id]) | {"onset"}
            for group in COUPLED_GROUPS:  # coupled keys vary together (see verify.space)
                if keep & set(group):
                    keep |= set(group)
            kept = {k: v for k, v in data.items() if k in keep}
            reduced_case = Case.model_validate(kept)
            fired_reduced = {t.rule for t in assess(reduced_case, kb).trace}
            assert (rule.id in fired) == (rule.id in fired_reduced), (rule.id, data, kept)
        checked += 1


def test_blocks_cover_every_rule_and_the_small_blocks_pass() -> None:
    kb = load_knowledge()
    plan = Plan.of(kb)
    units = {(u.kind, u.name) for b in plan.blocks for u in b.units}
    assert {("rule", r.id) for r in kb.rules} <= units
    assert ("stage", "current stage") in units
    assert sum(b.size for b in plan.blocks) < plan.space.reduced_size
    tally = Tally()
    for index, block in enumerate(plan.blocks):
        if block.size <= 1000:
            tally.merge(check_range((index, 0, block.size)))
    assert not tally.violations
    assert "uncovered.age" in tally.fired  # the age block mixes the context's behaviours in
    context = next(
        b for b in plan.blocks if ("stage", "current stage") in [(u.kind, u.name) for u in b.units]
    )
    assert "context" not in context.dims  # the context alone is enumerated in full


def test_checker_flags_a_surgical_recommendation_without_the_gates() -> None:
    kb = load_knowledge()
    checker = Checker(kb)
    data = {
        "onset": "chronic",
        **DISC_REPLACEMENT_FINDINGS,
        **SURGICAL_GATES,
    }
    case = Case.model_validate(data)
    pathway = assess(case, kb)
    assert pathway.option("disc_replacement").verdict == "recommended"
    tally = Tally()
    ctx = CaseContext(case.model_copy(update={"daily_life": "limited"}), data, 1, (0, 0), tally)
    checker.check(ctx, pathway, [Unit("option", "disc_replacement", frozenset())])
    assert [check for check, _ in tally.violations] == [
        "surgery recommended only when everything failed and daily life is impossible"
    ]


def _broken_copy(tmp_path: Path, edits: dict[str, Any]) -> Path:
    """A copy of the knowledge base with some rule files edited, and the conservative and
    non-invasive rule files left out (a smaller space, so that the proof runs in a second)."""
    target = tmp_path / "knowledge"
    shutil.copytree(knowledge_dir(), target)
    for name in ("10_conservative.yaml", "20_non_invasive.yaml"):
        (target / "rules" / name).unlink()
    for name, edit in edits.items():
        path = target / "rules" / name
        rules = yaml.safe_load(path.read_text(encoding="utf-8"))
        edit(rules)
        path.write_text(
            yaml.safe_dump(rules, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
    return target


def _surgical_only_laminotomy(rules: list[dict[str, Any]]) -> None:
    """Only the laminotomy rule, made to recommend (the seed's hedge makes it "consider"), so
    that a broken gate shows as a surgical recommendation."""
    keep = ("surgical.laminotomy", "uncovered.prior_fusion", "surgical.prior_fusion_not_stated")
    rules[:] = [r for r in rules if r["id"] in keep]
    rules[0]["then"]["options"]["laminotomy"] = "recommended"


def _run_cli(directory: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    from spinepath.cli import main

    monkeypatch.setenv("SPINEPATH_KNOWLEDGE", str(directory))
    load_knowledge.cache_clear()
    return CliRunner().invoke(main, ["verify", "--workers", "1", *args])


def test_trimmed_copy_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_cache: None
) -> None:
    """The trimmed copy itself verifies: the failures below come from the edits."""
    directory = _broken_copy(tmp_path, {"30_surgical.yaml": _surgical_only_laminotomy})
    result = _run_cli(directory, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "verify: OK" in result.output


def test_verify_fails_on_an_ungated_surgical_recommendation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_cache: None
) -> None:
    """Surgery reached without non-invasive therapy having failed: laminotomy is recommended."""
    directory = _broken_copy(
        tmp_path,
        {"01_progression.yaml": _skip_non_invasive, "30_surgical.yaml": _surgical_only_laminotomy},
    )
    result = _run_cli(directory, monkeypatch, "--format", "json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is False
    gate = "surgery recommended only when everything failed and daily life is impossible"
    found = [v for v in report["violations"] if v["check"] == gate]
    assert found, report["violations"]
    assert "non_invasive_therapy" in found[0]["detail"]
    assert found[0]["example"]["non_invasive_therapy"] == "not_tried"


def test_verify_fails_without_the_earlier_fusion_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_cache: None
) -> None:
    """The sources do not cover surgery after a fusion: without the cap, verify finds the
    laminotomy recommended after an earlier fusion."""

    def drop_fusion_caps(rules: list[dict[str, Any]]) -> None:
        _surgical_only_laminotomy(rules)
        del rules[1:]

    directory = _broken_copy(tmp_path, {"30_surgical.yaml": drop_fusion_caps})
    result = _run_cli(directory, monkeypatch, "--format", "json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    gate = "surgery recommended only when everything failed and daily life is impossible"
    found = [v for v in report["violations"] if v["check"] == gate]
    assert found and "prior_fusion" in found[0]["detail"], report["violations"]


def test_verify_fails_on_an_unreachable_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_cache: None
) -> None:
    def add_unreachable(rules: list[dict[str, Any]]) -> None:
        _surgical_only_laminotomy(rules)
        rules.append(
            {
                "id": "surgical.never",
                "stage": "surgical",
                "title": "Lamina removed in a discectomy never done (a deliberate error)",
                "when": {"big_lamina_removed": True, "prior_discectomy": False},
                "then": {"options": {"laminotomy": "consider"}},
                "rationale": "Broken on purpose: its conditions cannot all hold.",
                "citations": copy.deepcopy(rules[0]["citations"]),
            }
        )

    directory = _broken_copy(tmp_path, {"30_surgical.yaml": add_unreachable})
    result = _run_cli(directory, monkeypatch)
    assert result.exit_code == 1, result.output
    assert "every rule fires for some case: surgical.never" in result.output
    assert "verify: FAILED" in result.output


def test_verify_fails_on_conflicting_duplicate_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_cache: None
) -> None:
    def add_conflict(rules: list[dict[str, Any]]) -> None:
        _surgical_only_laminotomy(rules)
        twin = {**copy.deepcopy(rules[0]), "id": "surgical.laminotomy_twin"}
        twin["then"] = {"options": {"laminotomy": "not_advised"}}
        rules.append(twin)

    directory = _broken_copy(tmp_path, {"30_surgical.yaml": add_conflict})
    result = _run_cli(directory, monkeypatch, "--format", "json")
    assert result.exit_code == 1, result.output
    details = [v["detail"] for v in json.loads(result.stdout)["violations"]]
    assert any("surgical.laminotomy_twin" in d and "same conditions" in d for d in details)


def test_review_warning_after_a_year() -> None:
    import datetime

    from spinepath.verify.static import review_warnings

    kb = load_knowledge()
    reviewed = datetime.date.fromisoformat(kb.meta.last_review)
    assert review_warnings(kb, today=reviewed + datetime.timedelta(days=365)) == []
    late = review_warnings(kb, today=reviewed + datetime.timedelta(days=366))
    assert len(late) == 1
    assert "over a year" in late[0]


def test_quotes_are_rechecked_against_the_seed_text() -> None:
    from spinepath.kb.model import SeedCitation
    from spinepath.verify.static import quote_problems

    kb = load_knowledge()
    checked, problems = quote_problems(kb)
    assert checked > 0
    assert problems == []
    index = next(
        i for i, r in enumerate(kb.rules) if any(isinstance(c, SeedCitation) for c in r.citations)
    )
    rule = kb.rules[index]
    citation = next(c for c in rule.citations if isinstance(c, SeedCitation))
    shifted = citation.model_copy(update={"start": citation.start + 1, "end": citation.end + 1})
    broken_rule = rule.model_copy(update={"citations": (shifted,)})
    rules = (*kb.rules[:index], broken_rule, *kb.rules[index + 1 :])
    broken = kb.model_copy(update={"rules": rules})
    assert quote_problems(broken)[1] == [
        f"{rule.id}: quote of {citation.source} at {shifted.start}:{shifted.end} is not verbatim"
    ]


def test_a_verify_run_leaves_no_worker_state_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_cache: None
) -> None:
    """A later check in this process checks the knowledge base it is given, not the last
    run's (the suite passes in any order)."""
    from spinepath.verify import run

    directory = _broken_copy(tmp_path, {"30_surgical.yaml": _surgical_only_laminotomy})
    assert _run_cli(directory, monkeypatch).exit_code == 0
    assert run._WORKER == {}


def test_caps_and_alerts_count_as_conclusions_for_subsumption() -> None:
    """A rule that only caps verdicts concludes something no always-firing rule does."""
    from spinepath.verify.static import subsumed_rules

    kb = load_knowledge()
    assert subsumed_rules(kb) == []
    capless = kb.model_copy(
        update={
            "rules": tuple(
                r.model_copy(update={"then": r.then.model_copy(update={"cap": None})})
                if r.id == "surgical.prior_fusion_not_stated"
                else r
                for r in kb.rules
            )
        }
    )
    found = subsumed_rules(capless)
    assert any(line.startswith("surgical.prior_fusion_not_stated") for line in found)


def _skip_non_invasive(rules: list[dict[str, Any]]) -> None:
    """Surgery reachable without non-invasive therapy having failed (a violation)."""
    for rule in rules:
        if rule["id"] == "progression.non_invasive_exhausted":
            rule["when"]["non_invasive_therapy"] = ["failed", "not_tried"]
        if rule["id"] == "stage.non_invasive_current":
            rule["when"]["non_invasive_therapy"] = ["ongoing", "helped", None]


def _tally_as_data(tally: Tally) -> Any:
    return (
        sorted((key, g.cases, g.raw, repr(g.example)) for key, g in tally.violations.items()),
        sorted((key, g.cases, g.raw, repr(g.example)) for key, g in tally.uncovered.items()),
        sorted(tally.fired),
        tally.cases,
    )


@pytest.mark.parametrize("workers", [1, 2])
def test_planning_while_checking_gives_the_plan_and_findings_of_planning_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_cache: None, workers: int
) -> None:
    """The behaviours read off the context block's engine runs are those the planner finds
    running the engine on its own, and the examples keep their (block, index) order."""
    from spinepath.verify import run

    directory = _broken_copy(
        tmp_path,
        {"01_progression.yaml": _skip_non_invasive, "30_surgical.yaml": _surgical_only_laminotomy},
    )
    monkeypatch.setenv("SPINEPATH_KNOWLEDGE", str(directory))
    kb = load_knowledge()
    run._PLANS.pop(id(kb), None)
    phases: list[tuple[str, int]] = []
    checked: list[int] = []
    found, tally, _ = run.enumerate_all(
        kb, workers, checked.append, lambda label, size: phases.append((label, size))
    )
    run._PLANS.pop(id(kb), None)
    planned = Plan.of(kb)
    assert planned is not found
    assert [(b.dims, b.size, [(u.kind, u.name) for u in b.units]) for b in found.blocks] == [
        (b.dims, b.size, [(u.kind, u.name) for u in b.units]) for b in planned.blocks
    ]
    assert [b.space.dimensions for b in found.blocks] == [
        b.space.dimensions for b in planned.blocks
    ]
    _, again, _ = run.enumerate_all(planned, workers)
    assert tally.violations  # the examples' order is tested on real violations
    assert _tally_as_data(tally) == _tally_as_data(again)
    # Progress: the planning phase, then the rest, each counted in full.
    context = next(b for b in planned.blocks if "context" not in b.dims and b.size > 1000)
    assert phases == [
        (run.CONTEXT_PHASE, context.size),
        (run.CASES_PHASE, tally.cases - context.size),
    ]
    assert sum(checked) == tally.cases == sum(b.size for b in planned.blocks)


def test_the_enumeration_gives_each_index_its_case_and_weight() -> None:
    """The fast enumeration is the mixed-radix assignment, its case data (in the same key
    order) and its weight, on cases from every block."""
    from spinepath.verify.run import Enumeration

    plan = Plan.of(load_knowledge())
    rng = random.Random(3)
    for block in plan.blocks:
        enumeration = Enumeration(block)
        for index in {0, block.size - 1, *(rng.randrange(block.size) for _ in range(50))}:
            [(at, data, weight)] = list(enumeration.cases(index, index + 1))
            chosen = plan.assignment(block, index)
            want = block.space.case_data(chosen)
            assert at == index
            assert list(data.items()) == list(want.items())
            assert weight == plan.weight(block, chosen)


def test_workers_start_with_ctrl_c_ignored_and_the_parent_as_it_was() -> None:
    """A pool is forked with SIGINT and SIGTERM blocked, so no signal reaches a worker
    before it ignores Ctrl-C; the parent's signal mask is restored."""
    import signal

    from spinepath.verify import run

    before = signal.pthread_sigmask(signal.SIG_BLOCK, set())
    with run._pool(2) as pool:
        assert signal.pthread_sigmask(signal.SIG_BLOCK, set()) == before
        states = pool.map(_signal_state, range(4))
    for handler, blocked in states:
        assert handler == signal.SIG_IGN
        assert not blocked & {signal.SIGINT, signal.SIGTERM}


def _signal_state(_: int) -> tuple[Any, set[Any]]:
    import signal

    return signal.getsignal(signal.SIGINT), signal.pthread_sigmask(signal.SIG_BLOCK, set())


def test_a_signal_while_the_pool_starts_stops_every_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SIGTERM arriving while the workers are forked is taken by the parent once the pool
    exists, inside the block that terminates it: no worker is left running."""
    import multiprocessing
    import signal

    from spinepath.verify import run

    class Stopped(BaseException):
        pass

    def stopped(signum: int, frame: object) -> None:
        raise Stopped()

    started: list[Any] = []
    real = multiprocessing.get_context("fork")

    class SignalledOnStart:
        def Pool(self, *args: Any, **kwargs: Any) -> Any:
            import threading

            # To this thread, as to the command's only one (a test runner may have other
            # threads, which a signal to the process could reach): pending, it is blocked.
            signal.pthread_kill(threading.get_ident(), signal.SIGTERM)
            pool = real.Pool(*args, **kwargs)
            started.extend(pool._pool)
            return pool

    monkeypatch.setattr(run.multiprocessing, "get_context", lambda method: SignalledOnStart())
    previous = signal.signal(signal.SIGTERM, stopped)
    try:
        with pytest.raises(Stopped), run._pool(2):
            raise AssertionError("the signal was not taken when the pool started")
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert len(started) == 2
    for process in started:
        process.join(timeout=30)
        assert not process.is_alive()
