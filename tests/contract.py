"""The pathway contract's vocabulary, written out once for every test.

These are written here from the contract (``docs/case-format.md`` and the treatment ids),
not read from the case model or the knowledge base, so that a drift between the program
and its contract shows up: ``test_properties.test_vocabulary_matches_the_case_model`` and
``test_knowledge.test_stages_and_treatments_are_the_contracts`` compare them. Tests import
them from here rather than keep copies.
"""

from __future__ import annotations

TRI_STATE: tuple[object, ...] = (True, False, "unknown")
ONSETS = ("acute", "chronic", "acute_on_chronic")
#: Every red flag, in the contract's order; the first two need immediate assessment.
RED_FLAGS = (
    "cauda_equina",
    "progressive_neurological_deficit",
    "major_trauma",
    "suspected_infection",
    "cancer_history",
    "unexplained_weight_loss",
)
EMERGENCY_FLAGS = RED_FLAGS[:2]
#: Keys with a finite set of values, other than onset, red_flags and the
#: prior-discectomy group (drawn together, because of the contradictions).
ENUM_KEYS: dict[str, tuple[object, ...]] = {
    "disc_degeneration": TRI_STATE,
    "herniation": TRI_STATE,
    "facet_arthritis": TRI_STATE,
    "facet_hypertrophy": TRI_STATE,
    "stenosis": ("none", "laminotomy_relievable", "needs_decompression", "unknown"),
    "nerve_compression": TRI_STATE,
    "muscle_imbalance": TRI_STATE,
    "conservative_care": ("not_started", "ongoing", "helped", "failed"),
    "non_invasive_therapy": ("not_tried", "ongoing", "helped", "failed"),
    "exercise_response": ("better", "worse", "no_change", "unknown"),
    "daily_life": ("normal", "limited", "cannot_live_normally"),
    "prior_fusion": TRI_STATE,
}
DISCECTOMY_OUTCOMES = ("lasting_relief", "failed", "reherniation", "worse_after_years")

#: The ladder of care, referral first.
STAGE_ORDER = ("referral", "conservative", "non_invasive", "surgical")
#: From the most offered to the least.
VERDICTS = ("recommended", "consider", "not_advised", "contraindicated")
#: The treatment ids of each stage. The contract's ids, extended by the safety issue: an
#: emergency is told apart from an urgent referral, and cortisone sits with conservative
#: care, as an aid to keep PT going.
TREATMENTS: dict[str, tuple[str, ...]] = {
    "referral": ("emergency_assessment", "urgent_specialist_referral"),
    "conservative": (
        "deep_stabilizer_exercise",
        "physical_therapy",
        "progressive_resistance_training",
        "muscle_balance_therapy",
        "cortisone_injection",
    ),
    "non_invasive": ("prp", "prolotherapy", "prolozone", "discogel", "discseel"),
    "surgical": (
        "disc_replacement",
        "facetectomy_with_fusion",
        "laminotomy",
        "discectomy",
        "microdiscectomy",
        "fusion",
        "facet_replacement",
    ),
}
SURGICAL_OPTIONS = TREATMENTS["surgical"]
REFERRALS = TREATMENTS["referral"]
