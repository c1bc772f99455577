"""The case model: exactly the vocabulary of the pathway contract, section 1.

Every finding the sources reason about is a field here. Tri-state findings take
``true``, ``false`` or ``"unknown"``; a finding that is not stated is
``"unknown"``, never guessed. Everything else that is not stated stays ``None``
("not stated"): the stages of care, the numbers, and the red flags, whose
``[]`` means "screened, none present" and whose ``None`` means "never asked".
No default reads as an answer, so the pathway can say which fact would decide
rather than assume one. ``docs/case-format.md`` documents the format and is
tested against this model.
"""

import types
import typing
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

TriState = bool | Literal["unknown"]
Onset = Literal["acute", "chronic", "acute_on_chronic"]
Stenosis = Literal["none", "laminotomy_relievable", "needs_decompression", "unknown"]
ConservativeCare = Literal["not_started", "ongoing", "helped", "failed"]
NonInvasiveTherapy = Literal["not_tried", "ongoing", "helped", "failed"]
DiscectomyOutcome = Literal["lasting_relief", "failed", "reherniation", "worse_after_years"]
ExerciseResponse = Literal["better", "worse", "no_change", "unknown"]
DailyLife = Literal["normal", "limited", "cannot_live_normally"]
RedFlag = Literal[
    "cauda_equina",
    "progressive_neurological_deficit",
    "major_trauma",
    "suspected_infection",
    "cancer_history",
    "unexplained_weight_loss",
]

#: Every red flag of the case vocabulary, in the contract's order.
RED_FLAGS: tuple[str, ...] = typing.get_args(RedFlag)

UNKNOWN = "unknown"

#: Guideline definitions of duration (ACP 2017: acute under 4 weeks, subacute 4 to 12
#: weeks, chronic over 12 weeks): pain of more than three months is not acute.
ACUTE_MAX_MONTHS = 3


class Case(BaseModel):
    """One patient's case, as a clinician or patient describes it."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    label: str | None = Field(None, max_length=200, description="A name for the case.")
    red_flags: list[RedFlag] | None = Field(
        None,
        description="Signs that need urgent medical attention before any pathway: "
        "null (or left out) means never asked, [] means screened and none present.",
    )
    onset: Onset = Field(
        description="`acute`: a recent injury; `chronic`: long-standing pain; "
        "`acute_on_chronic`: a flare of long-standing pain."
    )
    symptom_months: int | None = Field(
        None, ge=0, le=600, description="How many months the pain has lasted."
    )
    pain_score: int | None = Field(
        None, ge=0, le=10, description="Pain on a 0 to 10 scale (10 the worst imaginable)."
    )
    age: int | None = Field(
        None, ge=12, le=120, description="Age in years; the sources never use it."
    )
    disc_degeneration: TriState = Field(
        UNKNOWN, description="Degenerative disc disease at the painful level."
    )
    herniation: TriState = Field(UNKNOWN, description="Disc herniation.")
    facet_arthritis: TriState = Field(UNKNOWN, description="Facet joint pain or arthritis.")
    facet_hypertrophy: TriState = Field(UNKNOWN, description="Enlarged facet joints.")
    stenosis: Stenosis = Field(
        UNKNOWN,
        description="Spinal stenosis, and whether removing a little lamina relieves it "
        "or it needs decompression.",
    )
    nerve_compression: TriState = Field(
        UNKNOWN, description="Nerve root compression (sciatica, radicular pain)."
    )
    muscle_imbalance: TriState = Field(
        UNKNOWN, description="Muscle imbalance or deconditioning found on examination."
    )
    conservative_care: ConservativeCare | None = Field(
        None, description="PT and core exercise; `failed` means no response over months."
    )
    non_invasive_therapy: NonInvasiveTherapy | None = Field(
        None, description="PRP, prolotherapy, prolozone, Discogel, Discseel and the like."
    )
    prior_discectomy: TriState = Field(UNKNOWN, description="An earlier discectomy.")
    discectomy_outcome: DiscectomyOutcome | None = Field(
        None, description="Only with prior_discectomy: true."
    )
    large_lamina_removal: TriState = Field(
        UNKNOWN,
        description="A big portion of lamina was removed in an earlier operation; "
        "only with prior_discectomy: true.",
    )
    prior_fusion: TriState = Field(UNKNOWN, description="An earlier spinal fusion.")
    exercise_response: ExerciseResponse = Field(
        UNKNOWN, description="How the pain responds to exercise and movement."
    )
    daily_life: DailyLife | None = Field(
        None,
        description="`limited`: a normal life with some limitations; "
        "`cannot_live_normally`: not even that.",
    )

    @field_validator("red_flags")
    @classmethod
    def _red_flags_once_each(cls, flags: list[str] | None) -> list[str] | None:
        if flags is None:
            return None
        repeated = sorted({flag for flag in flags if flags.count(flag) > 1})
        if repeated:
            raise ValueError(f"listed more than once: {', '.join(repeated)}")
        return sorted(flags)

    @model_validator(mode="after")
    def _no_contradictions(self) -> "Case":
        given = {key: getattr(self, key) for key in self.model_fields_set}
        problems = contradictions(given)
        if problems:
            raise ValueError("\n".join(problems))
        return self


def contradictions(given: dict[str, object]) -> list[str]:
    """Facts that cannot all be true together, one line each.

    ``given`` holds only the keys the case states, so that this also runs on a
    case whose other keys failed validation.
    """
    problems = []
    prior = given.get("prior_discectomy") is True
    outcome = given.get("discectomy_outcome")
    if outcome is not None and not prior:
        problems.append(f"discectomy_outcome: given ({outcome!r}) but prior_discectomy is not true")
    if "large_lamina_removal" in given and not prior:
        problems.append(
            f"large_lamina_removal: given ({_shown(given['large_lamina_removal'])}) "
            "but prior_discectomy is not true"
        )
    if outcome == "reherniation" and given.get("herniation") is False:
        problems.append("herniation: false contradicts discectomy_outcome: 'reherniation'")
    months = given.get("symptom_months")
    if isinstance(months, int) and not isinstance(months, bool):
        if given.get("conservative_care") == "failed" and months == 0:
            problems.append(
                "symptom_months: 0 contradicts conservative_care: 'failed' "
                "(care cannot have failed before the pain began)"
            )
        if given.get("onset") == "acute" and months > ACUTE_MAX_MONTHS:
            problems.append(
                f"onset: 'acute' contradicts symptom_months: {months} (pain of more than "
                f"{ACUTE_MAX_MONTHS} months is not acute; for a flare of long-standing pain "
                "use onset: acute_on_chronic)"
            )
    return problems


def _shown(value: object) -> str:
    """A value as the case file would spell it, a string quoted (it stands in a sentence)."""
    return spelled(value) if isinstance(value, bool) else repr(value)


def allowed_values(key: str) -> tuple[object, ...] | None:
    """The finite set of values a case key takes (``None`` for numbers and text).

    ``None`` in the result stands for "not stated".
    """
    annotation = Case.model_fields[key].annotation
    values: list[object] = []
    for part in _flatten(annotation):
        if part is bool:
            values.extend([True, False])
        elif part is type(None):
            values.append(None)
        elif typing.get_origin(part) is Literal:
            values.extend(typing.get_args(part))
        else:
            return None
    return tuple(values)


def _flatten(annotation: object) -> list[object]:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [leaf for arg in args for leaf in _flatten(arg)]
    return [annotation]


def spelled(value: object) -> str:
    """A value as a case file spells it (``true``, ``false``, ``none``...)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def same_value(a: object, b: object) -> bool:
    """Equal in value and in type: YAML's ``true`` must not pass for ``1``, nor ``1`` for
    ``true``. Tuples (a joint value of coupled keys) compare item by item."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def is_not_stated(value: object) -> bool:
    """Whether a case value says nothing: ``None`` (not stated) or ``"unknown"``.

    ``is None`` first: a tuple of red flags cannot be compared with a string.
    """
    return value is None or (isinstance(value, str) and value == UNKNOWN)


def number_bounds(key: str) -> tuple[int, int]:
    """The smallest and largest whole number a numeric case key takes."""
    bounds = {type(m).__name__: m for m in Case.model_fields[key].metadata}
    return bounds["Ge"].ge, bounds["Le"].le


CASE_KEYS: tuple[str, ...] = tuple(Case.model_fields)
