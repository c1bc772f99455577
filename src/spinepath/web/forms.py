"""A case in a web form or a URL query, and back: the same spellings as a case file.

Every case key is a query parameter of its own (``onset=chronic``,
``herniation=unknown``, ``red_flags=cauda_equina&red_flags=major_trauma``,
``red_flags=none`` for "screened, none present"). An empty or missing value is
"not stated", and "unknown" is "not sure": nothing is ever filled in for the
person. The case then goes through the case loader's own validation
(:func:`spinepath.api.load_case`), so a bad value gets the CLI's line; the spellings
are the case file's vocabulary, from :mod:`spinepath.api`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from spinepath import api
from spinepath.api import UNKNOWN, Case, allowed_values, spelled

#: The source named in error lines, as the API names its case.
SOURCE = "case"
NONE_OF_THESE = "none"
NOT_STATED = "null"
#: Query parameters that are not case keys: the page's own.
PAGE_PARAMETERS = ("step", "how", "why_not", "go_on")
#: A what-if's new value of KEY is sent as ``to.KEY``.
CHANGE_PREFIX = "to."


def facts_from_query(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The stated facts in a query (unvalidated; unknown names kept so they are reported)."""
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        if name in PAGE_PARAMETERS or name.startswith(CHANGE_PREFIX):
            continue
        values.setdefault(name, []).append(value.strip())
    facts: dict[str, Any] = {}
    for name, given in values.items():
        if name == "red_flags":
            flags = [flag for flag in given if flag]
            if flags and UNKNOWN not in flags:
                facts[name] = [] if flags == [NONE_OF_THESE] else flags
            continue
        value = fact_value(name, given[-1] if len(given) == 1 else given)
        if value is not None:
            facts[name] = value
    return facts


def fact_value(name: str, given: Any) -> Any:
    """A form's text as the case value it spells; None for "not stated"."""
    if not isinstance(given, str) or name not in api.case_keys():
        return given or None
    if given == "":
        return None
    if name == "label":
        return given
    values = allowed_values(name)
    if values is None:  # a number
        if given == UNKNOWN:
            return None
        return int(given) if given.isdigit() and len(given) < 6 else given
    for value in values:
        if value is not None and spelled(value) == given:
            return value
    # "Not sure" of a fact with no "unknown" value is "not stated".
    return None if given == UNKNOWN else given


def case_from_query(pairs: Iterable[tuple[str, str]]) -> Case:
    """The validated case in a query; :class:`~spinepath.errors.CaseError` if it is bad."""
    return api.load_case(facts_from_query(pairs), source=SOURCE)


def changes_from_query(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The changes a what-if form asks for: ``to.KEY=VALUE``, an empty VALUE leaving the fact
    as it is and ``null`` making it not stated (as ``--set KEY=null``)."""
    changes: dict[str, Any] = {}
    for name, value in pairs:
        if not name.startswith(CHANGE_PREFIX) or not value:
            continue
        key = name.removeprefix(CHANGE_PREFIX)
        if value == NOT_STATED:
            changes[key] = None
        elif key == "red_flags":
            changes[key] = [] if value == NONE_OF_THESE else [value]
        else:
            changes[key] = fact_value(key, value)
    return changes


def query_of(case: Case) -> list[tuple[str, str]]:
    """The case as query parameters, keys in the case model's order."""
    pairs: list[tuple[str, str]] = []
    for key, value in api.stated_facts(case).items():
        if value is None:
            continue
        if key == "red_flags":
            pairs += [(key, flag) for flag in value] or [(key, NONE_OF_THESE)]
        else:
            pairs.append((key, spelled(value)))
    order = {key: index for index, key in enumerate(api.case_keys())}
    return sorted(pairs, key=lambda pair: order[pair[0]])


def current_value(case: Case, key: str) -> str:
    """The form spelling of a fact's value: "" when not stated."""
    value = getattr(case, key)
    if value is None:
        return ""
    if key == "red_flags":
        return NONE_OF_THESE if value == [] else ""
    return spelled(value)
