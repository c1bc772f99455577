"""Commands of interop: ``spinepath export fhir``; ``assess --format fhir|cds-hooks``.

Like the command line, they get the knowledge base and pathways through
:mod:`spinepath.api` (docs/design.md); the builders (:mod:`spinepath.interop.fhir`,
:mod:`spinepath.interop.cds_hooks`) turn them into documents.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

#: The formats of one case's pathway that this package adds to ``assess``.
PATHWAY_FORMATS = ("fhir", "cds-hooks")


def pathway_document(pathway: Any, kb: Any, output_format: str) -> str:
    """One case's pathway as a FHIR RequestGroup or a CDS Hooks response, as JSON text."""
    if output_format == "fhir":
        from spinepath.interop.fhir import request_group

        document = request_group(pathway, kb)
    else:
        from spinepath.interop.cds_hooks import cards

        document = cards(pathway, kb)
    return _json(document)


def _json(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)


@click.group()
def export() -> None:
    """Write the knowledge base in a standard format.

    \b
    Example:
      spinepath export fhir -o fhir/
    """


@export.command()
@click.option(
    "-o",
    "--output",
    "directory",
    metavar="DIR",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to write the resources into (created if missing).",
)
def fhir(directory: Path) -> None:
    """Write the pathway as FHIR R4 resources (JSON), one file each, into DIR.

    A PlanDefinition of the whole pathway (stages, options, their conditions and
    citations with verbatim quotes), a Library per source, and the consultation
    as a Questionnaire. Needs the fhir extra (pip install 'spinepath[fhir]').
    See docs/fhir.md.
    """
    from spinepath import api
    from spinepath.errors import SpinepathError
    from spinepath.files import replace_atomically
    from spinepath.interop.fhir import export_resources

    try:
        resources = export_resources(api.knowledge_base())
        directory.mkdir(parents=True, exist_ok=True)
        for name, resource in resources.items():
            replace_atomically(directory / name, (_json(resource) + "\n").encode("utf-8"))
    except SpinepathError as error:
        for problem in error.problems:
            click.echo(f"spinepath: error: {problem}", err=True)
        sys.exit(2)
    except OSError as error:
        click.echo(f"spinepath: error: {error.filename or directory}: {error.strerror}", err=True)
        sys.exit(2)
    click.echo(f"wrote {len(resources)} FHIR resources to {directory}", err=True)
