"""Reading ``knowledge/`` into a checked :class:`KnowledgeBase`.

Loading fails, with one line per problem, when a rule names a fact or value
outside the case vocabulary, an unknown intermediate, treatment or guideline
section, or quotes a seed passage that is not in the seed character for
character. Offsets of every quote are computed here, never written by hand.
"""

from __future__ import annotations

import functools
import os
import typing
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from spinepath.case.model import (
    CASE_KEYS,
    RED_FLAGS,
    allowed_values,
    number_bounds,
    same_value,
    spelled,
)
from spinepath.errors import KnowledgeError
from spinepath.kb.cache import cached_knowledge
from spinepath.kb.model import (
    RED_FLAG_SCREENS,
    CaseEvidence,
    Citation,
    Conclusion,
    Concordance,
    Condition,
    EvidenceNote,
    ExploreOrder,
    Guideline,
    GuidelineCitation,
    GuidelineNote,
    GuidelineReference,
    HandoutWords,
    Intermediate,
    Invariant,
    KnowledgeBase,
    Measure,
    Meta,
    Question,
    RedFlagEntry,
    Rule,
    Seed,
    SeedCitation,
    Stage,
    StageStatus,
    Verdict,
)
from spinepath.kb.passages import seed_text


def knowledge_dir() -> Path:
    """Where the knowledge base is.

    ``SPINEPATH_KNOWLEDGE`` names another directory (used to review a draft of
    the knowledge base, and by the mutation script); otherwise the copy inside
    the installed package, or the repository's ``knowledge/`` in a checkout.
    """
    override = os.environ.get("SPINEPATH_KNOWLEDGE")
    if override:
        if not (Path(override) / "knowledge.yaml").is_file():
            raise KnowledgeError(f"SPINEPATH_KNOWLEDGE={override}: no knowledge.yaml there")
        return Path(override)
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_knowledge", here.parent.parent / "knowledge"):
        if (candidate / "knowledge.yaml").is_file():
            return candidate
    raise KnowledgeError(f"no knowledge base found next to {here}")


@functools.lru_cache(maxsize=4)
def load_knowledge(directory: Path | None = None) -> KnowledgeBase:
    """The whole knowledge base, checked (cached in memory and on disk: it is read-only).

    See :mod:`spinepath.kb.cache` for the disk cache and when it is used.
    """
    return cached_knowledge(directory or knowledge_dir(), parse_knowledge)


def parse_knowledge(root: Path) -> KnowledgeBase:
    """Read and check every file of the knowledge base in ``root``.

    Whatever is wrong with a file is a :class:`KnowledgeError` naming it, never a crash.
    """
    try:
        return _parse_knowledge(root)
    except ValidationError as error:
        raise KnowledgeError(
            [f"{root}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
        ) from None
    except OSError as error:
        raise KnowledgeError(f"{error.filename}: {error.strerror}") from None


def _parse_knowledge(root: Path) -> KnowledgeBase:
    problems: list[str] = []
    meta = Meta.model_validate(_read(root / "knowledge.yaml"))
    # Folded here, once: every output shows the disclaimer as one line of prose.
    meta = meta.model_copy(update={"disclaimer": fold(meta.disclaimer)})
    seeds = {}
    for entry in _read(root / "sources.yaml"):
        seed = Seed.model_validate(entry)
        text = seed_text(root, seed)  # the full text, or its quoted passages in a wheel
        seeds[seed.id] = seed.model_copy(update={"text": text})
    guidelines_file = root / "guidelines.yaml"
    guidelines = {}
    if guidelines_file.is_file():
        for entry in _read(guidelines_file):
            guideline = Guideline.model_validate(entry)
            guidelines[guideline.id] = guideline
    stages = tuple(Stage.model_validate(entry) for entry in _read(root / "treatments.yaml"))
    intermediates = {
        item.name: item
        for item in (Intermediate.model_validate(e) for e in _read(root / "intermediates.yaml"))
    }
    context = _Context(seeds, guidelines, stages, intermediates)
    context.measures = _measures(root / "measures.yaml", context, problems)
    red_flags = _red_flags(root / "red_flags.yaml", context, problems)
    rules: list[Rule] = []
    for path in sorted((root / "rules").glob("*.yaml")):
        for position, entry in enumerate(_read(path) or []):
            where = f"{path.name}, rule {position + 1}"
            if isinstance(entry, dict) and "id" in entry:
                where = f"{path.name}, rule {entry['id']}"
            try:
                rules.append(context.rule(entry, path.name, len(rules)))
            except KnowledgeError as error:
                problems.extend(f"{where}: {p}" for p in error.problems)
            except ValidationError as error:
                problems.extend(
                    f"{where}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()
                )
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            problems.append(f"{rule.file}: rule id {rule.id} is used twice")
        seen.add(rule.id)
    established = {name for rule in rules for name in rule.then.establish}
    for name in sorted(set(intermediates) - established):
        problems.append(f"intermediates.yaml: {name} is established by no rule")
    evidence, guideline_notes = _evidence(root / "evidence.yaml", context, problems)
    glossary = {str(k): fold(str(v)) for k, v in (_read(root / "glossary.yaml")).items()}
    questions = {}
    for key, entry in (_read(root / "questions.yaml") or {}).items():
        if key not in CASE_KEYS:
            problems.append(f"questions.yaml: {key} is not a case fact")
            continue
        questions[key] = Question.model_validate(entry)
        spellings = {spelled(v) for v in allowed_values(key) or () if v is not None}
        problems += [
            f"questions.yaml, {key}: choice {choice!r} is not a value of {key}"
            for choice in questions[key].choices
            if choice not in spellings
        ]
        problems += [
            f"questions.yaml, {key}: term {term!r} is not in glossary.yaml"
            for term in questions[key].terms
            if term not in glossary
        ]
    invariants = _invariants(root / "invariants.yaml", context, problems)
    handout = _handout(root / "handout.yaml", context, glossary, problems)
    explore = _explore(root / "explore.yaml", problems)
    if problems or handout is None or explore is None:
        raise KnowledgeError(problems)
    return KnowledgeBase(
        meta=meta,
        seeds=seeds,
        guidelines=guidelines,
        stages=stages,
        intermediates=intermediates,
        rules=tuple(rules),
        evidence=evidence,
        guideline_notes=guideline_notes,
        glossary=glossary,
        questions=questions,
        measures=context.measures,
        red_flags=red_flags,
        invariants=invariants,
        handout=handout,
        explore=explore,
    )


def fold(text: str) -> str:
    """Prose as one line: YAML's folded and wrapped text, white space made single spaces."""
    return " ".join(text.split())


def _cited_entries(
    path: Path, context: _Context, model: type[Any], name_field: str, problems: list[str]
) -> list[Any]:
    """The entries of a register file, citations resolved, each cited; one problem per line."""
    entries = []
    for entry in _read(path) or []:
        name = entry.get(name_field) if isinstance(entry, dict) else entry
        where = f"{path.name}, {name}"
        try:
            entry = dict(entry)
            entry["citations"] = [context.citation(c) for c in entry.get("citations") or []]
            validated = model.model_validate(entry)
        except (KnowledgeError, ValidationError, TypeError, ValueError) as error:
            problems.append(f"{where}: {_first_line(error)}")
            continue
        if not validated.citations:
            problems.append(f"{where}: cites nothing")
        entries.append(validated)
    return entries


def _measures(path: Path, context: _Context, problems: list[str]) -> dict[str, Measure]:
    """The measures: bands of a number of the case, which rules test like facts."""
    measures: dict[str, Measure] = {}
    for measure in _cited_entries(path, context, Measure, "name", problems):
        where = f"measures.yaml, {measure.name}"
        if measure.key not in CASE_KEYS or allowed_values(measure.key) is not None:
            problems.append(f"{where}: {measure.key} is not a number of the case")
            continue
        low, high = number_bounds(measure.key)
        edges = sorted((band.low, band.high) for band in measure.bands)
        starts = [low] + [band_high + 1 for _, band_high in edges[:-1]]
        if [band_low for band_low, _ in edges] != starts or edges[-1][1] != high or any(
            band_high < band_low for band_low, band_high in edges
        ):
            problems.append(f"{where}: bands must cover {low} to {high} once each")
        if measure.name in CASE_KEYS or measure.name in context.intermediates:
            problems.append(f"{where}: the name is already a case fact or an intermediate")
        measures[measure.name] = measure
    return measures


def _red_flags(path: Path, context: _Context, problems: list[str]) -> dict[str, RedFlagEntry]:
    """The red-flag register: every red flag of the case vocabulary, with its urgency."""
    flags = {f.id: f for f in _cited_entries(path, context, RedFlagEntry, "id", problems)}
    vocabulary = RED_FLAGS
    problems += [
        f"red_flags.yaml: {f} is not a red flag of the case" for f in flags if f not in vocabulary
    ]
    problems += [f"red_flags.yaml: red flag {f} has no entry" for f in vocabulary if f not in flags]
    return {flag: flags[flag] for flag in vocabulary if flag in flags}


def _model_problems(file: str, error: ValidationError) -> list[str]:
    """A pydantic error as one line per problem, naming the file and the field."""
    return [
        f"{file}: {'.'.join(map(str, e['loc'])) or 'top level'}: {e['msg']}"
        for e in error.errors()
    ]


def _handout(
    path: Path, context: _Context, glossary: dict[str, str], problems: list[str]
) -> HandoutWords | None:
    """The handout's own words; every treatment and stage has its glossary terms, and
    every term is in the glossary. ``None`` when the file does not check."""
    try:
        words = HandoutWords.model_validate(_read(path))
    except ValidationError as error:
        problems += _model_problems(path.name, error)
        return None
    found: list[str] = []
    named = set(context.treatments) | set(context.stage_ids)
    found += [
        f"{path.name}: terms.{name}: not a treatment or stage id"
        for name in words.terms
        if name not in named
    ]
    found += [
        f"{path.name}: terms: {name} (a treatment or stage) has no entry"
        for name in [*context.stage_ids, *sorted(context.treatments)]
        if name not in words.terms
    ]
    found += [
        f"{path.name}: terms.{name}: {term!r} is not in glossary.yaml"
        for name, terms in words.terms.items()
        for term in terms
        if term not in glossary
    ]
    for field, model_type in (
        ("verdicts", Verdict),
        ("guidelines", Concordance),
        ("statuses", StageStatus),
    ):
        given = getattr(words, field)
        found += [
            f"{path.name}: {field}: {value} has no words"
            for value in typing.get_args(model_type)
            if value not in given
        ]
    problems += found
    return None if found else words


def _explore(path: Path, problems: list[str]) -> ExploreOrder | None:
    """Who can change each fact, for explore's order; every name a case fact, named once.
    ``None`` when the file does not check."""
    try:
        order = ExploreOrder.model_validate(_read(path))
    except ValidationError as error:
        problems += _model_problems(path.name, error)
        return None
    found: list[str] = []
    seen: set[str] = set()
    for field in ("patient_can_change", "scan_findings"):
        for key in getattr(order, field):
            if key not in CASE_KEYS:
                found.append(f"{path.name}: {field}: {key} is not a case fact")
            elif key in seen:
                found.append(f"{path.name}: {field}: {key} is named twice")
            seen.add(key)
    problems += found
    return None if found else order


#: The conditions an invariant may test: what the case says, never what rules concluded
#: (an invariant that read an intermediate would check the rules by the rules).
_INVARIANT_CONDITIONS = ("case", "measure", "red_flags")


def _invariants(path: Path, context: _Context, problems: list[str]) -> dict[str, Invariant]:
    """The invariants verify and the property tests check, their conditions and citations
    resolved like a rule's; one problem per line."""
    found: dict[str, Invariant] = {}
    for number, entry in enumerate(_read(path) or [], start=1):
        if not isinstance(entry, dict):
            problems.append(f"invariants.yaml, entry {number}: must be a mapping")
            continue
        where = f"invariants.yaml, {entry.get('id', f'entry {number}')}"
        entry, here = dict(entry), []
        for part in ("when", "requires"):
            conditions = []
            for subject, value in (entry.pop(part, None) or {}).items():
                try:
                    condition = context.condition(subject, value)
                except KnowledgeError as error:
                    here += [p.replace("when.", f"{part}.", 1) for p in error.problems]
                    continue
                if condition.kind not in _INVARIANT_CONDITIONS:
                    here.append(f"{part}.{subject}: an invariant tests what the case says")
                conditions.append(condition)
            entry[part] = conditions
        citations = []
        for ref in entry.pop("citations", None) or []:
            try:
                citations.append(context.citation(ref))
            except KnowledgeError as error:
                here += error.problems
        try:
            invariant = Invariant.model_validate({**entry, "citations": citations})
        except ValidationError as error:
            here += [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
            problems += [f"{where}: {p}" for p in here]
            continue
        here += _invariant_problems(invariant, context)
        if invariant.id in found:
            here.append("id is used twice")
        problems += [f"{where}: {p}" for p in here]
        found[invariant.id] = invariant
    return found


def _invariant_problems(invariant: Invariant, context: _Context) -> list[str]:
    """What the model alone cannot check: a safety invariant cites, the others say why,
    and only an option invariant is narrowed to stages or options."""
    problems = [
        f"options: {option} is not a treatment id"
        for option in invariant.options
        if option not in context.treatments
    ]
    if invariant.kind == "safety" and not invariant.citations:
        problems.append("a safety invariant cites a seed or a guideline, like a rule")
    if invariant.kind != "safety" and not invariant.basis:
        problems.append(f"a {invariant.kind} invariant says its basis")
    if invariant.scope != "option" and (invariant.stages or invariant.options):
        problems.append("only an option invariant is narrowed to stages or options")
    return problems


def _evidence(
    path: Path, context: _Context, problems: list[str]
) -> tuple[dict[str, EvidenceNote], tuple[GuidelineNote, ...]]:
    """The evidence note of every treatment, and the guideline notes, citations resolved."""
    data = _read(path) or {}
    notes: dict[str, EvidenceNote] = {}
    broken: set[str] = set()  # notes with a problem already reported
    for option, entry in (data.get("options") or {}).items():
        where = f"evidence.yaml, {option}"
        if option not in context.treatments:
            problems.append(f"{where}: not a treatment id")
            continue
        try:
            entry = dict(entry)
            by_case = _by_case(entry.pop("by_case", None) or [], context, where, problems)
            if by_case is None:
                broken.add(option)
                continue
            for side in ("seed_position", "guideline_position"):
                entry[side] = _position(entry[side], context)
            notes[option] = EvidenceNote.model_validate(
                {**entry, "option": option, "by_case": by_case}
            )
        except (KnowledgeError, ValidationError, KeyError, TypeError) as error:
            problems.append(f"{where}: {_first_line(error)}")
            broken.add(option)
            continue
        if not notes[option].guideline_position.citations:
            problems.append(f"{where}: the guideline position cites no guideline")
    for option in sorted(context.treatments - set(notes) - broken):
        problems.append(f"evidence.yaml: {option} has no evidence note")
    guideline_notes = []
    for entry in data.get("guideline_notes") or []:
        try:
            entry = dict(entry)
            entry["citations"] = [context.citation(c) for c in entry.get("citations") or []]
            guideline_notes.append(GuidelineNote.model_validate(entry))
        except (KnowledgeError, ValidationError, TypeError) as error:
            problems.append(
                f"evidence.yaml, guideline note {entry.get('id')}: {_first_line(error)}"
            )
    for note in guideline_notes:
        if not note.citations:
            problems.append(f"evidence.yaml, guideline note {note.id}: cites nothing")
    return notes, tuple(guideline_notes)


def _position(entry: Any, context: _Context) -> dict[str, Any]:
    """A position with its citations resolved (raises :class:`KnowledgeError`)."""
    position = dict(entry)
    position["citations"] = [context.citation(c) for c in position.get("citations") or []]
    return position


def _by_case(
    entries: Any, context: _Context, where: str, problems: list[str]
) -> list[CaseEvidence] | None:
    """An evidence note's ``by_case`` entries, checked; ``None`` when any has a problem.

    Each ``when`` is checked as a rule's is, one line per problem, and may name
    only case facts: the pathway picks an entry from the case alone.
    """
    if not isinstance(entries, list):
        problems.append(f"{where}: by_case must be a list")
        return None
    found: list[str] = []
    checked = []
    for number, entry in enumerate(entries, start=1):
        here = f"{where}, by_case {number}"
        if not isinstance(entry, dict):
            found.append(f"{here}: must be a mapping")
            continue
        entry = dict(entry)
        when = entry.pop("when", None)
        if not isinstance(when, dict) or not when:
            found.append(f"{here}: when must name at least one case fact")
            continue
        conditions = []
        before = len(found)
        for subject, value in when.items():
            try:
                condition = context.condition(subject, value)
            except KnowledgeError as error:
                found.extend(f"{here}: {p}" for p in error.problems)
                continue
            if condition.kind != "case":
                found.append(f"{here}: when.{subject}: by_case tests case facts only")
                continue
            conditions.append(condition)
        try:
            entry["guideline_position"] = _position(entry["guideline_position"], context)
            if len(found) > before:
                continue
            item = CaseEvidence.model_validate({**entry, "when": conditions})
        except (KnowledgeError, ValidationError, KeyError, TypeError) as error:
            found.append(f"{here}: {_first_line(error)}")
            continue
        if not any(isinstance(c, GuidelineCitation) for c in item.guideline_position.citations):
            found.append(f"{here}: the guideline position cites no guideline")
        checked.append(item)
    problems.extend(found)
    return None if found else checked


def _first_line(error: Exception) -> str:
    if isinstance(error, KnowledgeError):
        return "; ".join(error.problems)
    return str(error).splitlines()[0] if str(error) else type(error).__name__


#: What each knowledge file holds at its top level (the rule files hold lists).
_TOP_LEVEL: dict[str, type] = {
    "knowledge.yaml": dict,
    "evidence.yaml": dict,
    "glossary.yaml": dict,
    "questions.yaml": dict,
    "handout.yaml": dict,
    "explore.yaml": dict,
}


def _read(path: Path) -> Any:
    import yaml

    from spinepath.strict_yaml import KnowledgeYamlLoader

    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=KnowledgeYamlLoader)
    except (OSError, yaml.YAMLError) as error:
        raise KnowledgeError(f"{path}: {error}") from None
    expected = _TOP_LEVEL.get(path.name, list)
    if data is not None and not isinstance(data, expected):
        kind = "a mapping" if expected is dict else "a list"
        raise KnowledgeError(f"{path}: must be {kind} at the top level")
    return data


class _Context:
    """What a rule may refer to, and how its parts are checked."""

    def __init__(
        self,
        seeds: dict[str, Seed],
        guidelines: dict[str, Guideline],
        stages: tuple[Stage, ...],
        intermediates: dict[str, Intermediate],
    ) -> None:
        self.seeds = seeds
        self.guidelines = guidelines
        self.stage_ids = [stage.id for stage in stages]
        self.treatments = {t.id for stage in stages for t in stage.treatments}
        self.intermediates = intermediates
        self.measures: dict[str, Measure] = {}

    def rule(self, entry: Any, file: str, position: int) -> Rule:
        if not isinstance(entry, dict):
            raise KnowledgeError("a rule must be a mapping")
        entry = dict(entry)
        problems: list[str] = []
        conditions = []
        for subject, value in (entry.pop("when", None) or {}).items():
            try:
                conditions.append(self.condition(subject, value))
            except KnowledgeError as error:
                problems.extend(error.problems)
        then = Conclusion.model_validate(entry.pop("then", {}))
        problems.extend(self.check_conclusion(then))
        citations = []
        for ref in entry.pop("citations", None) or []:
            try:
                citations.append(self.citation(ref))
            except KnowledgeError as error:
                problems.extend(error.problems)
        if not citations and not problems:
            problems.append("has no citation")
        if problems:
            raise KnowledgeError(problems)
        return Rule.model_validate(
            {
                **entry,
                "when": conditions,
                "then": then,
                "citations": citations,
                "file": file,
                "position": position,
            }
        )

    def condition(self, subject: str, value: Any) -> Condition:
        if subject == "no_option_in":
            if value not in self.stage_ids:
                raise KnowledgeError(f"when.no_option_in: {value!r} is not a stage")
            return Condition(kind="no_option_in", subject=value, values=(True,))
        values = tuple(value) if isinstance(value, list) else (value,)
        if subject == "red_flags":
            bad = [v for v in values if v not in tuple(RED_FLAG_SCREENS)]
            if bad or not values:
                raise KnowledgeError(
                    "when.red_flags: takes any, emergency, urgent, none or null "
                    f"(never asked) (got {value!r})"
                )
            return Condition(kind="red_flags", subject=subject, values=values, key="red_flags")
        if subject in self.measures:
            measure = self.measures[subject]
            bands = [band.value for band in measure.bands]
            bad = [v for v in values if v is not None and v not in bands]
            if bad:
                raise KnowledgeError(f"when.{subject}: {bad!r} not among {[*bands, None]!r}")
            return Condition(kind="measure", subject=subject, values=values, key=measure.key)
        if subject in self.intermediates:
            if len(values) != 1 or not isinstance(values[0], bool):
                raise KnowledgeError(f"when.{subject}: an intermediate takes true or false")
            return Condition(kind="intermediate", subject=subject, values=values)
        if subject not in CASE_KEYS:
            raise KnowledgeError(f"when.{subject}: neither a case fact nor an intermediate")
        allowed = allowed_values(subject)
        if allowed is None:
            raise KnowledgeError(
                f"when.{subject}: rules test only facts with a fixed set of values"
            )
        # Compare types too: YAML's true must not pass for a value spelled 1.
        bad = [v for v in values if not any(same_value(v, a) for a in allowed)]
        if bad:
            raise KnowledgeError(f"when.{subject}: {bad!r} not among {list(allowed)!r}")
        return Condition(kind="case", subject=subject, values=values, key=subject)

    def check_conclusion(self, then: Conclusion) -> list[str]:
        problems = [
            f"then.establish: {name} is not in intermediates.yaml"
            for name in then.establish
            if name not in self.intermediates
        ]
        problems += [
            f"then.options: {option} is not a treatment id"
            for option in then.options
            if option not in self.treatments
        ]
        problems += [
            f"then.caution.concerns: {name} is not a treatment or stage id"
            for name in (then.caution.concerns if then.caution else ())
            if name not in self.treatments and name not in self.stage_ids
        ]
        problems += [
            f"then.missing_facts: {fact} is not a case fact"
            for fact in then.missing_facts
            if fact not in CASE_KEYS
        ]
        if not (
            then.establish
            or then.current_stage
            or then.options
            or then.caution
            or then.missing_facts
            or then.alert
            or then.cap
        ):
            problems.append("then: concludes nothing")
        if then.cap:
            problems += [
                f"then.cap: stage {stage} is not a stage"
                for stage in then.cap.stages
                if stage not in self.stage_ids
            ]
        return problems

    def citation(self, ref: Any) -> Citation:
        if not isinstance(ref, dict) or "source" not in ref:
            raise KnowledgeError(f"citation {ref!r}: needs a source")
        source = str(ref["source"])
        if source in self.seeds:
            quote = ref.get("quote")
            if not isinstance(quote, str) or not quote:
                raise KnowledgeError(f"citation of {source}: needs a verbatim quote")
            start = self.seeds[source].text.find(quote)
            if start < 0:
                raise KnowledgeError(f"citation of {source}: quote not found verbatim: {quote!r}")
            return SeedCitation(source=source, quote=quote, start=start, end=start + len(quote))
        if source in self.guidelines:
            guideline = self.guidelines[source]
            section = str(ref.get("section", ""))
            if section not in guideline.sections:
                raise KnowledgeError(f"citation of {source}: section {section!r} is not registered")
            return GuidelineCitation(
                source=source,
                reference=GuidelineReference(
                    title=guideline.title,
                    publisher=guideline.publisher,
                    year=guideline.year,
                    section=section,
                    summary=guideline.sections[section],
                    url=guideline.url,
                ),
            )
        raise KnowledgeError(f"citation: source {source!r} is not in the source register")
