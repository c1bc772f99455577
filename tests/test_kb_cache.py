"""The on-disk cache of the knowledge base: used when it matches, never when stale."""

from __future__ import annotations

import hashlib
import json
import os
import time
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


def _parse_counting(calls: list[Path]) -> object:
    def parse(root: Path) -> KnowledgeBase:
        calls.append(root)
        return parse_knowledge(root)

    return parse


def _entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("knowledge-*.json"))


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


def _entry_with_body(key: str, body: object) -> bytes:
    """An entry holding ``body`` under a sound header (the right key and digest)."""
    data = json.dumps(body).encode()
    header = {"format": cache.FORMAT, "key": key, "sha256": hashlib.sha256(data).hexdigest()}
    return json.dumps(header).encode() + b"\n" + data


def test_an_entry_of_another_shape_is_ignored(cache_dir: Path, draft: Path) -> None:
    calls: list[Path] = []
    cache.cached_knowledge(draft, _parse_counting(calls))
    (entry,) = _entries(cache_dir)
    header, _, body = entry.read_bytes().partition(b"\n")
    key = json.loads(header)["key"]
    sound = json.loads(body)
    knowledge = sound["knowledge"]
    rule = knowledge["rules"][0]
    broken = [
        json.dumps({"not": "a knowledge base"}).encode(),
        json.dumps([1]).encode(),
        _entry_with_body(key, {**sound, "knowledge": {"meta": 1}}),
        _entry_with_body(key, [1]),
        # A mapping where a list belongs, a field missing, a field too many, a value
        # outside its literal, a citation that is neither a seed's nor a guideline's.
        _entry_with_body(key, {**sound, "knowledge": {**knowledge, "rules": {}}}),
        _entry_with_body(
            key, {**sound, "knowledge": {k: v for k, v in knowledge.items() if k != "meta"}}
        ),
        _entry_with_body(key, {**sound, "knowledge": {**knowledge, "extra": 1}}),
        _entry_with_body(
            key,
            {**sound, "knowledge": {**knowledge, "rules": [{**rule, "stage": "nowhere"}]}},
        ),
        _entry_with_body(
            key,
            {**sound, "knowledge": {**knowledge, "rules": [{**rule, "citations": [{"x": 1}]}]}},
        ),
    ]
    for data in broken:
        entry.write_bytes(data)
        assert isinstance(cache.cached_knowledge(draft, _parse_counting(calls)), KnowledgeBase)
    assert len(calls) == 1 + len(broken)


def test_a_damaged_entry_is_a_miss_though_still_json(cache_dir: Path, draft: Path) -> None:
    # The knowledge base is not validated when read back: the digest catches damage.
    calls: list[Path] = []
    cache.cached_knowledge(draft, _parse_counting(calls))
    (entry,) = _entries(cache_dir)
    data = entry.read_bytes()
    entry.write_bytes(data.replace(b'"recommended"', b'"recommendeD"', 1))
    kb = cache.cached_knowledge(draft, _parse_counting(calls))
    assert calls == [draft, draft]
    assert "recommendeD" not in kb.model_dump_json()


def test_an_unknown_field_type_is_validated_instead() -> None:
    from pydantic import BaseModel

    class Inner(BaseModel):
        where: Path

    class Odd(BaseModel):
        inner: Inner | None
        ratio: float

    class Twin(BaseModel):
        where: str

    class Same(BaseModel):
        either: Inner | Twin  # the same fields: a dump cannot tell them apart

    for model, data in ((Odd, {"inner": None, "ratio": 0.5}), (Same, {"either": {"where": "/"}})):
        with pytest.raises(cache.Unsupported):
            cache.construct(model, data)
        with pytest.raises(cache.Unsupported):  # again: no half-made builder was kept
            cache.construct(model, data)


def test_plain_unions_and_optional_models_are_put_together() -> None:
    from typing import Literal

    from pydantic import BaseModel

    class Leaf(BaseModel):
        name: str

    class Tree(BaseModel):
        state: bool | Literal["unknown"]
        verdict: Literal["a", "b"] | Literal["absent"] | None
        leaves: tuple[Leaf, ...]
        named: dict[str, Leaf | None]

    data = {
        "state": "unknown",
        "verdict": "absent",
        "leaves": [{"name": "x"}],
        "named": {"y": None, "z": {"name": "z"}},
    }
    assert cache.construct(Tree, data) == Tree.model_validate(data)
    with pytest.raises(TypeError):
        cache.construct(Tree, {**data, "verdict": "c"})


def test_mappings_keyed_by_a_vocabulary_are_put_together() -> None:
    """``dict[Verdict, str]`` (the handout's words) is built, and a key outside the
    vocabulary is a miss, as validation would refuse it."""
    from typing import Literal

    from pydantic import BaseModel

    class Words(BaseModel):
        verdicts: dict[Literal["a", "b"], str]

    data = {"verdicts": {"a": "one", "b": "two"}}
    assert cache.construct(Words, data) == Words.model_validate(data)
    with pytest.raises(TypeError):
        cache.construct(Words, {"verdicts": {"c": "three"}})


def test_the_knowledge_base_is_put_together_without_validation(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every field type of the knowledge base is one ``construct`` builds: none falls back
    to validation (which is correct, but costs the cold start its validators)."""
    entry = cache.encode(kb, "k" * 32)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cache entry was validated, not put together")

    monkeypatch.setattr(KnowledgeBase, "model_validate", refuse)
    assert cache.decode(entry, "k" * 32) == kb


def test_union_models_are_told_apart_by_their_fields(kb: KnowledgeBase) -> None:
    back = cache.decode(cache.encode(kb, "k" * 32), "k" * 32)
    assert back is not None
    kinds = {type(c).__name__ for rule in back.rules for c in rule.citations}
    assert (
        kinds
        == {type(c).__name__ for rule in kb.rules for c in rule.citations}
        == {"SeedCitation", "GuidelineCitation"}
    )


def test_a_planted_pickle_runs_no_code(cache_dir: Path, draft: Path, tmp_path: Path) -> None:
    """The cache holds data only: a pickle under an entry's name is not unpickled."""
    import pickle

    calls: list[Path] = []
    cache.cached_knowledge(draft, _parse_counting(calls))
    (entry,) = _entries(cache_dir)
    witness = tmp_path / "ran"

    class Planted:
        def __reduce__(self) -> tuple[object, ...]:
            return (Path.touch, (witness,))

    entry.write_bytes(pickle.dumps(Planted()))
    assert isinstance(cache.cached_knowledge(draft, _parse_counting(calls)), KnowledgeBase)
    assert not witness.exists()


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_directory_others_can_write_is_still_used(cache_dir: Path, draft: Path) -> None:
    """Reading an entry cannot run code, so who else can write the directory does not matter."""
    calls: list[Path] = []
    cache.cached_knowledge(draft, _parse_counting(calls))
    cache_dir.chmod(0o777)
    cache.cached_knowledge(draft, _parse_counting(calls))
    assert len(calls) == 1


def test_cached_equals_uncached_in_value_and_in_json(cache_dir: Path) -> None:
    uncached = parse_knowledge(KNOWLEDGE)
    cache.cached_knowledge(KNOWLEDGE, parse_knowledge)
    cached = cache.cached_knowledge(KNOWLEDGE, lambda root: pytest.fail("not from the cache"))
    assert cached == uncached
    assert cached.model_dump_json() == uncached.model_dump_json()
    assert {k: s.text for k, s in cached.seeds.items()} == {
        k: s.text for k, s in uncached.seeds.items()
    }
    assert all(s.text for s in cached.seeds.values())


def test_true_and_one_stay_distinct_through_the_cache(kb: KnowledgeBase) -> None:
    rule = kb.rules[0]
    odd = rule.when[0].model_copy(update={"values": (True, 1, None, "1", 1.5, False, 0)})
    edited = kb.model_copy(
        update={"rules": (rule.model_copy(update={"when": (odd, *rule.when[1:])}), *kb.rules[1:])}
    )
    back = cache.decode(cache.encode(edited, "k" * 32), "k" * 32)
    assert back is not None
    assert back == edited
    assert back.model_dump_json() == edited.model_dump_json()
    values = back.rules[0].when[0].values
    assert [type(v).__name__ for v in values] == [
        "bool",
        "int",
        "NoneType",
        "str",
        "float",
        "bool",
        "int",
    ]


def test_an_entry_for_another_key_is_a_miss(kb: KnowledgeBase) -> None:
    assert cache.decode(cache.encode(kb, "a" * 32), "b" * 32) is None


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
    monkeypatch.delenv("SPINEPATH_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("HOME", raising=False)
    # No home to be found: "~" stays unexpanded, as os.path.expanduser leaves it.
    monkeypatch.setattr(os.path, "expanduser", lambda path: path)
    assert cache.cache_dir() is None


@pytest.fixture
def no_cache_settings(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("SPINEPATH_CACHE_DIR", "XDG_CACHE_HOME", "SPINEPATH_NO_CACHE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("HOME", ""),
        ("HOME", "relative/home"),
        ("XDG_CACHE_HOME", "relative/cache"),
        ("SPINEPATH_CACHE_DIR", "relative/cache"),
    ],
)
def test_a_relative_or_empty_place_means_no_cache(
    no_cache_settings: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    no_cache_settings.setenv(variable, value)
    assert cache.cache_dir() is None


def test_an_absolute_home_gives_its_cache(no_cache_settings: pytest.MonkeyPatch) -> None:
    no_cache_settings.setenv("HOME", "/home/someone")
    found = cache.cache_dir()
    assert found is not None and found.is_absolute() and found.name == "spinepath"


@pytest.mark.parametrize(
    ("value", "on"),
    [
        *[("", True), ("0", True), ("false", True), ("No", True), ("off", True)],
        *[("1", False), ("true", False), ("yes", False), ("on", False), ("anything", False)],
    ],
)
def test_no_cache_values(no_cache_settings: pytest.MonkeyPatch, value: str, on: bool) -> None:
    no_cache_settings.setenv("SPINEPATH_CACHE_DIR", "/somewhere/absolute")
    no_cache_settings.setenv("SPINEPATH_NO_CACHE", value)
    assert (cache.cache_dir() is not None) == on


def test_pruning_removes_only_what_spinepath_wrote(cache_dir: Path, draft: Path) -> None:
    cache_dir.mkdir()
    mine = ["notes.txt", "knowledge-mine.json", "knowledge-" + "0" * 31 + ".json", ".hidden"]
    for name in mine:
        (cache_dir / name).write_text("keep me")
    stale_pickle = cache_dir / ("knowledge-" + "a" * 32 + ".pickle")
    stale_pickle.write_bytes(b"old format")
    orphan = cache_dir / (".knowledge-" + "b" * 32 + ".json.x1y2z3ab")
    fresh = cache_dir / (".knowledge-" + "c" * 32 + ".json.q9w8e7rt")
    for temporary in (orphan, fresh):
        temporary.write_bytes(b"{")
    hours_ago = time.time() - 2 * cache.ORPHAN_AGE_SECONDS
    os.utime(orphan, (hours_ago, hours_ago))
    cache.cached_knowledge(draft, parse_knowledge)
    left = {p.name for p in cache_dir.iterdir()}
    assert set(mine) | {fresh.name} <= left
    assert orphan.name not in left and stale_pickle.name not in left
    assert len(_entries(cache_dir)) == 1 + 2  # the new entry and two look-alikes kept
