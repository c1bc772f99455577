"""Teaching cases: a case and its expected pathway, written by hand from the sources.

They teach the pathway and double as regression tests:
:func:`spinepath.pathway.expected.mismatches` compares an expected pathway with the
one the engine produced (beside the pathway model, so that the knowledge base never
imports what is built from it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from spinepath.errors import KnowledgeError
from spinepath.kb.model import StageId, Verdict
from spinepath.strict_yaml import load_strict


class Expected(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    current_stage: StageId
    options: dict[str, Verdict | Literal["absent"]] = Field(default_factory=dict)
    missing_facts: list[str] | None = None
    #: When given, the exact set of caution ids (as for ``missing_facts``).
    cautions: list[str] | None = None
    #: When given, the exact set of contested options: offered by the seeds while
    #: guidelines diverge for this case.
    contested: list[str] | None = None


class TeachingCase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    teaches: str
    case: dict[str, Any]
    expected: Expected
    file: str = ""


def load_teaching_case(path: Path) -> TeachingCase:
    try:
        data = load_strict(path.read_text(encoding="utf-8"))
        return TeachingCase.model_validate({**data, "file": path.name})
    except (OSError, yaml.YAMLError, ValueError) as error:
        raise KnowledgeError(f"{path.name}: {error}") from None


def load_teaching_cases(directory: Path) -> list[TeachingCase]:
    return [load_teaching_case(path) for path in sorted(directory.glob("*.yaml"))]
