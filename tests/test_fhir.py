"""FHIR R4 export, CDS Hooks cards and the published JSON Schemas, each checked independently.

The FHIR resources are built through fhir.resources' models, which do not check
required code bindings; so every resource is validated here again by FHIR.js
(the npm package ``fhir``, under Node), which does. ``.ci/run`` installs it into
``.cache/node``; elsewhere ``SPINEPATH_NODE_MODULES`` may name another
``node_modules``. Missing, the validator tests skip, and fail in CI.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from spinepath import assess
from spinepath.cli import main
from spinepath.interop import cds_hooks, fhir, schemas
from spinepath.kb.model import SeedCitation
from spinepath.kb.teaching import load_teaching_cases
from tests.helpers import KNOWLEDGE, REPO

SCHEMA_DIR = REPO / "docs" / "schema"
EXAMPLE = KNOWLEDGE / "examples" / "degenerated-disc.yaml"
TEACHING = load_teaching_cases(KNOWLEDGE / "cases")


def _node_modules() -> Path | None:
    configured = os.environ.get("SPINEPATH_NODE_MODULES")
    folder = Path(configured) if configured else REPO / ".cache" / "node" / "node_modules"
    return folder if (folder / "fhir" / "package.json").is_file() else None


def validate_with_fhir_js(resources: list[dict[str, Any]], tmp_path: Path) -> list[dict]:
    """FHIR.js's verdict on each resource: ``{"valid": bool, "messages": [...]}``."""
    modules, node = _node_modules(), shutil.which("node")
    if modules is None or node is None:
        message = "FHIR.js not installed (.ci/run installs it: npm `fhir` in .cache/node)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    given = tmp_path / "resources.json"
    given.write_text(json.dumps(resources), encoding="utf-8")
    script = (
        "const {Fhir} = require('fhir'); const fhir = new Fhir();"
        "const resources = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'));"
        "console.log(JSON.stringify(resources.map("
        "r => fhir.validate(r, {errorOnUnexpected: true}))));"
    )
    result = subprocess.run(
        [node, "-e", script, str(given)],
        capture_output=True,
        text=True,
        env={**os.environ, "NODE_PATH": str(modules)},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _problems(verdicts: list[dict]) -> list[dict]:
    """Every message but the expected one: rule expressions are spinepath's own language,
    outside the (extensible) expression-language value set, so FHIR.js warns."""
    return [
        m
        for verdict in verdicts
        for m in verdict["messages"]
        if not (m["severity"] == "warning" and m["location"].endswith("expression.language"))
        and m["severity"] != "information"
        and not (m["severity"] == "info" and "could not be found" in m["message"])
    ]


@pytest.fixture(scope="module")
def resources(kb) -> dict[str, dict]:
    return fhir.export_resources(kb)


# -- the independent validator ------------------------------------------------------------


def test_exported_resources_pass_fhir_js(resources, tmp_path) -> None:
    verdicts = validate_with_fhir_js(list(resources.values()), tmp_path)
    assert all(v["valid"] for v in verdicts), verdicts
    assert _problems(verdicts) == []


def test_request_groups_of_every_teaching_case_pass_fhir_js(kb, tmp_path) -> None:
    groups = [fhir.request_group(assess(t.case, kb), kb) for t in TEACHING]
    verdicts = validate_with_fhir_js(groups, tmp_path)
    assert all(v["valid"] for v in verdicts)
    assert _problems(verdicts) == []


def test_the_validator_catches_a_wrong_code(resources, tmp_path) -> None:
    # What fhir.resources accepts and a required binding forbids (issue 15's reason).
    wrong = json.loads(json.dumps(resources["PlanDefinition-back-pain-pathway.json"]))
    wrong["status"] = "published"
    from fhir.resources.R4B.plandefinition import PlanDefinition

    PlanDefinition.model_validate(wrong)  # the model library lets it through
    (verdict,) = validate_with_fhir_js([wrong], tmp_path)
    assert not verdict["valid"]
    assert any(m["location"] == "PlanDefinition.status" for m in verdict["messages"])


# -- what the resources say ---------------------------------------------------------------


def test_plan_definition_has_a_stage_per_action_and_an_option_per_treatment(kb, resources) -> None:
    plan = resources["PlanDefinition-back-pain-pathway.json"]
    assert [a["id"] for a in plan["action"]] == [s.id for s in kb.stages]
    for stage, action in zip(kb.stages, plan["action"], strict=True):
        assert [o["id"] for o in action["action"]] == [t.id for t in stage.treatments]
    assert plan["status"] == "draft" and plan["experimental"] is True
    assert "not a diagnosis" in plan["description"]


def test_every_option_cites_its_rules_verbatim_with_strength_and_quality(kb, resources) -> None:
    plan = resources["PlanDefinition-back-pain-pathway.json"]
    for action in (o for stage in plan["action"] for o in stage["action"]):
        rules = [r for r in kb.rules if action["id"] in r.then.options]
        assert len(action["condition"]) == len(rules)
        texts = [d["citation"] for d in action["documentation"]]
        for citation in (c for r in rules for c in r.citations):
            if isinstance(citation, SeedCitation):
                assert any(f"\u201c{citation.quote}\u201d" in t for t in texts), citation
        urls = {
            e["url"]: e["valueCodeableConcept"]["coding"][0]["code"] for e in action["extension"]
        }
        note = kb.evidence[action["id"]]
        assert urls == {fhir.STRENGTH: note.concordance, fhir.QUALITY: note.seed_evidence_level}


def test_conditions_are_readable_expressions(resources) -> None:
    plan = resources["PlanDefinition-back-pain-pathway.json"]
    expressions = [c["expression"]["expression"] for a in plan["action"] for c in a["condition"]]
    assert expressions and all(e and "{" not in e for e in expressions)


def test_libraries_hold_quotes_not_the_articles(kb, resources) -> None:
    for seed_id, seed in kb.seeds.items():
        library = resources[f"Library-source-{seed_id}.json"]
        assert f"licence: {seed.licence}" in library["description"]
        for artifact in library["relatedArtifact"]:
            start, end = map(int, re.findall(r"(\d+)-(\d+)$", artifact["label"])[0])
            assert artifact["citation"] == f"\u201c{seed.text[start:end]}\u201d"


def test_questionnaire_asks_every_question_with_the_case_spellings(kb, resources) -> None:
    items = resources["Questionnaire-consult.json"]["item"]
    assert [i["linkId"] for i in items] == list(kb.questions)
    onset = next(i for i in items if i["linkId"] == "onset")
    assert [o["valueCoding"]["code"] for o in onset["answerOption"]] == [
        "acute",
        "chronic",
        "acute_on_chronic",
    ]


def test_export_command_writes_the_same_bytes_each_time(tmp_path) -> None:
    runner = CliRunner()
    for folder in ("a", "b"):
        result = runner.invoke(main, ["export", "fhir", "-o", str(tmp_path / folder)])
        assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert len(names) == 7
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_assess_format_fhir_is_the_request_group(kb) -> None:
    result = CliRunner().invoke(main, ["assess", str(EXAMPLE), "--format", "fhir"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == fhir.request_group(assess(EXAMPLE), kb)


# -- CDS Hooks ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cards_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / "cds-hooks-cards.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def test_cards_of_every_teaching_case_match_the_schema(kb, cards_validator) -> None:
    for teaching in TEACHING:
        response = cds_hooks.cards(assess(teaching.case, kb), kb)
        errors = [e.message for e in cards_validator.iter_errors(response)]
        assert errors == [], teaching.case.get("label")
        assert response["cards"], teaching.case.get("label")


def test_the_schema_rejects_what_the_specification_forbids(cards_validator) -> None:
    card = {"summary": "x" * 141, "indicator": "urgent", "source": {}}
    messages = " ".join(e.message for e in cards_validator.iter_errors({"cards": [card]}))
    assert "is too long" in messages and "'urgent' is not one of" in messages
    assert "'label' is a required property" in messages


def test_an_emergency_comes_first_as_critical(kb) -> None:
    response = cds_hooks.cards(assess({"onset": "chronic", "red_flags": ["cauda_equina"]}), kb)
    first = response["cards"][0]
    assert first["indicator"] == "critical"
    assert first["source"]["label"] and first["source"]["url"].startswith("http")


def test_card_details_quote_verbatim_and_carry_the_disclaimer(kb) -> None:
    pathway = assess(EXAMPLE)
    response = cds_hooks.cards(pathway, kb)
    details = [re.sub(r"\\(.)", r"\1", c["detail"]) for c in response["cards"]]
    option = pathway.stage(pathway.current_stage).options[0]
    quotes = [c.quote for c in option.citations if isinstance(c, SeedCitation)]
    assert quotes and all(any(q in d for d in details) for q in quotes)
    assert all(pathway.disclaimer.split(".")[0] in d for d in details)


def test_assess_format_cds_hooks_is_deterministic() -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["assess", str(EXAMPLE), "--format", "cds-hooks"]).output
    assert first == runner.invoke(main, ["assess", str(EXAMPLE), "--format", "cds-hooks"]).output
    assert json.loads(first)["cards"]


# -- the case and pathway schemas ---------------------------------------------------------


def test_published_schemas_are_current() -> None:
    for name, make in schemas.PUBLISHED.items():
        assert (SCHEMA_DIR / name).read_bytes() == schemas.encode(make()), (
            f"docs/schema/{name}: run python -m spinepath.interop.schemas"
        )


def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / name).read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"] == f"urn:spinepath:schema:{name.split('.')[0]}:{schema['version']}"
    return jsonschema.Draft202012Validator(schema)


def test_case_schema_accepts_every_teaching_case_and_rejects_contradictions() -> None:
    validator = _validator("case.schema.json")
    for teaching in TEACHING:
        assert list(validator.iter_errors(teaching.case)) == [], teaching.case.get("label")
    for bad in (
        {"onset": "chronic", "discectomy_outcome": "failed"},
        {"onset": "chronic", "prior_discectomy": False, "large_lamina_removal": True},
        {
            "onset": "chronic",
            "prior_discectomy": True,
            "discectomy_outcome": "reherniation",
            "herniation": False,
        },
    ):
        assert list(validator.iter_errors(bad)), bad
    good = {"onset": "chronic", "prior_discectomy": True, "discectomy_outcome": "failed"}
    assert list(validator.iter_errors(good)) == []


def test_pathway_schema_accepts_pathways(kb) -> None:
    validator = _validator("pathway.schema.json")
    for teaching in TEACHING[:10]:
        document = json.loads(assess(teaching.case, kb).to_json())
        assert list(validator.iter_errors(document)) == []
