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


# --- treatment ids, JSON output, links ---------------------------------------------------

TREATMENTS = REPO / "docs" / "treatments.md"
JSON_OUTPUT = REPO / "docs" / "json-output.md"


def test_treatment_ids_are_the_knowledge_bases(kb) -> None:
    text = TREATMENTS.read_text()
    documented = re.findall(r"^\| `([a-z_]+)` \| (.+?) \| .+ \|$", text, re.M)
    assert documented == [(t.id, t.name) for stage in kb.stages for t in stage.treatments]
    stages = re.findall(r"^## .+ \(`([a-z_]+)`\)$", text, re.M)
    assert stages == [stage.id for stage in kb.stages]


def _json_tables() -> dict[str, dict[str, str]]:
    """docs/json-output.md: object name -> {field: meaning cell}."""
    tables = {}
    for section in JSON_OUTPUT.read_text().split("\n## ")[1:]:
        name = re.match(r"`(\w+)`", section)
        assert name, section[:40]
        rows = re.findall(r"^\| `(\w+)` \| .+? \| (.+) \|$", section, re.M)
        tables[name.group(1)] = dict(rows)
    return tables


def test_json_output_documents_every_field_of_the_pathway_model() -> None:
    from spinepath.pathway.model import Pathway

    schema = Pathway.model_json_schema()
    objects = {"Pathway": schema, **schema["$defs"]}
    tables = _json_tables()
    assert set(tables) == set(objects)
    for name, table in tables.items():
        properties = objects[name]["properties"]
        assert list(table) == list(properties), name
        for field, meaning in table.items():
            # A field with a closed set of values names every one of them.
            values = properties[field].get("enum") or []
            named = set(re.findall(r"`(\w+)`", meaning))
            assert set(values) <= named, f"{name}.{field}: {set(values) - named}"


def _links(path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    return re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)


def test_every_link_inside_the_repository_exists() -> None:
    for page in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for link in _links(page):
            if link.startswith(("http://", "https://", "mailto:")):
                continue
            assert (page.parent / link).exists(), f"{page.name}: {link}"


TEXT_SUFFIXES = ("", ".md", ".py", ".yaml", ".toml", ".txt", ".json", ".j2", ".html", ".css")


def test_no_path_of_a_particular_machine_in_code_or_docs() -> None:
    # A checkout must not depend on where one machine kept it, nor leak it.
    machine = re.compile(r"(?<![\w.])/(?:work|root|home|Users)/[\w.-]+")
    places = ["README.md", ".ci", "docs", "src", "tests", "tools", "benchmarks", "knowledge"]
    found = []
    for place in places:
        path = REPO / place
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            if file.suffix not in TEXT_SUFFIXES:
                continue
            text = file.read_text(errors="replace")
            found += [
                f"{file.relative_to(REPO)}: {m}"
                for m in machine.findall(text)
                if m != "/home/someone"  # the made-up HOME of tests/test_kb_cache.py
            ]
    assert not found, found
