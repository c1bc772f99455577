"""What to ask next, what an answer means, and why a question matters."""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from spinepath.case.loading import format_of, parse_case_data, validate_case
from spinepath.case.model import (
    CASE_KEYS,
    UNKNOWN,
    Case,
    RedFlag,
    allowed_values,
    number_bounds,
    spelled,
)
from spinepath.case.words import value_word
from spinepath.errors import CaseError
from spinepath.kb.model import KnowledgeBase
from spinepath.pathway.build import assess
from spinepath.pathway.model import AlertNote

RED_FLAGS: tuple[str, ...] = typing.get_args(RedFlag)
YES = {"yes", "y", "true"}
NO = {"no", "n", "false"}
DONT_KNOW = {"unknown", "u", "don't know", "dont know", "not sure", "dk"}
WHY = {"why", "?", "help", "h"}
QUIT = {"q", "quit", "stop"}
#: Assumed only to test which questions matter before onset is answered; never stored.
PROBE_ONSET = "chronic"


class Answer:
    """What the person typed, once understood."""

    WHY = "why"
    QUIT = "quit"


@dataclass
class Consultation:
    """The answers so far, and the knowledge to decide what to ask next."""

    kb: KnowledgeBase
    answers: dict[str, Any] = field(default_factory=dict)
    asked: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)

    @classmethod
    def resume(cls, kb: KnowledgeBase, text: str, source: str) -> Consultation:
        """Start from a partial case file (``onset`` may be missing)."""
        # The same reader as `assess`, so that a resumed file is read exactly as assessed.
        data = parse_case_data(
            text, source=source, format=format_of(Path(source), text), empty_ok=True
        )
        probe = dict(data)
        probe.setdefault("onset", PROBE_ONSET)
        validate_case(probe, source=source)  # every stated value must already be valid
        return cls(kb=kb, answers=dict(data), asked=set(data))

    # -- what to ask ---------------------------------------------------------------

    def next_question(self) -> str | None:
        """The next fact whose answer can still change the pathway, or None when done."""
        for key in self.kb.questions:
            if key in self.asked:
                continue
            if key in ("red_flags", "onset") or self.matters(key):
                return key
            # Not asked now, but not settled either: a later answer can make it matter
            # (mild pain matters once daily life is known to be normal).
        return None

    def matters(self, key: str) -> bool:
        """Could some answer for ``key`` change the stage, a verdict or a caution?"""
        base = self._signature(self.answers)
        for value in self._possible_answers(key):
            signature = self._signature({**self.answers, key: value})
            if signature is not None and signature != base:
                return True
        return False

    def _possible_answers(self, key: str) -> list[Any]:
        """The answers that could be given: a key's values, or for a number the edges of the
        bands the knowledge base reads it in."""
        values = allowed_values(key)
        if values is None:
            return self.kb.band_edges(key)
        return [v for v in values if not (v is None or (isinstance(v, str) and v == UNKNOWN))]

    def is_number(self, key: str) -> bool:
        return allowed_values(key) is None

    def _signature(self, answers: dict[str, Any]) -> tuple[Any, ...] | None:
        probe = dict(answers)
        probe.setdefault("onset", PROBE_ONSET)
        try:
            pathway = assess(validate_case(probe), self.kb)
        except CaseError:
            return None  # a contradictory answer is not a possible one
        options = tuple(
            (option.id, option.verdict) for stage in pathway.stages for option in stage.options
        )
        return (pathway.current_stage, options, tuple(c.id for c in pathway.cautions))

    # -- what an answer means ----------------------------------------------------------

    def choices(self, key: str) -> list[tuple[str, Any]]:
        """The answers offered for ``key``, as (words, value); none for a number."""
        if key == "red_flags":
            return [(self.kb.red_flags[flag].name, flag) for flag in RED_FLAGS]
        if self.is_number(key):
            return []
        labels = self.kb.questions[key].choices if key in self.kb.questions else {}
        return [(labels.get(spelled(v), value_word(v)), v) for v in self._possible_answers(key)]

    def interpret(self, key: str, text: str) -> Any:
        """The value an answer stands for; raises ValueError with a hint when it is unclear."""
        answer = " ".join(text.strip().lower().split())
        if answer in WHY:
            return Answer.WHY
        if answer in QUIT:
            return Answer.QUIT
        if answer in DONT_KNOW:
            if key == "onset":
                raise ValueError(
                    "the pathway needs this one: pick the closest of acute, chronic or "
                    "acute on chronic"
                )
            return UNKNOWN
        if key == "red_flags":
            return self._red_flags(answer)
        if self.is_number(key):
            return self._number(key, answer)
        choices = self.choices(key)
        for number, (words, value) in enumerate(choices, start=1):
            if answer in (str(number), words.lower(), str(value).lower(), value_word(value)):
                return value
            if isinstance(value, bool) and answer in (YES if value else NO):
                return value
        raise ValueError(
            "answer "
            + ", ".join(f"{n} ({w})" for n, (w, _) in enumerate(choices, 1))
            + ", unknown, or why"
        )

    def _number(self, key: str, answer: str) -> int:
        low, high = number_bounds(key)
        if not answer.isdigit() or not low <= int(answer) <= high:
            raise ValueError(f"answer a whole number from {low} to {high}, unknown, or why")
        return int(answer)

    def _red_flags(self, answer: str) -> list[str]:
        if answer in NO | {"none", "0"}:
            return []
        flags = []
        for part in answer.replace(",", " ").split():
            if part.isdigit() and 1 <= int(part) <= len(RED_FLAGS):
                flags.append(RED_FLAGS[int(part) - 1])
            elif part in RED_FLAGS:
                flags.append(part)
            else:
                raise ValueError(
                    "answer the numbers of the signs you have (e.g. 1 3), none, or unknown"
                )
        return sorted(set(flags))

    def record(self, key: str, value: Any) -> None:
        """Keep an answer; "unknown" keeps the fact open, in the file too, and says so."""
        self.asked.add(key)
        if isinstance(value, str) and value == UNKNOWN:
            if key == "red_flags":
                self.notes.append(
                    "Red flags were not checked: a clinician should ask about them before "
                    "anything else."
                )
            # A fact with an "unknown" value records it; any other records "not stated".
            self.answers[key] = UNKNOWN if UNKNOWN in (allowed_values(key) or ()) else None
            return
        self.answers[key] = value

    def emergency(self) -> AlertNote | None:
        """The emergency alert, once the red flags answered make one: the questions stop."""
        flags = self.answers.get("red_flags")
        if not flags or self.kb.red_flag_level(flags) != "emergency":
            return None
        probe = {"onset": self.answers.get("onset", PROBE_ONSET), "red_flags": flags}
        pathway = assess(validate_case(probe), self.kb)
        return next((a for a in pathway.alerts if a.level == "emergency"), None)

    # -- why a question matters ------------------------------------------------------

    def why(self, key: str) -> list[str]:
        """The rules waiting on ``key``: what the answer decides, in the rules' own titles."""
        waiting = [rule for rule in self.kb.rules if key in rule.reads()]
        return [f"{rule.title} (rule {rule.id})" for rule in waiting]

    def terms(self, key: str) -> list[tuple[str, str]]:
        question = self.kb.questions[key]
        return [(term, self.kb.glossary[term]) for term in question.terms]

    # -- the result ------------------------------------------------------------------

    def case(self) -> Case:
        return validate_case(dict(self.answers), source="consultation")

    def case_file_text(self) -> str:
        """The answers as a case file, keys in the case model's order.

        ``red_flags`` is always written, as ``null`` when it was not answered, so that
        assessing the file later gives the pathway the session showed.
        """
        answers = {"red_flags": None, **self.answers}
        ordered = {key: answers[key] for key in CASE_KEYS if key in answers}
        header = (
            "# Written by spinepath consult. Every key is optional except onset;\n"
            "# null means not stated (red_flags: null means red flags were never checked).\n"
        )
        notes = "".join(f"# Note: {note}\n" for note in self.notes)
        return header + notes + yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True)
