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
    "failed",  # non-invasive therapy
    "3",  # daily life: cannot live normally
    "yes",  # disc degeneration
    "no",  # herniation
    "no",  # facet arthritis
    "no",  # facet hypertrophy
    "none",  # stenosis
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
    with pytest.raises(ValueError, match="acute or chronic"):
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
