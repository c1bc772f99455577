"""Packaging fit to publish: licence, metadata, what the wheel holds, the publishing checks.

The seed articles are third-party texts without a licence: the repository keeps
them, the wheel carries only the quoted passages (knowledge/sources/passages.json),
and loading from the passages gives the same knowledge base as loading the texts.
"""

from __future__ import annotations

import email
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import tomllib

from spinepath.errors import KnowledgeError
from spinepath.kb import passages
from spinepath.kb.loading import parse_knowledge
from spinepath.render.words import paragraph_of
from spinepath.verify.static import quote_problems
from tests import wheel_support
from tests.helpers import KNOWLEDGE, REPO
from tests.wheel_support import SUPPORTED, Dist

dist = wheel_support.dist  # the session fixture: the built sdist and wheel

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def _passages_file() -> dict:
    return json.loads((KNOWLEDGE / passages.PASSAGES).read_text(encoding="utf-8"))


# -- the seed texts and their passages ----------------------------------------------------


def test_every_full_text_hashes_to_its_recorded_sha256(kb) -> None:
    document = _passages_file()
    for seed in kb.seeds.values():
        data = (KNOWLEDGE / "sources" / seed.file).read_bytes()
        assert hashlib.sha256(data).hexdigest() == seed.sha256, seed.file
        assert document["sources"][seed.id]["sha256"] == seed.sha256, seed.id


def test_every_shipped_passage_is_verbatim_in_its_full_text(kb) -> None:
    for seed_id, entry in _passages_file()["sources"].items():
        text = (KNOWLEDGE / "sources" / kb.seeds[seed_id].file).read_text(encoding="utf-8")
        assert entry["length"] == len(text)
        assert entry["passages"], f"source {seed_id} is quoted nowhere"
        for passage in entry["passages"]:
            assert text[passage["start"] : passage["end"]] == passage["quote"], passage


def test_passages_file_is_current(kb) -> None:
    # Every quote of the knowledge base, and only those: regenerate with
    # `python -m spinepath.kb.passages` after editing a quote.
    expected = passages.encode(passages.passages_document(kb))
    assert (KNOWLEDGE / passages.PASSAGES).read_bytes() == expected


def test_every_seed_records_its_licence_status(kb) -> None:
    for seed in kb.seeds.values():
        assert seed.licence == "none stated" or seed.licence.isascii(), seed.id
        assert seed.origin.strip(), seed.id


@pytest.fixture(scope="module")
def passages_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the knowledge base as the wheel has it: no full texts."""
    root = tmp_path_factory.mktemp("wheel-knowledge") / "knowledge"
    shutil.copytree(KNOWLEDGE, root, ignore=shutil.ignore_patterns("*.txt"))
    return root


def test_loading_from_the_passages_gives_the_same_knowledge_base(kb, passages_only) -> None:
    shipped = parse_knowledge(passages_only)
    assert shipped.model_dump() == kb.model_dump()
    assert quote_problems(shipped)[1] == []
    for citation in passages.seed_citations(kb):
        full, masked = kb.seeds[citation.source].text, shipped.seeds[citation.source].text
        assert masked[citation.start : citation.end] == citation.quote
        assert paragraph_of(masked, citation.start) == paragraph_of(full, citation.start)


def test_the_masked_text_holds_nothing_but_the_quotes(kb, passages_only) -> None:
    shipped = parse_knowledge(passages_only)
    for seed_id, seed in shipped.seeds.items():
        quoted = set()
        for passage in _passages_file()["sources"][seed_id]["passages"]:
            quoted |= set(range(passage["start"], passage["end"]))
        others = {seed.text[i] for i in range(len(seed.text)) if i not in quoted}
        assert others <= {passages.MASK, "\n", " "}, seed_id
        assert seed.text != kb.seeds[seed_id].text


def test_an_edited_full_text_is_a_knowledge_error(tmp_path: Path) -> None:
    root = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, root)
    text = next((root / "sources").glob("001_*.txt"))
    text.write_text(text.read_text(encoding="utf-8") + "\nAn added line.\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"001_.*SHA-256 is not the one sources.yaml"):
        parse_knowledge(root)


def test_neither_text_nor_passages_is_a_knowledge_error(passages_only, tmp_path) -> None:
    root = tmp_path / "knowledge"
    shutil.copytree(passages_only, root)
    (root / passages.PASSAGES).unlink()
    with pytest.raises(KnowledgeError, match=r"passages\.json"):
        parse_knowledge(root)


# -- the metadata -------------------------------------------------------------------------


def test_licence_file_is_the_apache_licence() -> None:
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert PYPROJECT["project"]["license"] == "Apache-2.0"
    assert PYPROJECT["project"]["license-files"] == ["LICENSE"]


def test_requires_python_and_classifiers_name_the_supported_versions() -> None:
    project = PYPROJECT["project"]
    assert project["requires-python"] == f">={SUPPORTED[0]}"
    listed = {
        c.rsplit(" :: ", 1)[1]
        for c in project["classifiers"]
        if c.startswith("Programming Language :: Python :: 3.")
    }
    assert listed == set(SUPPORTED)


def test_one_version_source() -> None:
    import spinepath

    assert "version" in PYPROJECT["project"]["dynamic"]
    assert "version" not in PYPROJECT["project"]
    assert PYPROJECT["tool"]["hatch"]["version"]["path"] == "src/spinepath/__init__.py"
    import importlib.metadata

    assert importlib.metadata.version("spinepath") == spinepath.__version__


def test_extras_are_the_published_ones() -> None:
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert {"pdf", "web", "fhir", "test"} <= set(extras)
    # The test extra pulls in what every other extra's tests need.
    for name in ("pdf", "fhir"):
        assert set(extras[name]) <= set(extras["test"]), name


# -- the built distributions --------------------------------------------------------------


def test_wheel_has_the_knowledge_base_without_the_full_texts(dist: Dist) -> None:
    with zipfile.ZipFile(dist.wheel) as wheel:
        names = set(wheel.namelist())
    shipped = {n.removeprefix("spinepath/_knowledge/") for n in names if "_knowledge/" in n}
    in_repo = {
        p.relative_to(KNOWLEDGE).as_posix()
        for p in KNOWLEDGE.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }
    texts = {name for name in in_repo if name.startswith("sources/") and name.endswith(".txt")}
    assert texts, "the repository keeps the full texts"
    assert shipped == in_repo - texts
    assert "spinepath/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


def test_sdist_leaves_out_the_full_texts(dist: Dist) -> None:
    with tarfile.open(dist.sdist) as sdist:
        names = sdist.getnames()
    assert any(n.endswith("knowledge/sources/passages.json") for n in names)
    assert not [n for n in names if "/knowledge/sources/" in n and n.endswith(".txt")]
    assert any(n.endswith("/LICENSE") for n in names)


def test_wheel_metadata(dist: Dist) -> None:
    import spinepath

    with zipfile.ZipFile(dist.wheel) as wheel:
        (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = email.message_from_bytes(wheel.read(name))
    assert metadata["Version"] == spinepath.__version__
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata["Requires-Python"] == ">=3.11"
    assert set(metadata.get_all("Provides-Extra")) >= {"pdf", "web", "fhir", "test"}


def _run(*command: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, check=False
    )


def test_twine_check_passes(dist: Dist) -> None:
    result = _run(sys.executable, "-m", "twine", "check", "--strict", dist.wheel, dist.sdist)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_wheel_contents_passes(dist: Dist) -> None:
    result = _run(sys.executable, "-m", "check_wheel_contents", dist.wheel)
    assert result.returncode == 0, result.stdout + result.stderr


def test_validate_pyproject_passes() -> None:
    result = _run(sys.executable, "-m", "validate_pyproject", REPO / "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr
