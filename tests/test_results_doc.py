"""docs/results.md lists every field of the typed results, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from spinepath.pathway.difference import Difference, Exploration, OptionChange, Scenario
from spinepath.pathway.explanation import How, WalkStep, WhyNot

DOC = Path(__file__).resolve().parents[1] / "docs" / "results.md"
MODELS: list[type[BaseModel]] = [
    How,
    WhyNot,
    WalkStep,
    Difference,
    OptionChange,
    Exploration,
    Scenario,
]


def documented_fields(section: str) -> set[str]:
    """The field names in the first column of the table under ``## section``."""
    text = DOC.read_text(encoding="utf-8")
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)` \|", body, re.M))


@pytest.mark.parametrize("model", MODELS, ids=[m.__name__ for m in MODELS])
def test_every_field_is_documented(model: type[BaseModel]) -> None:
    fields = set(model.model_fields) | set(model.model_computed_fields)
    assert documented_fields(model.__name__) == fields
