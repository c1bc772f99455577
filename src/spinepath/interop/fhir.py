"""FHIR R4 resources: the pathway as a PlanDefinition, one case's pathway as a RequestGroup.

Built as plain data and checked through the models of ``fhir.resources`` (its
R4B package, whose PlanDefinition, Library, Questionnaire and RequestGroup are
R4's); the suite validates them again with an independent validator that
checks code bindings. See ``docs/fhir.md`` for what each element holds.

Identifiers: spinepath has no published home, so canonical URLs are URNs
(``urn:spinepath:...``), stable across runs and versions of a resource.
"""

from __future__ import annotations

from typing import Any

from spinepath.kb.model import GuidelineCitation, KnowledgeBase, Rule, SeedCitation
from spinepath.pathway.model import Pathway
from spinepath.render import view, words

CANONICAL = "urn:spinepath"
PLAN = f"{CANONICAL}:plandefinition:back-pain-pathway"
#: Code systems of spinepath's own vocabulary (verdicts, case values, evidence).
VERDICT_SYSTEM = f"{CANONICAL}:codesystem:verdict"
CASE_SYSTEM = f"{CANONICAL}:codesystem:case-value"
CONCORDANCE_SYSTEM = f"{CANONICAL}:codesystem:guideline-concordance"
EVIDENCE_SYSTEM = f"{CANONICAL}:codesystem:seed-evidence-level"
STRENGTH = "http://hl7.org/fhir/StructureDefinition/cqf-strengthOfRecommendation"
QUALITY = "http://hl7.org/fhir/StructureDefinition/cqf-qualityOfEvidence"
#: Rules are spinepath's own condition language, shown as readable text.
LANGUAGE = "text/x-spinepath-rule"

#: How pressing each alert is, as a FHIR request priority.
PRIORITY = {"emergency": "stat", "urgent": "urgent", "screen": "routine"}


def library_url(source: str) -> str:
    return f"{CANONICAL}:library:source-{source}"


def related_artifact(kb: KnowledgeBase, citation: SeedCitation | GuidelineCitation) -> dict:
    """A citation as a RelatedArtifact: the verbatim quote, or the guideline in own words."""
    if isinstance(citation, SeedCitation):
        seed = kb.seeds[citation.source]
        return {
            "type": "citation",
            "label": f"source {citation.source}",
            "display": seed.title,
            "citation": f"\u201c{citation.quote}\u201d ({words.where(kb, citation)})",
            "resource": library_url(citation.source),
        }
    ref = citation.reference
    artifact = {
        "type": "citation",
        "label": f"{citation.source} {ref.section}",
        "display": ref.title,
        "citation": f"{words.where(kb, citation)}: {ref.summary} (spinepath's own words)",
    }
    if ref.url:
        artifact["url"] = ref.url
    return artifact


def _artifacts(kb: KnowledgeBase, citations: Any) -> list[dict]:
    seen: list[Any] = []
    for citation in citations:
        if citation not in seen:
            seen.append(citation)
    return [related_artifact(kb, c) for c in seen]


def rule_expression(rule: Rule) -> dict:
    """A rule's conditions as a readable expression (``onset is chronic and ...``)."""
    conditions = words.rule_conditions(rule) or ["always"]
    return {
        "description": f"{rule.id}: {rule.title}",
        "language": LANGUAGE,
        "expression": " and ".join(conditions),
    }


def _coding(system: str, code: str, display: str | None = None) -> dict:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding], "text": display or code}


def _option_action(kb: KnowledgeBase, option_id: str) -> dict:
    treatment = kb.treatment(option_id)
    rules = [r for r in kb.rules if option_id in r.then.options]
    note = kb.evidence[option_id]
    return {
        "id": option_id,
        "title": treatment.name,
        "description": treatment.description,
        "condition": [
            {
                "kind": "applicability",
                "expression": {
                    **rule_expression(rule),
                    "description": (
                        f"{rule.id}: {rule.title} \u2192 "
                        f"{words.VERDICT_WORDS[rule.then.options[option_id]]}"
                    ),
                },
            }
            for rule in rules
        ],
        "documentation": _artifacts(
            kb,
            [c for r in rules for c in r.citations]
            + list(note.seed_position.citations)
            + list(note.guideline_position.citations),
        ),
        "extension": [
            {
                "url": STRENGTH,
                "valueCodeableConcept": _coding(
                    CONCORDANCE_SYSTEM, note.concordance, f"guidelines: {note.concordance}"
                ),
            },
            {
                "url": QUALITY,
                "valueCodeableConcept": _coding(
                    EVIDENCE_SYSTEM, note.seed_evidence_level, f"seeds: {note.seed_evidence_level}"
                ),
            },
        ],
    }


def plan_definition(kb: KnowledgeBase) -> dict:
    """The whole pathway: a stage per action, its options as sub-actions with citations."""
    from spinepath import __version__

    actions = []
    for stage in kb.stages:
        entering = [r for r in kb.rules if r.then.current_stage == stage.id]
        actions.append(
            {
                "id": stage.id,
                "title": stage.name,
                "description": stage.description,
                "condition": [
                    {"kind": "applicability", "expression": rule_expression(rule)}
                    for rule in entering
                ],
                "documentation": _artifacts(kb, [c for r in entering for c in r.citations]),
                "selectionBehavior": "any",
                "action": [_option_action(kb, t.id) for t in stage.treatments],
            }
        )
    return _checked(
        "PlanDefinition",
        {
            "resourceType": "PlanDefinition",
            "id": "back-pain-pathway",
            "url": PLAN,
            "version": kb.meta.version,
            "name": "SpinepathBackPainPathway",
            "title": "Back-pain treatment pathway (spinepath)",
            "type": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/plan-definition-type",
                        "code": "clinical-protocol",
                    }
                ]
            },
            # Not reviewed by an independent clinician: a draft, and for teaching.
            "status": "draft",
            "experimental": True,
            "publisher": f"spinepath {__version__}",
            "description": view.full_disclaimer(kb),
            "purpose": "Education and shared decision-making; not a diagnosis.",
            "lastReviewDate": kb.meta.last_review,
            "relatedArtifact": [
                {"type": "depends-on", "resource": library_url(s)} for s in sorted(kb.seeds)
            ],
            "action": actions,
        },
    )


def libraries(kb: KnowledgeBase) -> list[dict]:
    """A Library per seed: what it is, its evidence level and licence, its quoted passages."""
    out = []
    for seed_id, seed in sorted(kb.seeds.items()):
        quotes = sorted({(c.start, c.end, c.quote) for c in _seed_citations(kb, seed_id)})
        out.append(
            _checked(
                "Library",
                {
                    "resourceType": "Library",
                    "id": f"source-{seed_id}",
                    "url": library_url(seed_id),
                    "version": seed.sha256[:12],
                    "title": seed.title,
                    "status": "active",
                    "type": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/library-type",
                                "code": "asset-collection",
                            }
                        ]
                    },
                    "description": " ".join(
                        f"{seed.kind}; evidence level {seed.evidence_level}; "
                        f"licence: {seed.licence}. {seed.note}".split()
                    ),
                    "relatedArtifact": [
                        {
                            "type": "citation",
                            "label": f"source {seed_id}, characters {start}-{end}",
                            "citation": f"\u201c{quote}\u201d",
                        }
                        for start, end, quote in quotes
                    ],
                },
            )
        )
    return out


def _seed_citations(kb: KnowledgeBase, seed_id: str) -> list[SeedCitation]:
    from spinepath.kb.passages import seed_citations

    return [c for c in seed_citations(kb) if c.source == seed_id]


def questionnaire(kb: KnowledgeBase) -> dict:
    """The consultation's questions: one item per case fact, answers as the case spells them."""
    from spinepath.case.model import allowed_values, spelled

    items = []
    for key, question in kb.questions.items():
        item: dict[str, Any] = {"linkId": key, "text": question.question}
        values = allowed_values(key)
        if key == "red_flags":
            item["type"] = "choice"
            item["repeats"] = True
            item["answerOption"] = [
                {"valueCoding": {"system": CASE_SYSTEM, "code": f, "display": e.name}}
                for f, e in kb.red_flags.items()
            ]
        elif values is None:
            item["type"] = "integer"
        else:
            item["type"] = "choice"
            item["answerOption"] = [
                {
                    "valueCoding": {
                        "system": CASE_SYSTEM,
                        "code": spelled(v),
                        "display": question.choices.get(spelled(v), spelled(v)),
                    }
                }
                for v in values
                if v is not None
            ]
        items.append(item)
    return _checked(
        "Questionnaire",
        {
            "resourceType": "Questionnaire",
            "id": "consult",
            "url": f"{CANONICAL}:questionnaire:consult",
            "version": kb.meta.version,
            "title": "spinepath consultation",
            "status": "draft",
            "experimental": True,
            "description": view.full_disclaimer(kb),
            "item": items,
        },
    )


def request_group(pathway: Pathway, kb: KnowledgeBase) -> dict:
    """One case's pathway: alerts first, then each stage's options with verdicts and citations."""
    actions: list[dict] = [
        {
            "title": alert.headline,
            "description": alert.text,
            "priority": PRIORITY[alert.level],
            "documentation": _artifacts(kb, alert.citations),
        }
        for alert in pathway.alerts
    ]
    for stage in pathway.stages:
        actions.append(
            {
                "id": stage.id,
                "title": f"{stage.name} ({words.status_word(stage.status)})",
                "selectionBehavior": "any",
                "action": [
                    {
                        "id": option.id,
                        "title": view.glance_name(option, words.VERDICT_WORDS[option.verdict]),
                        "description": option.rationale,
                        "code": [_coding(VERDICT_SYSTEM, option.verdict)],
                        "documentation": _artifacts(kb, option.citations),
                    }
                    for option in stage.options
                ],
            }
        )
    for caution in pathway.cautions:
        actions.append(
            {
                "title": f"Caution: {caution.id}",
                "description": caution.text,
                "documentation": _artifacts(kb, caution.citations),
            }
        )
    for missing in pathway.missing_facts:
        actions.append(
            {"title": f"Missing fact: {words.fact_word(missing.fact)}", "description": missing.why}
        )
    return _checked(
        "RequestGroup",
        {
            "resourceType": "RequestGroup",
            "instantiatesCanonical": [f"{PLAN}|{kb.meta.version}"],
            "status": "draft",
            "intent": "proposal",
            "note": [{"text": f"{pathway.disclaimer} {pathway.review_status}"}],
            "action": actions,
        },
    )


def export_resources(kb: KnowledgeBase) -> dict[str, dict]:
    """Every resource ``spinepath export fhir`` writes, by file name."""
    resources = {"PlanDefinition-back-pain-pathway.json": plan_definition(kb)}
    for library in libraries(kb):
        resources[f"Library-{library['id']}.json"] = library
    resources["Questionnaire-consult.json"] = questionnaire(kb)
    return resources


def _checked(kind: str, data: dict) -> dict:
    """``data`` checked by the fhir.resources model of ``kind`` (R4B, R4's resources)."""
    import importlib

    from spinepath.errors import SpinepathError

    try:
        module = importlib.import_module(f"fhir.resources.R4B.{kind.lower()}")
    except ImportError:
        raise SpinepathError(
            "FHIR output needs the fhir extra: pip install 'spinepath[fhir]'"
        ) from None
    getattr(module, kind).model_validate(data)
    return data
