"""The JSON Schemas of a case file and of the pathway, as published in ``docs/schema/``.

Each has a stable ``$id`` (``urn:spinepath:schema:NAME:VERSION``) and a
``version``: the version changes when a document valid before may no longer be.
The case schema adds what the case model checks beyond single values and a
schema can say: a fact that only follows another (``discectomy_outcome`` and
``large_lamina_removal`` only with ``prior_discectomy: true``) and a herniation
that a reherniation contradicts. Contradictions between numbers and other facts
(``symptom_months`` against ``onset``) are left to spinepath's own check.

``python -m spinepath.interop.schemas`` rewrites the files; a test checks that
they are current.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCHEMA_VERSION = "1"
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def case_schema() -> dict[str, Any]:
    from spinepath.case.model import Case

    document = Case.model_json_schema()
    only_after_discectomy = {
        "if": {
            "anyOf": [
                {"required": ["discectomy_outcome"]},
                {"required": ["large_lamina_removal"]},
            ]
        },
        "then": {
            "required": ["prior_discectomy"],
            "properties": {"prior_discectomy": {"const": True}},
        },
    }
    reherniation = {
        "if": {
            "required": ["discectomy_outcome"],
            "properties": {"discectomy_outcome": {"const": "reherniation"}},
        },
        "then": {
            "not": {"required": ["herniation"], "properties": {"herniation": {"const": False}}}
        },
    }
    document["allOf"] = [only_after_discectomy, reherniation]
    return _published("case", "spinepath case", document)


def pathway_schema() -> dict[str, Any]:
    from spinepath.pathway.model import Pathway

    return _published(
        "pathway", "spinepath pathway", Pathway.model_json_schema(mode="serialization")
    )


def _published(name: str, title: str, document: dict[str, Any]) -> dict[str, Any]:
    return {
        "$schema": DRAFT,
        "$id": f"urn:spinepath:schema:{name}:{SCHEMA_VERSION}",
        "version": SCHEMA_VERSION,
        **{k: v for k, v in document.items() if k not in ("title",)},
        "title": title,
    }


def encode(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


#: The published files, by name, and what makes each.
PUBLISHED = {"case.schema.json": case_schema, "pathway.schema.json": pathway_schema}


def main() -> None:
    from spinepath.files import replace_atomically

    folder = Path(__file__).resolve().parents[3] / "docs" / "schema"
    for name, make in PUBLISHED.items():
        replace_atomically(folder / name, encode(make()))
        print(f"wrote {folder / name}")


if __name__ == "__main__":
    main()
