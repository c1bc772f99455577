"""The ``spinepath`` command line.

Heavy modules (pydantic models, experta, jinja2) are imported inside the
commands that need them, so that ``--help`` is instant and JSON output never
loads the template engine.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from spinepath import __version__
from spinepath.errors import SpinepathError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3

DEMO_CASE = "19_surgical_fusion.yaml"


def reports_errors(command: F) -> F:
    """Turn spinepath's own errors into one line each on standard error and exit code 2."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from spinepath.errors import EngineError, KnowledgeError

        try:
            return command(*args, **kwargs)
        except (KnowledgeError, EngineError) as error:
            kind = "knowledge base" if isinstance(error, KnowledgeError) else "engine"
            for problem in error.problems:
                click.echo(f"spinepath: {kind} error: {problem}", err=True)
            sys.exit(EXIT_INTERNAL)
        except SpinepathError as error:
            for problem in error.problems:
                click.echo(f"spinepath: error: {problem}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except (click.exceptions.Exit, click.ClickException, KeyboardInterrupt, SystemExit):
            raise
        except Exception as error:
            # A bug, not bad input: one line, and the traceback only on request.
            if os.environ.get("SPINEPATH_DEBUG"):
                raise
            click.echo(
                f"spinepath: internal error: {type(error).__name__}: {error} "
                "(set SPINEPATH_DEBUG=1 for the traceback, and please report it)",
                err=True,
            )
            sys.exit(EXIT_INTERNAL)

    return wrapper  # type: ignore[return-value]


EVIDENCE = click.option(
    "--evidence",
    "show_evidence",
    is_flag=True,
    help="Text output: show each option's seed and guideline positions in full, with citations.",
)

FORMAT = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for programs (the pathway contract).",
)


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Run 'spinepath COMMAND --help' for a command's options and examples.",
)
@click.version_option(__version__, "--version", prog_name="spinepath")
def main() -> None:
    """spinepath: a cited back-pain treatment pathway, for education and shared decision-making.

    Not a diagnosis and not medical advice. Every recommendation quotes the
    passage of the source it rests on.

    \b
    Examples:
      spinepath demo
      spinepath assess my-case.yaml
      spinepath assess my-case.yaml --format json
      spinepath rules --stage surgical
      spinepath schema > case.schema.json
    """


@main.command()
@click.argument("case_file", metavar="CASE", type=click.Path(dir_okay=False, path_type=Path))
@FORMAT
@EVIDENCE
@reports_errors
def assess(case_file: Path, output_format: str, show_evidence: bool) -> None:
    """Assess the case in CASE (YAML or JSON) and print its cited pathway.

    Bad input (malformed file, unknown key, value out of range, contradictory
    facts) prints one line per problem on standard error and exits with 2.

    \b
    Examples:
      spinepath assess case.yaml
      spinepath assess case.yaml --evidence
      spinepath assess case.json --format json | jq .current_stage
    """
    from spinepath.case import load_case

    _print_pathway(load_case(case_file), output_format, show_evidence)


@main.command()
@FORMAT
@EVIDENCE
@reports_errors
def demo(output_format: str, show_evidence: bool) -> None:
    """Assess a bundled example case (a teaching case: degenerated disc with facet arthritis).

    \b
    Examples:
      spinepath demo
      spinepath demo --evidence
      spinepath demo --format json
    """
    from spinepath.case.loading import validate_case
    from spinepath.kb.loading import knowledge_dir
    from spinepath.kb.teaching import load_teaching_case

    teaching = load_teaching_case(knowledge_dir() / "cases" / DEMO_CASE)
    _print_pathway(validate_case(teaching.case, source=DEMO_CASE), output_format, show_evidence)


def _print_pathway(case: Any, output_format: str, show_evidence: bool) -> None:
    from spinepath.kb.loading import load_knowledge
    from spinepath.pathway.build import assess as run

    kb = load_knowledge()
    pathway = run(case, kb)
    if output_format == "json":
        click.echo(pathway.to_json())
    else:
        from spinepath.render.text import render_pathway

        click.echo(render_pathway(pathway, kb, show_evidence=show_evidence), nl=False)


@main.command()
@FORMAT
@click.option(
    "--stage",
    type=click.Choice(["referral", "conservative", "non_invasive", "surgical"]),
    help="Only the rules of this stage.",
)
@reports_errors
def rules(output_format: str, stage: str | None) -> None:
    """List the knowledge base's rules: id, stage, conditions, conclusion and citations.

    \b
    Examples:
      spinepath rules
      spinepath rules --stage non_invasive
      spinepath rules --format json
    """
    from spinepath.kb.loading import load_knowledge

    kb = load_knowledge()
    selected = [rule for rule in kb.rules if stage is None or rule.stage == stage]
    if output_format == "json":
        payload = {
            "knowledge_version": kb.meta.version,
            "rules": [rule.model_dump(mode="json", exclude={"position"}) for rule in selected],
        }
        click.echo(json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        from spinepath.render.text import render_rules

        click.echo(render_rules(kb, selected), nl=False)


@main.command()
def schema() -> None:
    """Print the JSON Schema of a case file.

    \b
    Example:
      spinepath schema > case.schema.json
    """
    from spinepath.case.model import Case

    document = Case.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "spinepath case"
    click.echo(json.dumps(document, indent=2, sort_keys=True))


if __name__ == "__main__":  # pragma: no cover - `python -m spinepath.cli`
    main()
