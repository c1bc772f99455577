"""Scenarios: a case with some facts changed, validated exactly like a case file."""

from __future__ import annotations

from typing import Any

import yaml

from spinepath.case.loading import validate_case
from spinepath.case.model import Case
from spinepath.errors import CaseError
from spinepath.strict_yaml import load_strict

NOT_STATED = ("null", "not_stated", "~")


def stated_facts(case: Case) -> dict[str, Any]:
    """The facts the case states (defaults left out), as a case file would hold them."""
    return {key: getattr(case, key) for key in sorted(case.model_fields_set)}


def parse_settings(settings: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` strings to a mapping; VALUE is read as YAML (``true``, ``none``, ``[a, b]``).

    ``KEY=null`` (or ``not_stated``) removes the fact: the case no longer states it. An
    empty VALUE and a KEY set twice are errors: silently unsetting a fact, or letting the
    last of two values win, would compare a scenario the user did not ask for.
    """
    changes: dict[str, Any] = {}
    problems = []
    for setting in settings:
        key, sep, raw = setting.partition("=")
        key = key.strip()
        if not sep or not key:
            problems.append(f"--set {setting!r}: expected KEY=VALUE")
            continue
        raw = raw.strip()
        if not raw:
            problems.append(f"--set {setting!r}: no value (KEY=null makes a fact not stated)")
            continue
        if key in changes:
            problems.append(f"--set: {key} is set more than once")
            continue
        if raw in NOT_STATED:
            changes[key] = None
            continue
        try:
            changes[key] = load_strict(raw)
        except (yaml.YAMLError, RecursionError):
            changes[key] = raw  # validated as given, so the error shows what was typed
        if key == "red_flags" and changes[key] == "none":
            changes[key] = []
    if problems:
        raise CaseError(problems)
    return changes


def apply_changes(case: Case, changes: dict[str, Any], *, source: str = "--set") -> Case:
    """The case with ``changes`` applied; bad keys, values or contradictions are CaseErrors."""
    data = stated_facts(case)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = list(value) if isinstance(value, tuple) else value
    return validate_case(data, source=source)
