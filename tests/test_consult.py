"""The guided consultation: relevant questions only, unknown always allowed, why, resume, save."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from spinepath.cli import main
from spinepath.consult.session import Answer, Consultation
from spinepath.kb.loading import load_knowledge

SURGICAL_ANSWERS = [
    "none",  # red flags
    "chronic",  # onset
    "failed",  # conservative care
    "24",  # how many months
    "failed",  # non-invasive therapy
    "3",  # daily life: cannot live normally (so the pain score no longer matters)
    "no",  # an earlier fusion
    "yes",  # disc degeneration
    "no",  # herniation
    "no",  # facet arthritis
    "no",  # facet hypertrophy
    "none",  # stenosis
    "no",  # an earlier discectomy (asked once the findings make it matter)
]


def test_red_flags_come_first_then_onset() -> None:
    session = Consultation(load_knowledge())
    assert session.next_question() == "red_flags"
    session.record("red_flags", [])
    assert session.next_question() == "onset"


def test_only_questions_that_can_change_the_pathway_are_asked() -> None:
    session = Consultation(load_knowledge())
    for key, value in [("red_flags", []), ("onset", "chronic"), ("conservative_care", "helped")]:
        session.record(key, value)
    # Conservative care helped: whether injections were tried cannot change anything.
    assert not session.matters("non_invasive_therapy")
    # Whether there was a discectomy's outcome only matters after a discectomy.
    assert not session.matters("discectomy_outcome")
    # Facet arthritis still decides options shown for the later stages.
    assert session.matters("facet_arthritis")


def test_unknown_is_always_an_answer_except_onset() -> None:
    session = Consultation(load_knowledge())
    assert session.interpret("facet_arthritis", "unknown") == "unknown"
    assert session.interpret("daily_life", "don't know") == "unknown"
    with pytest.raises(ValueError, match="acute, chronic or acute on chronic"):
        session.interpret("onset", "unknown")
    assert session.interpret("facet_arthritis", "why") == Answer.WHY
    assert session.interpret("stenosis", "2") == "laminotomy_relievable"
    assert session.interpret("red_flags", "1 3") == ["cauda_equina", "major_trauma"]
    with pytest.raises(ValueError):
        session.interpret("herniation", "maybe")


def test_why_names_the_rules_waiting_on_the_answer() -> None:
    session = Consultation(load_knowledge())
    reasons = session.why("stenosis")
    assert any("surgical.laminotomy" in line for line in reasons)
    assert all("(rule " in line for line in reasons)


def test_scripted_consultation_reaches_surgery_and_saves(tmp_path: Path) -> None:
    target = tmp_path / "saved.yaml"
    answers = [*SURGICAL_ANSWERS[:5], "why", *SURGICAL_ANSWERS[5:], "q", str(target)]
    result = CliRunner().invoke(main, ["consult"], input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "Your answer decides, in the knowledge base:" in result.output
    assert "Current stage: Surgery" in result.output
    assert "Recommended: Disc replacement" in result.output
    saved = yaml.safe_load(target.read_text())
    assert saved["disc_degeneration"] is True
    assert saved["daily_life"] == "cannot_live_normally"
    assert "muscle_imbalance" not in saved  # stopped before it was asked


def test_consultation_resumes_from_a_partial_case(tmp_path: Path) -> None:
    partial = tmp_path / "partial.yaml"
    partial.write_text("red_flags: []\nconservative_care: helped\n")
    result = CliRunner().invoke(main, ["consult", str(partial)], input="chronic\nq\n\n")
    assert result.exit_code == 0, result.output
    assert "warning signs" not in result.output  # red flags were already answered
    assert "physical therapy and core exercise" not in result.output
    assert "Current stage: Conservative care" in result.output


def test_consultation_refuses_a_bad_partial_case(tmp_path: Path) -> None:
    partial = tmp_path / "partial.yaml"
    partial.write_text("stenosis: mild\n")
    result = CliRunner().invoke(main, ["consult", str(partial)], input="")
    assert result.exit_code == 2
    assert "stenosis: must be one of" in result.stderr


def test_consultation_through_a_real_terminal(tmp_path: Path) -> None:
    """Drive `spinepath consult` through a pseudo-terminal, as a person would."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "spinepath", "consult"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        cwd=tmp_path,
        env=dict(os.environ, COLUMNS="100"),
    )
    os.close(follower)
    seen = b""

    def read_until(marker: bytes) -> None:
        nonlocal seen
        deadline = time.monotonic() + 60
        while marker not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1)
            if ready:
                try:
                    seen += os.read(leader, 65536)
                except OSError:
                    break
        assert marker in seen, seen.decode(errors="replace")[-2000:]

    try:
        for answer in [*SURGICAL_ANSWERS, "q"]:
            read_until(b"your answer: ")
            seen = b""
            os.write(leader, answer.encode() + b"\n")
        read_until(b"Save the case file?")
        os.write(leader, b"\n")
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(leader)
    assert b"Recommended: Disc replacement" in seen


def test_an_emergency_ends_the_questions_at_once(tmp_path: Path) -> None:
    target = tmp_path / "emergency.yaml"
    # Cauda equina signs; decline the optional questions; save.
    result = CliRunner().invoke(main, ["consult"], input=f"1\nn\n{target}\n")
    assert result.exit_code == 0, result.output
    after_answer = result.output.split("your answer:", 1)[1]
    assert after_answer.split("\n", 1)[1].lstrip().startswith(
        "!!! EMERGENCY: SEEK IMMEDIATE ASSESSMENT"
    )
    assert "Did this pain start" not in result.output  # no further question was asked
    saved = yaml.safe_load(target.read_text())
    assert saved["red_flags"] == ["cauda_equina"]


def test_the_optional_questions_follow_an_emergency_when_asked_for() -> None:
    result = CliRunner().invoke(main, ["consult"], input="1\ny\nchronic\nq\n\n")
    assert result.exit_code == 0, result.output
    assert "Go on with them?" in result.output
    assert "Did this pain start" in result.output
    assert "Emergency: seek immediate assessment" in result.output


def test_red_flags_not_known_are_saved_as_not_stated_and_assess_the_same(tmp_path: Path) -> None:
    target = tmp_path / "unscreened.yaml"
    result = CliRunner().invoke(
        main, ["consult"], input=f"unknown\nchronic\nongoing\nq\n{target}\n"
    )
    assert result.exit_code == 0, result.output
    text = target.read_text()
    assert "red_flags: null" in text
    assert "First: check for red flags" in result.output
    assessed = CliRunner().invoke(main, ["assess", str(target), "--format", "json"])
    assert assessed.exit_code == 0, assessed.output
    assert '"red_flag_screen": "not_asked"' in assessed.output
    assert '"alerts"' in assessed.output and "red_flag_screen_first" in assessed.output


def test_questions_ask_what_a_patient_can_know() -> None:
    kb = load_knowledge()
    stenosis = kb.questions["stenosis"].question.lower()
    assert "scan report" in stenosis and "surgeon" in stenosis
    assert "bulges is not a herniation" in kb.questions["herniation"].question
    assert "even with some limitations" in kb.questions["daily_life"].question
    session = Consultation(kb)
    for key, value in [("red_flags", []), ("onset", "chronic"), ("conservative_care", "failed")]:
        session.record(key, value)
    # "Failed" conservative care asks for how long, next.
    assert session.next_question() == "symptom_months"
    assert session.interpret("symptom_months", "14") == 14
    with pytest.raises(ValueError, match="whole number from 0 to 600"):
        session.interpret("symptom_months", "many")


def test_mild_pain_is_asked_once_daily_life_is_normal() -> None:
    session = Consultation(load_knowledge())
    for key, value in [
        ("red_flags", []),
        ("onset", "chronic"),
        ("conservative_care", "failed"),
        ("symptom_months", 24),
        ("non_invasive_therapy", "not_tried"),
    ]:
        session.record(key, value)
    assert not session.matters("pain_score")  # it changes nothing while daily life is open
    session.record("daily_life", "normal")
    assert session.matters("pain_score")  # mild pain with a normal life holds the case back
    assert session.next_question() == "pain_score"
