"""The on-disk cache of the knowledge base: used when it matches, never when stale."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from spinepath.kb import cache
from spinepath.kb.loading import load_knowledge, parse_knowledge
from spinepath.kb.model import KnowledgeBase
from tests.helpers import KNOWLEDGE


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    directory = tmp_path / "cache"
    monkeypatch.setenv("SPINEPATH_CACHE_DIR", str(directory))
    load_knowledge.cache_clear()
    yield directory
    load_knowledge.cache_clear()


@pytest.fixture
def draft(tmp_path: Path) -> Path:
    shutil.copytree(KNOWLEDGE, tmp_path / "knowledge")
    return tmp_path / "knowledge"


def _parse_counting(calls: list[Path]) -> object:
    def parse(root: Path) -> KnowledgeBase:
        calls.append(root)
        return parse_knowledge(root)

    return parse


def _entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("knowledge-*.pickle"))


def test_second_load_comes_from_the_cache_and_is_equal(cache_dir: Path, draft: Path) -> None:
    calls: list[Path] = []
    first = cache.cached_knowledge(draft, _parse_counting(calls))
    assert len(_entries(cache_dir)) == 1
    second = cache.cached_knowledge(draft, _parse_counting(calls))
    assert calls == [draft]
    assert second == first
    assert second.rules[0].citations == first.rules[0].citations
    assert second.seeds["000"].text == first.seeds["000"].text


def test_an_edited_file_is_parsed_again(cache_dir: Path, draft: Path) -> None:
    calls: list[Path] = []
    cache.cached_knowledge(draft, _parse_counting(calls))
    glossary = draft / "glossary.yaml"
    glossary.write_text(glossary.read_text() + "\nzz_cache_probe: a term added by the test\n")
    edited = cache.cached_knowledge(draft, _parse_counting(calls))
    assert calls == [draft, draft]
    assert edited.glossary["zz_cache_probe"] == "a term added by the test"
    assert len(_entries(cache_dir)) == 2


def test_a_new_file_changes_the_key(draft: Path) -> None:
    before = cache.knowledge_key(draft)
    (draft / "rules" / "99_extra.yaml").write_text("[]\n")
    assert cache.knowledge_key(draft) != before


def test_hidden_files_do_not_change_the_key(draft: Path) -> None:
    before = cache.knowledge_key(draft)
    (draft / ".DS_Store").write_bytes(b"\0")
    assert cache.knowledge_key(draft) == before


def test_a_corrupt_entry_is_ignored_and_replaced(cache_dir: Path, draft: Path) -> None:
    calls: list[Path] = []
    expected = cache.cached_knowledge(draft, _parse_counting(calls))
    (entry,) = _entries(cache_dir)
    entry.write_bytes(b"not a pickle")
    assert cache.cached_knowledge(draft, _parse_counting(calls)) == expected
    assert calls == [draft, draft]
    assert cache.cached_knowledge(draft, _parse_counting(calls)) == expected
    assert calls == [draft, draft]


def test_an_entry_of_another_type_is_ignored(cache_dir: Path, draft: Path) -> None:
    import pickle

    calls: list[Path] = []
    cache.cached_knowledge(draft, _parse_counting(calls))
    (entry,) = _entries(cache_dir)
    entry.write_bytes(pickle.dumps({"not": "a knowledge base"}))
    assert isinstance(cache.cached_knowledge(draft, _parse_counting(calls)), KnowledgeBase)
    assert len(calls) == 2


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_directory_others_can_write_is_not_trusted(cache_dir: Path, draft: Path) -> None:
    calls: list[Path] = []
    cache.cached_knowledge(draft, _parse_counting(calls))
    cache_dir.chmod(0o777)
    cache.cached_knowledge(draft, _parse_counting(calls))
    assert len(calls) == 2


def test_cache_can_be_turned_off(
    cache_dir: Path, draft: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPINEPATH_NO_CACHE", "1")
    assert cache.cache_dir() is None
    calls: list[Path] = []
    cache.cached_knowledge(draft, _parse_counting(calls))
    cache.cached_knowledge(draft, _parse_counting(calls))
    assert len(calls) == 2
    assert not cache_dir.exists()


def test_an_unwritable_cache_costs_only_speed(
    tmp_path: Path, draft: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a file, not a directory"
    blocker.write_text("")
    monkeypatch.setenv("SPINEPATH_CACHE_DIR", str(blocker / "cache"))
    calls: list[Path] = []
    kb = cache.cached_knowledge(draft, _parse_counting(calls))
    assert kb.rules and calls == [draft]


def test_old_entries_are_pruned(cache_dir: Path, draft: Path) -> None:
    glossary = draft / "glossary.yaml"
    original = glossary.read_text()
    for index in range(cache.KEEP + 3):
        glossary.write_text(original + f"\nzz_probe_{index}: term {index}\n")
        cache.cached_knowledge(draft, parse_knowledge)
    assert len(_entries(cache_dir)) == cache.KEEP


def test_a_broken_knowledge_base_is_never_cached(cache_dir: Path, draft: Path) -> None:
    from spinepath.errors import KnowledgeError

    (draft / "rules" / "99_broken.yaml").write_text("- id: broken\n  when: {onset: sudden}\n")
    for _ in range(2):
        with pytest.raises(KnowledgeError):
            cache.cached_knowledge(draft, parse_knowledge)
    assert _entries(cache_dir) == []


def test_default_location_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SPINEPATH_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / "spinepath"


def test_no_home_directory_means_no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    def homeless() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv("SPINEPATH_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(Path, "home", staticmethod(homeless))
    assert cache.cache_dir() is None
