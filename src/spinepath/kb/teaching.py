"""Teaching cases: a case and its expected pathway, written by hand from the sources.

They teach the pathway and double as regression tests: ``mismatches`` compares
an expected pathway with the one the engine produced.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from spinepath.errors import KnowledgeError
from spinepath.kb.model import StageId, Verdict
from spinepath.strict_yaml import load_strict

if TYPE_CHECKING:
    from spinepath.pathway.model import Pathway


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


def mismatches(expected: Expected, pathway: Pathway) -> list[str]:
    """How the pathway differs from what the teaching case expects, one line each."""
    problems = []
    if pathway.current_stage != expected.current_stage:
        problems.append(
            f"current stage: expected {expected.current_stage}, got {pathway.current_stage}"
        )
    for option_id, verdict in expected.options.items():
        option = pathway.option(option_id)
        got = option.verdict if option else "absent"
        if got != verdict:
            problems.append(f"{option_id}: expected {verdict}, got {got}")
    if expected.missing_facts is not None:
        got_facts = sorted(m.fact for m in pathway.missing_facts)
        if got_facts != sorted(expected.missing_facts):
            problems.append(
                f"missing facts: expected {sorted(expected.missing_facts)}, got {got_facts}"
            )
    if expected.cautions is not None:
        got_cautions = sorted(c.id for c in pathway.cautions)
        if got_cautions != sorted(expected.cautions):
            problems.append(f"cautions: expected {sorted(expected.cautions)}, got {got_cautions}")
    if expected.contested is not None:
        got_contested = sorted(
            option.id for stage in pathway.stages for option in stage.options if option.contested
        )
        if got_contested != sorted(expected.contested):
            problems.append(
                f"contested: expected {sorted(expected.contested)}, got {got_contested}"
            )
    return problems
