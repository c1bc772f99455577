"""The seed texts, in full from the repository or as their quoted passages from a wheel.

The seeds are third-party articles with no licence to redistribute them (see the
header of ``knowledge/sources.yaml``). The repository keeps the full texts in
``knowledge/sources/``; the published wheel leaves them out and carries
``sources/passages.json`` instead: for each seed, the passages the knowledge base
quotes with their offsets, the text's length and its line layout (where each
line ends and which lines are blank), and the SHA-256 of the full text.

From that file :func:`seed_text` rebuilds a *masked* text of the same length:
every quoted passage verbatim at its offset, line breaks and blank lines where
they were, every other character replaced by :data:`MASK`. What spinepath reads
from a seed text (a quote at its offsets, the paragraph it stands in) is the same
in both; the rest of the article is not there to read.

``python -m spinepath.kb.passages`` rewrites ``knowledge/sources/passages.json``
from the full texts; ``tests/test_packaging.py`` checks that it is current.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from spinepath.errors import KnowledgeError
from spinepath.kb.model import KnowledgeBase, Seed, SeedCitation

#: Where the passages file stands in a knowledge directory.
PASSAGES = Path("sources") / "passages.json"
#: The file's own format; bump it when the layout changes.
FORMAT = 1
#: What stands for a character of the article that no quote covers.
MASK = "\u2591"


def seed_text(root: Path, seed: Seed) -> str:
    """The text of ``seed``: the full text when ``root`` has it, else the masked text.

    A full text whose bytes do not hash to ``seed.sha256`` is a knowledge error: a
    quote's offsets would no longer be those the passages file records.
    """
    path = root / "sources" / seed.file
    if path.is_file():
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != seed.sha256:
            raise KnowledgeError(
                f"sources/{seed.file}: its SHA-256 is not the one sources.yaml records "
                "(update sha256 there, then run `python -m spinepath.kb.passages`)"
            )
        return path.read_text(encoding="utf-8")
    entry = _passages(root).get(seed.id)
    if entry is None or entry.get("sha256") != seed.sha256:
        raise KnowledgeError(
            f"sources/{seed.file}: neither the text nor its passages (in {PASSAGES.as_posix()})"
        )
    return masked_text(entry)


def masked_text(entry: dict[str, Any]) -> str:
    """The text rebuilt from one seed's entry of the passages file."""
    length = entry["length"]
    blank = set(entry["blank_lines"])
    chars = []
    start = 0
    for number, end in enumerate([*entry["newlines"], length]):
        filler = " " if number in blank else MASK
        chars.append(filler * (end - start))
        if end < length:
            chars.append("\n")
        start = end + 1
    text = list("".join(chars))
    for passage in entry["passages"]:
        text[passage["start"] : passage["end"]] = passage["quote"]
    return "".join(text)


def _passages(root: Path) -> dict[str, Any]:
    path = root / PASSAGES
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise KnowledgeError(f"{PASSAGES.as_posix()}: {error}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise KnowledgeError(f"{PASSAGES.as_posix()}: not a passages file of format {FORMAT}")
    return document.get("sources") or {}


# -- writing the file (from a knowledge base loaded with its full texts) -----------------


def seed_citations(value: Any) -> list[SeedCitation]:
    """Every seed citation anywhere in a model (rules, evidence, measures, red flags...)."""
    found: list[SeedCitation] = []
    if isinstance(value, SeedCitation):
        found.append(value)
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            found += seed_citations(getattr(value, name))
    elif isinstance(value, dict):
        for item in value.values():
            found += seed_citations(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            found += seed_citations(item)
    return found


def passages_document(kb: KnowledgeBase) -> dict[str, Any]:
    """The passages file of ``kb``, which must have been loaded with its full texts."""
    spans: dict[str, set[tuple[int, int, str]]] = {seed_id: set() for seed_id in kb.seeds}
    for citation in seed_citations(kb):
        spans[citation.source].add((citation.start, citation.end, citation.quote))
    sources = {}
    for seed_id, seed in sorted(kb.seeds.items()):
        lines = seed.text.split("\n")
        newlines, offset = [], 0
        for line in lines[:-1]:
            offset += len(line)
            newlines.append(offset)
            offset += 1
        sources[seed_id] = {
            "file": seed.file,
            "sha256": seed.sha256,
            "licence": seed.licence,
            "length": len(seed.text),
            "newlines": newlines,
            "blank_lines": [n for n, line in enumerate(lines) if not line.strip()],
            "passages": [
                {"start": start, "end": end, "quote": quote}
                for start, end, quote in sorted(spans[seed_id])
            ],
        }
    return {
        "format": FORMAT,
        "about": (
            "The passages of the seed texts that spinepath quotes, with their offsets; "
            "the full texts are not redistributed (see sources.yaml)."
        ),
        "sources": sources,
    }


def encode(document: dict[str, Any]) -> bytes:
    """The file's bytes: stable, so that a rewrite with nothing changed changes nothing."""
    return (json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


def main() -> None:
    """Rewrite ``sources/passages.json`` of the repository's knowledge base."""
    from spinepath.files import replace_atomically
    from spinepath.kb.loading import knowledge_dir, parse_knowledge

    root = knowledge_dir()
    if not any((root / "sources").glob("*.txt")):
        raise SystemExit(f"{root}/sources: no full texts here (a wheel?); run from a checkout")
    replace_atomically(root / PASSAGES, encode(passages_document(parse_knowledge(root))))
    print(f"wrote {root / PASSAGES}")


if __name__ == "__main__":
    main()
