"""The Python API: ``from spinepath import assess, what_if, explain, load_case, knowledge_base``.

The examples in docs/api.md (``pycon`` blocks) are run here as doctests, from the
repository root, so the documentation cannot drift from what the API does.
"""

from __future__ import annotations

import doctest
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import spinepath
from spinepath.case.model import Case
from spinepath.errors import CaseError, SpinepathError
from spinepath.pathway.model import Pathway
from tests.helpers import REPO

API_DOC = REPO / "docs" / "api.md"
EXAMPLE = REPO / "knowledge" / "examples" / "degenerated-disc.yaml"

_BLOCK = re.compile(r"^```pycon\n(.*?)^```", re.S | re.M)


def _blocks() -> list[tuple[int, str]]:
    text = API_DOC.read_text(encoding="utf-8")
    return [(text[: m.start()].count("\n") + 2, m.group(1)) for m in _BLOCK.finditer(text)]


def test_api_doc_has_examples() -> None:
    assert len(_blocks()) >= 6


def test_api_doc_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    # One namespace for the whole page, as a reader would type it in one session.
    monkeypatch.chdir(REPO)
    globs: dict[str, object] = {"__name__": "api_md"}
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    failures = []
    for line, block in _blocks():
        test = parser.get_doctest(block, globs, f"docs/api.md:{line}", str(API_DOC), line)
        out: list[str] = []
        result = runner.run(test, out=out.append, clear_globs=False)
        if result.failed:
            failures.append("".join(out))
        globs.update(test.globs)  # a DocTest works on a copy: carry names forward
    assert not failures, "\n".join(failures)


def test_names_are_importable_from_the_package() -> None:
    from spinepath import assess, explain, knowledge_base, load_case, what_if

    assert all(callable(f) for f in (assess, explain, knowledge_base, load_case, what_if))
    assert {"assess", "what_if", "explain", "load_case", "knowledge_base"} <= set(dir(spinepath))
    with pytest.raises(AttributeError):
        spinepath.no_such_name  # noqa: B018


def test_the_explain_subpackage_stays_importable_beside_the_function() -> None:
    import spinepath.explain.how as how_module
    from spinepath import explain
    from spinepath.explain.why_not import why_not

    assert callable(how_module.how) and callable(why_not)
    assert explain.__module__ == "spinepath.api"
    assert spinepath.explain is explain


def test_importing_the_package_imports_nothing_heavy() -> None:
    # The CLI's cold start imports `spinepath` first: the API must come only on use.
    code = (
        "import sys, spinepath; "
        "print(sorted(m for m in sys.modules if m.startswith(('pydantic', 'spinepath.'))))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"


def test_py_typed_marker_is_in_the_package() -> None:
    assert (Path(spinepath.__file__).parent / "py.typed").is_file()


def test_a_case_may_be_a_path_a_mapping_or_a_case() -> None:
    from spinepath import load_case

    from_file = load_case(EXAMPLE)
    assert isinstance(from_file, Case)
    assert load_case(str(EXAMPLE)) == from_file
    assert load_case(from_file) is from_file
    assert load_case(from_file.model_dump(exclude_unset=True)) == from_file
    with pytest.raises(TypeError):
        load_case(42)  # type: ignore[arg-type]


def test_a_bad_mapping_is_a_case_error_naming_the_field() -> None:
    from spinepath import assess

    with pytest.raises(CaseError) as raised:
        assess({"onset": "chronic", "discectomy_outcome": "bought_years"})
    assert any("discectomy_outcome" in line for line in raised.value.problems)


def test_assess_gives_the_pathway_the_cli_prints() -> None:
    from spinepath import assess

    pathway = assess(EXAMPLE)
    assert isinstance(pathway, Pathway)
    cli = subprocess.run(
        [sys.executable, "-m", "spinepath", "assess", str(EXAMPLE), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(cli.stdout) == json.loads(pathway.to_json())


def test_what_if_with_a_bad_change_is_a_case_error() -> None:
    from spinepath import what_if

    with pytest.raises(CaseError, match="pain_score"):
        what_if(EXAMPLE, {"pain_score": 99})


def test_what_if_none_makes_a_fact_not_stated() -> None:
    from spinepath import what_if

    difference = what_if(EXAMPLE, {"daily_life": None})
    assert difference.changed_facts["daily_life"].after is None


def test_explain_refuses_an_unknown_option_and_kind() -> None:
    from spinepath import explain

    with pytest.raises(SpinepathError, match="not a treatment id"):
        explain(EXAMPLE, "acupuncture")
    with pytest.raises(SpinepathError, match="kind"):
        explain(EXAMPLE, "fusion", kind="why")  # type: ignore[arg-type]


def test_pathway_shows_itself_as_the_report_in_a_sandboxed_frame() -> None:
    from spinepath import assess

    shown = assess({"onset": "acute", "label": "<b>A & B</b>"})._repr_html_()
    assert shown.startswith('<iframe sandbox="" ') and shown.endswith("</iframe>")
    assert shown.count("<") == 2  # the report inside is escaped, tags and all
    assert "NOT A DIAGNOSIS" in shown.upper() or "not a diagnosis" in shown
    assert "&amp;lt;b&amp;gt;A &amp;amp; B" in shown  # escaped in the report, then again


def test_knowledge_base_of_a_directory(tmp_path: Path) -> None:
    from spinepath import knowledge_base
    from spinepath.errors import KnowledgeError

    assert knowledge_base(REPO / "knowledge").meta.version == knowledge_base().meta.version
    with pytest.raises(KnowledgeError):
        knowledge_base(tmp_path)


def test_environment_override_is_not_needed() -> None:
    assert "SPINEPATH_KNOWLEDGE" not in os.environ


def test_the_api_module_examples_run() -> None:
    import spinepath.api

    result = doctest.testmod(spinepath.api, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 3 and result.failed == 0


def test_explain_and_walkthrough_take_a_pathway_already_assessed() -> None:
    from spinepath import api

    pathway = api.assess(EXAMPLE)
    assert api.explain(pathway, "fusion", kind="why_not") == api.explain(
        EXAMPLE, "fusion", kind="why_not"
    )
    assert api.walkthrough(pathway) == api.walkthrough(EXAMPLE)
    with pytest.raises(SpinepathError, match=r"option 'fusoin' is not a treatment id \(did"):
        api.explain(pathway, "fusoin")


def test_what_if_names_the_changes_as_told() -> None:
    from spinepath import api

    with pytest.raises(CaseError) as raised:
        api.what_if(EXAMPLE, api.parse_settings(["pain_score=99"]), source="--set")
    assert raised.value.problems[0].startswith("--set: pain_score: ")


def test_report_html_is_what_spinepath_report_writes(tmp_path: Path) -> None:
    from spinepath import api

    out = tmp_path / "report.html"
    options = ["-o", str(out), "--date", "2026-11-21", "--explore"]
    subprocess.run(
        [sys.executable, "-m", "spinepath", "report", str(EXAMPLE), *options],
        check=True,
        capture_output=True,
    )
    page = api.report_html(EXAMPLE, date="2026-11-21", with_exploration=True)
    assert out.read_text(encoding="utf-8") == page


def test_answer_is_the_consultations() -> None:
    from spinepath import api
    from spinepath.consult.session import Answer

    assert api.Answer is Answer
    with pytest.raises(AttributeError):
        api.no_such_name  # noqa: B018


def test_the_case_vocabulary_is_the_case_models() -> None:
    """What a web form builds a case from is the case model's own, not a copy."""
    from spinepath import api
    from spinepath.case import loading, model

    assert api.Case is model.Case and api.Pathway is Pathway
    assert api.MAX_CASE_BYTES == loading.MAX_CASE_BYTES
    assert (api.UNKNOWN, api.allowed_values, api.number_bounds, api.spelled) == (
        model.UNKNOWN,
        model.allowed_values,
        model.number_bounds,
        model.spelled,
    )


def test_a_mapping_is_named_as_told() -> None:
    from spinepath import api

    with pytest.raises(CaseError) as default:
        api.load_case({"onset": "sudden"})
    with pytest.raises(CaseError) as named:
        api.load_case({"onset": "sudden"}, source="case")
    assert default.value.problems[0].startswith("<mapping>: onset: ")
    assert named.value.problems == [
        line.replace("<mapping>", "case", 1) for line in default.value.problems
    ]


def test_a_consultation_from_answers_checks_them() -> None:
    """Answers are checked as a partial case file is: onset may be missing, a bad value
    is a line naming the source, and a file and answers together are refused."""
    from spinepath import api

    session = api.consultation(answers={"pain_score": 4})
    assert session.answers == {"pain_score": 4} and "onset" not in session.answers
    assert session.next_question() == "red_flags"  # answered questions are not asked again
    with pytest.raises(CaseError) as error:
        api.consultation(answers={"pain_score": 11}, source="form")
    assert error.value.problems == [
        "form: pain_score: must be a whole number from 0 to 10 (got 11)"
    ]
    with pytest.raises(TypeError):
        api.consultation(EXAMPLE, answers={"pain_score": 4})


def test_stated_facts_leave_out_what_was_never_stated() -> None:
    from spinepath import api

    facts = api.stated_facts({"onset": "acute", "daily_life": None})
    assert facts == {"daily_life": None, "onset": "acute"}  # stated as not stated: kept
    assert "pain_score" not in facts and api.load_case(facts).pain_score is None


def test_the_teaching_cases_are_the_knowledge_bases() -> None:
    from spinepath import api

    cases = api.teaching_cases()
    files = sorted(path.name for path in (REPO / "knowledge" / "cases").glob("*.yaml"))
    assert [t.file for t in cases] == files
    first = cases[0]
    assert api.load_case(first.case) == api.teaching_case(first.file)
