"""spinepath in the formats other tools read: FHIR R4, CDS Hooks cards, JSON Schemas.

- :mod:`spinepath.interop.fhir`: the knowledge base as a FHIR ``PlanDefinition`` with a
  ``Library`` per source and the consultation as a ``Questionnaire``; one case's pathway
  as a ``RequestGroup`` (needs the ``fhir`` extra: ``fhir.resources``);
- :mod:`spinepath.interop.cds_hooks`: one case's pathway as CDS Hooks cards;
- :mod:`spinepath.interop.schemas`: the JSON Schemas published in ``docs/schema/``.

Everything here reads the knowledge base and the pathway; nothing decides anew.
"""
