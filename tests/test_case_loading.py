"""Case files: what loads, what is filled in, and a clear line for every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from spinepath.case.loading import load_case, parse_case
from spinepath.errors import CaseError


def problems_of(text: str, fmt: str = "yaml") -> list[str]:
    with pytest.raises(CaseError) as raised:
        parse_case(text, source="case", format=fmt)
    return raised.value.problems


def test_minimal_case_fills_defaults() -> None:
    case = parse_case("onset: acute\n")
    dumped = case.model_dump(mode="json")
    assert dumped["facet_arthritis"] == "unknown"
    assert dumped["stenosis"] == "unknown"
    assert dumped["conservative_care"] is None
    assert dumped["red_flags"] is None  # never asked, not "none"
    assert dumped["prior_discectomy"] == "unknown"  # not stated is not "no"


def test_json_and_yaml_give_the_same_case() -> None:
    yaml_case = parse_case("onset: chronic\nherniation: true\nred_flags: [major_trauma]\n")
    json_case = parse_case(
        '{"onset": "chronic", "herniation": true, "red_flags": ["major_trauma"]}', format="json"
    )
    assert yaml_case == json_case


def test_format_is_chosen_by_extension_or_content(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"onset": "acute"}')
    (tmp_path / "b.case").write_text('{"onset": "acute"}')
    (tmp_path / "c.case").write_text("onset: acute\n")
    assert load_case(tmp_path / "a.json") == load_case(tmp_path / "b.case")
    assert load_case(tmp_path / "c.case").onset == "acute"


def test_missing_onset_is_named() -> None:
    assert problems_of("age: 40\n") == [
        "case: onset: required, one of acute, chronic, acute_on_chronic"
    ]


def test_unknown_key_suggests_the_close_one() -> None:
    assert problems_of("onset: acute\nfacet_arthrits: true\n") == [
        "case: facet_arthrits: unknown key (did you mean 'facet_arthritis'?)"
    ]


def test_unknown_key_without_a_close_one() -> None:
    assert problems_of("onset: acute\nfavourite_colour: blue\n") == [
        "case: favourite_colour: unknown key"
    ]


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "y", "n"])
def test_yaml_yes_no_on_off_are_not_booleans(word: str) -> None:
    assert problems_of(f"onset: acute\nherniation: {word}\n") == [
        f"case: herniation: must be one of true, false, unknown (got '{word}')"
    ]


def test_duplicate_yaml_key_is_an_error() -> None:
    (line,) = problems_of("onset: acute\nherniation: true\nherniation: false\n")
    assert "duplicate key 'herniation'" in line
    assert "line 3" in line


def test_duplicate_json_key_is_an_error() -> None:
    assert problems_of('{"onset": "acute", "onset": "chronic"}', "json") == [
        "case: duplicate key 'onset'"
    ]


def test_malformed_yaml_names_the_place() -> None:
    (line,) = problems_of("onset: acute\nherniation: [true\n")
    assert line.startswith("case: line ")
    assert "malformed YAML" in line


def test_malformed_json_names_the_place() -> None:
    (line,) = problems_of('{"onset": "acute",}', "json")
    assert line.startswith("case: line 1, column")
    assert "malformed JSON" in line


@pytest.mark.parametrize("text", ["- onset: acute\n", "just text\n", "", "42\n"])
def test_not_a_mapping(text: str) -> None:
    (line,) = problems_of(text)
    assert "must be one mapping" in line


def test_aliases_are_refused() -> None:
    (line,) = problems_of("onset: &o acute\nlabel: *o\n")
    assert "aliases" in line


def test_wrong_type_names_key_and_value() -> None:
    assert problems_of("onset: acute\nage: forty\n") == [
        "case: age: must be a whole number from 12 to 120 (got 'forty')"
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("age: 11", "case: age: must be a whole number from 12 to 120 (got 11)"),
        ("pain_score: 11", "case: pain_score: must be a whole number from 0 to 10 (got 11)"),
        (
            "symptom_months: -1",
            "case: symptom_months: must be a whole number from 0 to 600 (got -1)",
        ),
        ("age: 40.5", "case: age: must be a whole number from 12 to 120 (got 40.5)"),
        ("age: '40'", "case: age: must be a whole number from 12 to 120 (got '40')"),
    ],
)
def test_values_out_of_range(line: str, expected: str) -> None:
    assert problems_of(f"onset: acute\n{line}\n") == [expected]


def test_label_too_long() -> None:
    (line,) = problems_of(f"onset: acute\nlabel: {'x' * 201}\n")
    assert line.startswith("case: label: must be text of at most 200 characters")


def test_unknown_enum_value() -> None:
    assert problems_of("onset: sudden\n") == [
        "case: onset: must be one of acute, chronic, acute_on_chronic (got 'sudden')"
    ]


def test_unknown_red_flag_is_named_by_position() -> None:
    (line,) = problems_of("onset: acute\nred_flags: [cauda_equina, fever]\n")
    assert line.startswith("case: red_flags[1]: must be one of cauda_equina,")
    assert line.endswith("(got 'fever')")


def test_repeated_red_flag() -> None:
    assert problems_of("onset: acute\nred_flags: [major_trauma, major_trauma]\n") == [
        "case: red_flags: listed more than once: major_trauma"
    ]


def test_every_problem_gets_its_own_line() -> None:
    lines = problems_of("onset: sudden\nage: 200\nstenosis: big\nfoo: 1\n")
    assert len(lines) == 4
    assert {line.split(":")[1].strip() for line in lines} == {"onset", "age", "stenosis", "foo"}


def test_contradiction_outcome_without_discectomy() -> None:
    assert problems_of("onset: chronic\ndiscectomy_outcome: failed\n") == [
        "case: discectomy_outcome: given ('failed') but prior_discectomy is not true"
    ]


def test_contradiction_lamina_without_discectomy() -> None:
    assert problems_of("onset: chronic\nlarge_lamina_removal: false\n") == [
        "case: large_lamina_removal: given (false) but prior_discectomy is not true"
    ]


def test_contradiction_reherniation_without_herniation() -> None:
    text = (
        "onset: chronic\nprior_discectomy: true\ndiscectomy_outcome: reherniation\n"
        "herniation: false\n"
    )
    assert problems_of(text) == [
        "case: herniation: false contradicts discectomy_outcome: 'reherniation'"
    ]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CaseError) as raised:
        load_case(tmp_path / "nope.yaml")
    assert raised.value.problems == [f"{tmp_path / 'nope.yaml'}: no such file"]


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_bytes(b"\xff\xfe\x00onset")
    with pytest.raises(CaseError) as raised:
        load_case(path)
    assert raised.value.problems == [f"{path}: is not UTF-8 text"]


def test_oversized_file(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("onset: acute\n" + "#" * 1_100_000)
    with pytest.raises(CaseError) as raised:
        load_case(path)
    assert "a case file is at most" in raised.value.problems[0]


def test_contradictory_timing_is_refused() -> None:
    assert problems_of("onset: chronic\nconservative_care: failed\nsymptom_months: 0\n") == [
        "case: symptom_months: 0 contradicts conservative_care: 'failed' (care cannot have "
        "failed before the pain began)"
    ]
    assert problems_of("onset: acute\nsymptom_months: 36\n") == [
        "case: onset: 'acute' contradicts symptom_months: 36 (pain of more than 3 months is "
        "not acute; for a flare of long-standing pain use onset: acute_on_chronic)"
    ]
    assert parse_case("onset: acute_on_chronic\nsymptom_months: 36\n").symptom_months == 36
    assert parse_case("onset: acute\nsymptom_months: 3\nconservative_care: failed\n").onset == (
        "acute"
    )


def test_red_flags_null_is_not_stated_and_empty_is_screened() -> None:
    assert parse_case("onset: chronic\nred_flags: null\n").red_flags is None
    assert parse_case("onset: chronic\nred_flags: []\n").red_flags == []
    assert parse_case("onset: chronic\n").red_flags is None
