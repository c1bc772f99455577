"""The documentation of the case format is checked against the case model and the schema."""

from __future__ import annotations

import json
import re

import yaml
from click.testing import CliRunner

from spinepath.case.loading import validate_case
from spinepath.case.model import CASE_KEYS, allowed_values, spelled
from spinepath.cli import main
from tests.helpers import REPO

CASE_FORMAT = REPO / "docs" / "case-format.md"


def documented_keys() -> dict[str, str]:
    """The key table of docs/case-format.md: key -> its 'values' cell."""
    rows = re.findall(r"^\| `([a-z_]+)` \| (.+?) \| (.+?) \|$", CASE_FORMAT.read_text(), re.M)
    return {key: values for key, values, _ in rows}


def test_every_case_key_is_documented_in_order() -> None:
    assert list(documented_keys()) == list(CASE_KEYS)


def test_documented_values_are_the_models() -> None:
    for key, cell in documented_keys().items():
        values = allowed_values(key)
        if values is None:
            continue  # numbers and text, checked below
        listed = re.findall(r"`([a-z_]+)`", cell)
        assert listed == [spelled(v) for v in values if v is not None], key


def test_documented_keys_are_the_schemas() -> None:
    result = CliRunner().invoke(main, ["schema"])
    schema = json.loads(result.stdout)
    assert set(schema["properties"]) == set(documented_keys())
    assert schema["required"] == ["onset"]


def test_the_example_is_a_valid_case() -> None:
    text = CASE_FORMAT.read_text()
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    case = validate_case(yaml.safe_load(example), source="docs/case-format.md")
    assert case.red_flags == []


def test_nothing_links_outside_the_repository() -> None:
    for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        text = path.read_text()
        assert "../shared" not in text and "/work/" not in text, path.name
