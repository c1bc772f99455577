"""The ``spinepath`` command line.

Errors become exit codes in one place, :class:`SpinepathGroup`, so a command only
raises; a new command lives in a module of its own and is registered here with one
``main.add_command(...)`` line. Every ``--format`` comes from :func:`format_option`.

Every command gets its cases, knowledge base, pathways, what-ifs, explanations and
explorations from :mod:`spinepath.api`, the library's entrance, and adds only options,
rendering (:mod:`spinepath.render`) and files; ``tests/test_cli_api.py`` holds it to that
(docs/design.md, "The commands go through the API").

Heavy modules (pydantic models, experta, jinja2) are imported inside the
commands that need them, so that ``--help`` is instant and JSON output never
loads the template engine.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import click

from spinepath import __version__
from spinepath.errors import SpinepathError

if TYPE_CHECKING:  # imported when completing only, to keep every start fast
    from click.shell_completion import CompletionItem

F = TypeVar("F", bound=Callable[..., Any])

#: Exit codes (docs/errors.md). 1 is verify's "a check failed".
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
#: Standard output could not be written (closed, full, a reader gone), as Python's own 120.
EXIT_OUTPUT = 120
#: Ctrl-C (SIGINT) and SIGTERM: 128 plus the signal's number, as a shell reports them.
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class StdoutFailed(Exception):
    """Standard output cannot be written; raised by :class:`GuardedStdout` in its place."""

    def __init__(self, error: OSError | None) -> None:
        self.reason = error.strerror if error is not None and error.strerror else "closed"
        super().__init__(self.reason)


class Terminated(BaseException):
    """SIGTERM arrived (a BaseException, so that nothing on the way mistakes it for a bug)."""


class GuardedStdout:
    """Standard output whose write failures are :class:`StdoutFailed`, not ``OSError``.

    A failure to write the output is then told apart, wherever it happens (in click's
    help, in a command, at the final flush), from an ``OSError`` that is a bug.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return int(self._stream.write(text))
        except OSError as error:
            raise StdoutFailed(error) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as error:
            raise StdoutFailed(error) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

DEMO_CASE = "19_surgical_fusion.yaml"


class SpinepathGroup(click.Group):
    """The command group, and the one place where errors become exit codes.

    Every subcommand runs inside :meth:`invoke`, so each error is handled the
    same way whichever command raised it: spinepath's own errors are one line per
    problem on standard error (exit 2, or 3 for a broken knowledge base or
    engine), Ctrl-C is 130, SIGTERM 143, and a bug is one line and exit 3 (the
    traceback only with ``SPINEPATH_DEBUG``). click's own usage errors and exits
    pass through to click, and a lost standard output to :func:`entry_point`.
    """

    def invoke(self, ctx: click.Context) -> Any:
        from spinepath.errors import EngineError, KnowledgeError

        try:
            return super().invoke(ctx)
        except (KnowledgeError, EngineError) as error:
            kind = "knowledge base" if isinstance(error, KnowledgeError) else "engine"
            _echo_problems(error, f"spinepath: {kind} error: ", fold=True)
            sys.exit(EXIT_INTERNAL)
        except SpinepathError as error:
            _echo_problems(error, "spinepath: error: ")
            sys.exit(EXIT_BAD_INPUT)
        except (click.exceptions.Exit, click.ClickException, SystemExit, StdoutFailed):
            raise
        except (KeyboardInterrupt, click.Abort):
            # Ctrl-C, or a prompt's end of input that the command did not handle.
            click.echo("\nspinepath: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except Terminated:
            click.echo("spinepath: terminated", err=True)
            sys.exit(EXIT_TERMINATED)
        except BrokenPipeError as error:
            # Standard output without the entry point's guard (as under a test runner).
            raise StdoutFailed(error) from None
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


def _echo_problems(error: SpinepathError, prefix: str, *, fold: bool = False) -> None:
    """One line per problem on standard error; a key name or path from the case cannot
    break the line or drive the terminal. ``fold`` joins the lines of a message of our
    own (a YAML parser's, about the knowledge base) instead of escaping its newlines."""
    from spinepath.terminal import visible

    for problem in error.problems:
        if fold:
            problem = " ".join(line.strip() for line in problem.splitlines())
        click.echo(prefix + visible(problem), err=True)


EVIDENCE = click.option(
    "--evidence",
    "show_evidence",
    is_flag=True,
    help="Show each option's seed and guideline positions in full, with citations.",
)

#: What each output format is for, in the options' help.
FORMAT_USES = {
    "text": "text for people",
    "json": "json for programs",
    "md": "md to paste into notes",
    "html": "html in the look of the reports",
    "fhir": "fhir for a FHIR R4 RequestGroup (docs/fhir.md)",
    "cds-hooks": "cds-hooks for CDS Hooks cards (docs/fhir.md)",
}


def format_option(*formats: str, json_is: str = "") -> Callable[[F], F]:
    """The ``--format`` option offering ``formats``, the first one the default.

    ``json_is`` names what the JSON is (for example "the pathway contract").
    """
    uses = [FORMAT_USES[name] for name in formats]
    if json_is and "json" in formats:
        uses[formats.index("json")] += f" ({json_is})"
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(list(formats)),
        default=formats[0],
        show_default=True,
        help=", ".join(uses) + ".",
    )


# --- shell completion -------------------------------------------------------------------
# Completions are read from the knowledge base and the case model, so they can never
# offer an id or a value the command would refuse. A completion must never print an
# error into the person's prompt, so a broken knowledge base completes nothing.


def complete_treatment(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Treatment ids of the knowledge base (``--how``, ``--why-not``), with their names."""
    from click.shell_completion import CompletionItem

    from spinepath import api

    try:
        kb = api.knowledge_base()
    except SpinepathError:
        return []
    return [
        CompletionItem(treatment.id, help=treatment.name)
        for stage in kb.stages
        for treatment in stage.treatments
        if treatment.id.startswith(incomplete)
    ]


def setting_values(key: str) -> list[str]:
    """The values ``--set KEY=`` can take, as a case file spells them (for numbers and
    text, which have too many, only ``null``), ``null`` (not stated) last."""
    from spinepath import api

    return api.fact_values(key)


def complete_setting(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """``--set``: a case key followed by ``=``, then, after the ``=``, that key's values."""
    from click.shell_completion import CompletionItem

    from spinepath import api

    keys = api.case_keys()
    key, equals, value = incomplete.partition("=")
    if not equals:
        return [
            CompletionItem(f"{name}=", type="plain")
            for name in keys
            if name.startswith(key)
        ]
    if key not in keys:
        return []
    return [
        CompletionItem(f"{key}={choice}")
        for choice in setting_values(key)
        if choice.startswith(value)
    ]


def entry_point() -> None:
    """The ``spinepath`` program: run the command, then exit without tearing down Python.

    Tearing down the interpreter (freeing pydantic's and experta's objects one
    by one) takes about 30 ms, a sixth of a start, and a finished command has
    nothing left for it to do: every file spinepath writes is closed where it is
    written. So standard output and error are flushed and the process ends.
    With ``SPINEPATH_DEBUG`` set, or under a tracer or profiler (coverage, for
    one), the ordinary exit runs instead, so that their exit hooks still run.

    Standard output that cannot be written (closed, ``/dev/full``, a reader gone)
    is one line on standard error and exit code 120, for every command.
    """
    status = _flushed(_run())
    watched = sys.gettrace() or sys.getprofile() or "coverage" in sys.modules
    if os.environ.get("SPINEPATH_DEBUG") or watched:
        sys.exit(status)
    os._exit(status)


def _run() -> int:
    """Run the command line; its exit status."""
    if sys.stdout is None:  # started with standard output closed (`>&-`)
        return _stdout_failed(StdoutFailed(None))
    sys.stdout = GuardedStdout(sys.stdout)  # type: ignore[assignment]
    try:
        main(prog_name="spinepath")
    except SystemExit as finished:
        return _status(finished.code)
    except StdoutFailed as failure:
        return _stdout_failed(failure)
    except KeyboardInterrupt:
        print("\nspinepath: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


def _status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # what sys.exit does with a message
    return 1


def _flushed(status: int) -> int:
    """Flush what is left of the output; the exit status, 120 if the output was lost."""
    try:
        sys.stdout.flush()
    except (StdoutFailed, OSError, AttributeError) as failure:
        if status != EXIT_OUTPUT:
            reason = failure if isinstance(failure, StdoutFailed) else StdoutFailed(None)
            status = _stdout_failed(reason)
    with contextlib.suppress(OSError, AttributeError):
        sys.stderr.flush()
    return status


def _stdout_failed(failure: StdoutFailed) -> int:
    """Say once that the output was lost; make later writes harmless; exit code 120."""
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until the process ends
    print(
        f"spinepath: error: cannot write to standard output ({failure.reason})", file=sys.stderr
    )
    return EXIT_OUTPUT


@click.group(
    cls=SpinepathGroup,
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
      spinepath walkthrough my-case.yaml --interactive
      spinepath explain my-case.yaml --why-not disc_replacement
      spinepath rules --stage surgical
      spinepath schema > case.schema.json
    """


@main.command()
@click.argument("case_file", metavar="CASE", type=click.Path(dir_okay=False, path_type=Path))
@format_option("text", "json", "md", "fhir", "cds-hooks", json_is="the pathway contract")
@EVIDENCE
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
    from spinepath import api

    _print_pathway(api.load_case(case_file), output_format, show_evidence)


@main.command()
@format_option("text", "json", "md", "fhir", "cds-hooks", json_is="the pathway contract")
@EVIDENCE
def demo(output_format: str, show_evidence: bool) -> None:
    """Assess a bundled example case (a teaching case: degenerated disc with facet arthritis).

    \b
    Examples:
      spinepath demo
      spinepath demo --evidence
      spinepath demo --format json
    """
    from spinepath import api

    _print_pathway(api.teaching_case(DEMO_CASE), output_format, show_evidence)


def _print_pathway(case: Any, output_format: str, show_evidence: bool) -> None:
    from spinepath import api

    kb = api.knowledge_base()
    pathway = api.assess(case, kb)
    if output_format == "json":
        from spinepath.terminal import json_for_terminal

        click.echo(json_for_terminal(pathway.to_json()))
    elif output_format in ("fhir", "cds-hooks"):
        from spinepath.interop.commands import pathway_document

        click.echo(pathway_document(pathway, kb, output_format))
    elif output_format == "md":
        from spinepath.render.markdown import render_markdown

        click.echo(render_markdown(pathway, kb, show_evidence=show_evidence), nl=False)
    else:
        from spinepath.render.text import render_pathway

        click.echo(render_pathway(pathway, kb, show_evidence=show_evidence), nl=False)


def html_output(command: F) -> F:
    """``-o PATH`` and ``--force``: write the HTML page to a file, by ``report``'s rules."""
    command = click.option("--force", is_flag=True, help="Replace an existing file.")(command)
    return click.option(
        "-o",
        "--output",
        type=click.Path(path_type=Path),
        help="Write the page to this .html file (with --format html), whole or not at all.",
    )(command)


CASE_ARGUMENT = click.argument(
    "case_file", metavar="CASE", type=click.Path(dir_okay=False, path_type=Path)
)


@main.command()
@CASE_ARGUMENT
@format_option("text", "json")
@click.option(
    "--interactive",
    is_flag=True,
    help="Wait for Enter between steps (in a terminal); type q and Enter to stop.",
)
def walkthrough(case_file: Path, output_format: str, interactive: bool) -> None:
    """Step through the reasoning for CASE, rule by rule, in firing order.

    Each step shows the rule (id, stage, conditions in domain words), the facts
    it matched, what it concluded, and the passage it rests on.

    \b
    Examples:
      spinepath walkthrough case.yaml
      spinepath walkthrough case.yaml --interactive
      spinepath walkthrough case.yaml --format json
    """
    from spinepath import api

    kb, pathway = _assess_file(case_file)
    steps = api.walkthrough(pathway, kb)
    if output_format == "json":
        _echo_json(
            {
                "case": pathway.case,
                "disclaimer": pathway.disclaimer,
                "review_status": pathway.review_status,
                "steps": steps,
            }
        )
        return
    from spinepath.render.text import render_walkthrough_step

    waits = interactive and sys.stdin.isatty()
    for index, step in enumerate(steps):
        last = index == len(steps) - 1
        click.echo(
            render_walkthrough_step(pathway, kb, step, header=index == 0, footer=last), nl=False
        )
        if waits and not last and not _next_step():
            break


def _next_step() -> bool:
    """Wait for Enter; False when the person stops (q, or the end of input)."""
    try:
        return input("[Enter: next step, q: stop] ").strip().lower() != "q"
    except EOFError:
        click.echo("")
        return False


@main.command()
@CASE_ARGUMENT
@click.option(
    "--how",
    "how_option",
    metavar="OPTION",
    shell_complete=complete_treatment,
    help="How was OPTION's verdict reached?",
)
@click.option(
    "--why-not",
    "why_not_option",
    metavar="OPTION",
    shell_complete=complete_treatment,
    help="Why is OPTION not recommended?",
)
@format_option("text", "json")
def explain(
    case_file: Path, how_option: str | None, why_not_option: str | None, output_format: str
) -> None:
    """Explain one option's verdict for CASE: --how it was reached, or --why-not another.

    OPTION is a treatment id of the contract (for example disc_replacement,
    fusion, prp). --why-not works for every option, including ones absent from
    the pathway: it lists each rule that can conclude on the option, which of
    its conditions failed for this case, and what would have satisfied them.

    \b
    Examples:
      spinepath explain case.yaml --how fusion
      spinepath explain case.yaml --why-not disc_replacement
      spinepath explain case.yaml --why-not laminotomy --format json
    """
    from spinepath import api

    if (how_option is None) == (why_not_option is None):
        raise SpinepathError("explain: give exactly one of --how OPTION or --why-not OPTION")
    kb, pathway = _assess_file(case_file)
    kind: Literal["how", "why_not"] = "how" if how_option else "why_not"
    explanation = api.explain(pathway, how_option or why_not_option or "", kind=kind, kb=kb)
    if output_format == "json":
        _echo_json(
            {
                kind: explanation,
                "disclaimer": pathway.disclaimer,
                "review_status": pathway.review_status,
            }
        )
    else:
        from spinepath.render.text import render_explanation

        click.echo(render_explanation(kb, kind, explanation), nl=False)


@main.command(name="what-if")
@CASE_ARGUMENT
@click.option(
    "--set",
    "settings",
    metavar="KEY=VALUE",
    multiple=True,
    required=True,
    shell_complete=complete_setting,
    help="A fact to change (repeatable); KEY=null makes it not stated.",
)
@format_option("text", "json", "html")
@html_output
def what_if(
    case_file: Path,
    settings: tuple[str, ...],
    output_format: str,
    output: Path | None,
    force: bool,
) -> None:
    """Compare CASE's pathway with the pathway of CASE changed by --set.

    Shows the current stage before and after, options gained, lost or changed in
    verdict, cautions and missing facts that appear or go, and for each
    difference the rule and the passage responsible. A bad --set gets the same
    errors as a bad case file.

    \b
    Examples:
      spinepath what-if case.yaml --set facet_arthritis=false
      spinepath what-if case.yaml --set non_invasive_therapy=helped --set daily_life=limited
      spinepath what-if case.yaml --set red_flags=[cauda_equina] --format json
      spinepath what-if case.yaml --set facet_arthritis=false --format html -o what-if.html
    """
    from spinepath import api

    target = _html_target(output, output_format, force)
    case = api.load_case(case_file)
    difference = api.what_if(case, api.parse_settings(settings), source="--set")
    kb = api.knowledge_base()
    _print_what_if(kb, output_format, case.label, difference=difference, target=(target, force))


@main.command()
@CASE_ARGUMENT
@click.option("--pairs", is_flag=True, help="Also try every pair of changes (slower).")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="With --pairs, show this many pairs, most useful first.",
)
@format_option("text", "json", "html")
@html_output
def explore(
    case_file: Path,
    pairs: bool,
    limit: int,
    output_format: str,
    output: Path | None,
    force: bool,
) -> None:
    """Find every change of one fact that moves CASE's stage or changes a recommendation.

    Changes come in the order a patient would ask: those that move the case
    toward surgery, then away from it, then within its stage; in each, facts a
    patient can change (how long care was tried, whether it helped) before
    findings only a scan can change. Each comes with the rules and passages that
    make the difference. --pairs also tries changes of two facts at once and
    shows the --limit most useful.

    \b
    Examples:
      spinepath explore case.yaml
      spinepath explore case.yaml --format html -o explore.html
      spinepath explore case.yaml --pairs --format json
    """
    from spinepath import api

    target = _html_target(output, output_format, force)
    case = api.load_case(case_file)
    kb = api.knowledge_base()
    if pairs and sys.stderr.isatty():
        total = api.explore_size(case, kb)
        with click.progressbar(length=total, label="exploring", file=sys.stderr) as bar:
            exploration = api.explore(case, pairs=True, limit=limit, progress=bar.update, kb=kb)
    else:
        exploration = api.explore(case, pairs=pairs, limit=limit, kb=kb)
    _print_what_if(kb, output_format, case.label, exploration=exploration, target=(target, force))


def _html_target(output: Path | None, output_format: str, force: bool) -> Path | None:
    """The checked file ``-o`` names, before any work is done; None to print instead."""
    from spinepath.render.output import OutputError, checked_target

    if output is None:
        return None
    if output_format != "html":
        raise OutputError("-o writes HTML: add --format html")
    return checked_target(output, "html", force=force)


def _print_what_if(
    kb: Any,
    output_format: str,
    label: str | None,
    *,
    difference: Any = None,
    exploration: Any = None,
    target: tuple[Path | None, bool] = (None, False),
) -> None:
    """Print a what-if difference or an exploration as json, html or text, or write the
    html to ``target`` (a checked path and whether to replace it)."""
    kind = "what_if" if difference is not None else "explore"
    if output_format == "json":
        disclaimer = kb.meta.disclaimer  # folded by the loader
        review = kb.meta.review_status()
        _echo_json(
            {kind: difference or exploration, "disclaimer": disclaimer, "review_status": review}
        )
        return
    if output_format == "html":
        from spinepath.render.html import render_what_if_html as render
    else:
        from spinepath.render.text import render_what_if as render
    page = render(kb, kind=kind, label=label, difference=difference, exploration=exploration)
    path, force = target
    if path is None:
        click.echo(page, nl=False)
        return
    from spinepath.render.output import write_output

    write_output(path, page.encode("utf-8"), force=force)
    click.echo(str(path))


@main.command()
@click.argument(
    "partial_case",
    metavar="[CASE]",
    required=False,
    type=click.Path(dir_okay=False, path_type=Path),
)
def consult(partial_case: Path | None) -> None:
    """Build a case by answering questions, then see its pathway.

    Asks one question at a time, in plain language, and only questions whose
    answer can still change the pathway (red flags first). Answer with a number
    or a word; "unknown" is always an answer; "why" says what the question is
    for; "q" stops. At the end it shows the pathway and offers to save the case
    file. Give a partial CASE file to resume from it.

    \b
    Examples:
      spinepath consult
      spinepath consult half-done.yaml
    """
    from spinepath import api
    from spinepath.render.text import render_pathway, wrap

    kb = api.knowledge_base()
    session = api.consultation(partial_case, kb)
    click.echo(wrap("NOT A DIAGNOSIS. " + kb.meta.disclaimer, 2, "! "))
    click.echo('Answer with a number or a word. "unknown" is always an answer; "why" says')
    click.echo('what a question is for; "q" stops.')
    try:
        _ask_questions(session)
    except KeyboardInterrupt:
        click.echo("\n\nInterrupted. The answers so far can still be kept.")
        _offer_to_save(session.case_file_text())
        sys.exit(EXIT_INTERRUPTED)
    except EOFError:
        click.echo("\n(end of input: stopping here)")
    click.echo("")
    if "onset" not in session.answers:
        click.echo("Stopped before onset was known: no pathway yet.")
    else:
        pathway = api.assess(session.case(), kb)
        click.echo(render_pathway(pathway, kb), nl=False)
        for note in session.notes:
            click.echo(wrap(f"Note: {note}", 2, "! "))
    if _offer_to_save(session.case_file_text()) == "interrupted":
        sys.exit(EXIT_INTERRUPTED)


def _ask_questions(session: Any) -> None:
    """Ask until no question can change the pathway or the person stops.

    Raises ``KeyboardInterrupt`` on Ctrl-C and ``EOFError`` at the end of input.
    """
    from spinepath.api import Answer
    from spinepath.render.text import wrap

    kb = session.kb
    while (key := session.next_question()) is not None:
        question = kb.questions[key]
        click.echo("")
        click.echo(wrap(question.question, 2))
        for term, meaning in session.terms(key):
            click.echo(wrap(f"({term}: {meaning})", 4, "  "))
        for number, (words, _) in enumerate(session.choices(key), start=1):
            click.echo(f"  {number}. {words}")
        while True:
            text = _ask("  your answer")
            try:
                value = session.interpret(key, text)
            except ValueError as hint:
                click.echo(f"  Sorry: {hint}.")
                continue
            if value == Answer.WHY:
                click.echo("  Your answer decides, in the knowledge base:")
                for line in session.why(key):
                    click.echo(wrap(line, 6, "    - "))
                continue
            if value == Answer.QUIT:
                return
            session.record(key, value)
            if key == "red_flags" and _emergency_stop(session):
                return
            break


def _emergency_stop(session: Any) -> bool:
    """An emergency ends the questions at once; the rest are offered only as optional.

    True when the person stops there. Ctrl-C and end of input propagate as in :func:`_ask`.
    """
    from spinepath.render.text import wrap

    alert = session.emergency()
    if alert is None:
        return False
    click.echo("")
    click.echo(wrap(alert.headline.upper(), 4, "!!! "))
    click.echo(wrap(alert.text, 4))
    click.echo("")
    return not _confirm("  The other questions are optional now. Go on with them?")


def _ask(text: str) -> str:
    """``click.prompt`` with Ctrl-C as ``KeyboardInterrupt`` and end of input as ``EOFError``.

    click turns both into one ``Abort``; the exception it replaced says which.
    """
    try:
        return str(click.prompt(text, default="", show_default=False))
    except click.Abort as abort:
        raise _what_aborted(abort) from None


def _confirm(text: str) -> bool:
    """``click.confirm``, with Ctrl-C and end of input told apart as in :func:`_ask`."""
    try:
        return click.confirm(text, default=False)
    except click.Abort as abort:
        raise _what_aborted(abort) from None


def _what_aborted(abort: click.Abort) -> BaseException:
    return KeyboardInterrupt() if isinstance(abort.__context__, KeyboardInterrupt) else EOFError()


def _offer_to_save(text: str) -> str:
    """Ask where to save the case file, and save it by the rules of ``report``'s output.

    Returns "saved", "skipped", "not saved", or "interrupted" (Ctrl-C while asking).
    """
    try:
        answer = _ask("Save the case file? Enter a path (or nothing to skip)")
        if not answer.strip():
            return "skipped"
        saved = _save_case_file(Path(answer.strip()), text)
    except KeyboardInterrupt:
        click.echo("\nNot saved.")
        return "interrupted"
    except EOFError:
        click.echo("\nNot saved (end of input).")
        return "not saved"
    if not saved:
        click.echo("Not saved.")
    return "saved" if saved else "not saved"


def _save_case_file(given: Path, text: str) -> bool:
    """Save ``text`` at ``given`` by the rules of ``report``'s output, asking before
    replacing a file; True once saved."""
    from spinepath.render.output import OutputError, checked_target, write_output

    try:
        # Checked as if --force, so that an existing file is a question, not an error.
        target = checked_target(given, "case", force=True)
        replacing = target.exists()
        if replacing and not _confirm(f"{given} exists. Overwrite?"):
            return False
        write_output(target, text.encode("utf-8"), force=replacing)
    except OutputError as error:
        _echo_problems(error, "spinepath: error: ")
        return False
    click.echo(f"Saved {given}.")
    return True


def _assess_file(case_file: Path) -> tuple[Any, Any]:
    """The knowledge base and the pathway of the case in ``case_file`` (the case is read
    first, so that a bad case is the error reported)."""
    from spinepath import api

    case = api.load_case(case_file)
    kb = api.knowledge_base()
    return kb, api.assess(case, kb)


def _echo_json(data: Any) -> None:
    from spinepath.terminal import result_json

    click.echo(result_json(data))


@main.command()
@format_option("text", "json")
@click.option(
    "--stage",
    # kb.model.STAGE_ORDER, spelled out so that the CLI's cold start never loads pydantic;
    # tests/test_cli.py holds the two equal.
    type=click.Choice(["referral", "conservative", "non_invasive", "surgical"]),
    help="Only the rules of this stage.",
)
def rules(output_format: str, stage: str | None) -> None:
    """List the knowledge base's rules: id, stage, conditions, conclusion and citations.

    \b
    Examples:
      spinepath rules
      spinepath rules --stage non_invasive
      spinepath rules --format json
    """
    from spinepath import api

    kb = api.knowledge_base()
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
    from spinepath import api

    click.echo(json.dumps(api.case_schema(), indent=2, sort_keys=True))


@main.command()
@click.argument("case_file", metavar="CASE", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Where to write the report [default: <CASE stem>.report.html or .report.pdf here].",
)
@click.option("--pdf", "as_pdf", is_flag=True, help="Write a PDF (needs spinepath[pdf]).")
@click.option("--force", is_flag=True, help="Replace an existing file.")
@click.option(
    "--date",
    "date_option",
    metavar="YYYY-MM-DD",
    help="Date to print on the report [default: SOURCE_DATE_EPOCH's date, else today].",
)
@click.option(
    "--paper",
    type=click.Choice(["a4", "letter"]),
    default="a4",
    show_default=True,
    help="Paper size when printed.",
)
@EVIDENCE
@click.option(
    "--explore",
    "with_exploration",
    is_flag=True,
    help="Add a section on the single-fact changes that would change the pathway.",
)
@click.option("--handout", is_flag=True, help="A patient handout of at most two pages.")
@click.option("--patient", metavar="NAME", help="Whom the report is for (printed as given).")
@click.option("--clinician", metavar="NAME", help="The clinician's name (printed as given).")
def report(
    case_file: Path,
    output: Path | None,
    as_pdf: bool,
    force: bool,
    date_option: str | None,
    paper: str,
    show_evidence: bool,
    with_exploration: bool,
    handout: bool,
    patient: str | None,
    clinician: str | None,
) -> None:
    """Write the case's pathway as a report to print or hand out: HTML, or PDF with --pdf.

    The HTML is one self-contained file (no scripts, nothing fetched), written
    whole or not at all, by default to <CASE stem>.report.html here. An existing
    file is kept unless --force; a path with '..', a missing directory, or a
    symbolic link in the file's place, is refused. The date printed is --date,
    else SOURCE_DATE_EPOCH's, else today's. --handout writes a two-page patient
    handout in plain words instead of the full report.

    \b
    Examples:
      spinepath report case.yaml
      spinepath report case.yaml -o handout.html --date 2026-11-21
      spinepath report case.yaml --pdf --paper letter --force
      spinepath report case.yaml --explore -o with-what-ifs.html
      spinepath report case.yaml --handout --pdf --patient "A. Patient"
    """
    from spinepath import api
    from spinepath.render.output import output_path, report_date, write_output
    from spinepath.render.pdf import html_to_pdf, require_weasyprint

    if handout and (with_exploration or show_evidence):
        raise click.UsageError("--handout is short by design: drop --explore and --evidence")
    date = report_date(date_option)
    case = api.load_case(case_file)
    if as_pdf:
        require_weasyprint()
    target = output_path(case_file, output, "pdf" if as_pdf else "html", force=force)
    html = api.report_html(
        case,
        handout=handout,
        paper="letter" if paper == "letter" else "a4",
        date=date,
        show_evidence=show_evidence,
        with_exploration=with_exploration,
        patient=patient,
        clinician=clinician,
    )
    write_output(target, html_to_pdf(html) if as_pdf else html.encode("utf-8"), force=force)
    click.echo(str(target))


@main.command()
@format_option("text", "json")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes to check cases with (default: one per core).",
)
def verify(output_format: str, workers: int | None) -> None:
    """Prove the knowledge base over the whole categorical case space.

    Every combination of every categorical case key (unknown and not stated
    included) is covered, through a reduction computed from the rules: values
    no rule tells apart are merged, and each checked quantity is enumerated
    only over the keys its rules can read. Checks: one current stage, no
    option both recommended and contraindicated, citations, the safety
    invariants, no recommendation on an unknown fact, every rule reachable,
    no conflicting duplicate rules, verbatim quotes. Cases the sources leave
    uncovered are counted and shown. Exits 1 on any violation.

    \b
    Examples:
      spinepath verify
      spinepath verify --format json --workers 2
    """
    from spinepath import api

    with _sigterm_raises():
        report = _run_verify(workers or os.cpu_count() or 1)
    text = api.verify_report(report, "json" if output_format == "json" else "text")
    click.echo(text, nl=output_format == "json")
    if not sys.stdout.isatty():
        # The report went to a file or a pipe: whoever started it still sees the verdict.
        verdict = "OK" if report["ok"] else f"FAILED ({len(report['violations'])} violation(s))"
        click.echo(f"spinepath verify: {verdict}; the report is on standard output", err=True)
    if not report["ok"]:
        sys.exit(1)


def _run_verify(workers: int) -> dict[str, Any]:
    """The proof, with a progress bar when standard error is a terminal."""
    from spinepath import api

    if not sys.stderr.isatty():
        return api.verify_knowledge(workers=workers)
    with _PhaseBars() as bars:
        return api.verify_knowledge(workers=workers, progress=bars.update, phase=bars.start)


class _PhaseBars:
    """One progress bar on standard error per phase of verify (planning, checking)."""

    def __init__(self) -> None:
        self.bar: Any = None

    def start(self, label: str, length: int) -> None:
        self.close()
        self.bar = click.progressbar(length=length, label=label, file=sys.stderr)
        self.bar.__enter__()

    def update(self, cases: int) -> None:
        self.bar.update(cases)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None

    def __enter__(self) -> _PhaseBars:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated`, so that leaving the block
    stops worker processes as Ctrl-C does (``kill`` alone would leave them running)."""

    def terminated(signum: int, frame: object) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)




class LazyCommands(dict[str, Any]):
    """The group's commands, some of them imported when first looked up.

    A command in a module of its own that an assessment never needs (``batch``,
    ``export``, ``serve``) is registered by a loader instead: importing those
    modules for their click commands was about a twentieth of what a cold
    ``assess`` spends beyond the floor. Every lookup (``[name]``, ``get``,
    ``values``, ``items``) gives the command itself, so click, ``--help``,
    completion and the tests see every command as before.
    """

    def __init__(self, commands: dict[str, Any], loaders: dict[str, Callable[[], Any]]) -> None:
        super().__init__(commands)
        for name in loaders:
            super().__setitem__(name, None)
        self._loaders = dict(loaders)

    def __getitem__(self, name: str) -> Any:
        command = super().__getitem__(name)
        if command is None and name in self._loaders:
            command = self._loaders.pop(name)()
            super().__setitem__(name, command)
        return command

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        try:
            return self[name]
        except KeyError:
            return default

    def values(self) -> list[Any]:  # type: ignore[override]
        return [self[name] for name in self]

    def items(self) -> list[tuple[str, Any]]:  # type: ignore[override]
        return [(name, self[name]) for name in self]


def _batch() -> click.Command:
    from spinepath.batch import batch

    return batch


def _export() -> click.Command:
    from spinepath.interop.commands import export

    return export


def _serve() -> click.Command:
    from spinepath.web.command import serve

    return serve


main.commands = LazyCommands(main.commands, {"batch": _batch, "export": _export, "serve": _serve})

if __name__ == "__main__":  # pragma: no cover - `python -m spinepath.cli`
    main()
