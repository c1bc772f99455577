"""Reading a case file (YAML or JSON) into a validated :class:`Case`.

The loader is deliberately strict, because a silently misread case gives a
wrong pathway: YAML's ``yes``/``no``/``on``/``off`` stay text (and so fail
validation) instead of becoming booleans, duplicate keys are errors rather than
"last one wins", aliases are refused, and every problem is reported as one line
naming the key and what was given.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from spinepath.case.model import CASE_KEYS, Case, allowed_values, contradictions, spelled
from spinepath.errors import CaseError
from spinepath.limits import MAX_DIGITS

MAX_CASE_BYTES = 1_000_000
#: Unknown keys named one by one; beyond them, a count.
UNKNOWN_KEYS_SHOWN = 10


def load_case(path: str | Path) -> Case:
    """Read and validate the case file at ``path``; raise :class:`CaseError` on any problem."""
    path = Path(path)
    text = read_case_text(path)
    return parse_case(text, source=str(path), format=format_of(path, text))


def read_case_text(path: Path) -> str:
    """The text of a case file, with one-line errors for what cannot be read.

    At most one byte beyond the limit is read, whatever size the file reports:
    a device, FIFO or pipe (``/dev/zero``, ``/dev/stdin``) reports none and never ends.
    """
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_CASE_BYTES + 1)
        if len(raw) > MAX_CASE_BYTES:
            raise CaseError(
                f"{path}: larger than {MAX_CASE_BYTES:,} bytes; a case file is at most that"
            )
    except IsADirectoryError:
        raise CaseError(f"{path}: is a directory, not a case file") from None
    except FileNotFoundError:
        raise CaseError(f"{path}: no such file") from None
    except PermissionError:
        raise CaseError(f"{path}: permission denied") from None
    except OSError as error:
        raise CaseError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CaseError(f"{path}: is not UTF-8 text") from None


def format_of(path: Path, text: str) -> str:
    """"json" or "yaml": by the file's suffix, else by whether the text opens a JSON object."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    return "json" if text.lstrip().startswith("{") else "yaml"


def parse_case(text: str, *, source: str = "<case>", format: str = "yaml") -> Case:
    """Parse case text in ``format`` ("yaml" or "json") and validate it."""
    return validate_case(parse_case_data(text, source=source, format=format), source=source)


def parse_case_data(
    text: str, *, source: str = "<case>", format: str = "yaml", empty_ok: bool = False
) -> dict[Any, Any]:
    """Parse case text into its mapping, unvalidated; an empty text is ``{}`` if ``empty_ok``."""
    data = _parse_json(text, source) if format == "json" else _parse_yaml(text, source)
    if data is None and empty_ok:
        return {}
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {_kind(data)}"
        raise CaseError(f"{source}: a case file must be one mapping of keys to values, not {kind}")
    return data


def validate_case(data: dict[str, Any], *, source: str = "<case>") -> Case:
    """Validate a mapping against the case model, with one readable line per problem."""
    bad_keys = [key for key in data if not isinstance(key, str)]
    if bad_keys:
        raise CaseError([f"{source}: key {key!r} is not text" for key in bad_keys])
    try:
        return Case.model_validate(data)
    except ValidationError as error:
        lines = describe_errors(error, data)
        if not any(item["type"] == "value_error" and not item["loc"] for item in error.errors()):
            # The model checks contradictions only once every value is valid; report
            # them with the other problems rather than on the next attempt.
            lines += contradictions(data)
        raise CaseError([f"{source}: {line}" for line in lines]) from None


def _parse_yaml(text: str, source: str) -> Any:
    import yaml

    from spinepath.strict_yaml import load_strict

    try:
        return load_strict(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = error.problem or error.context or "malformed YAML"
        raise CaseError(f"{source}: {where}malformed YAML: {problem}") from None
    except yaml.YAMLError as error:
        raise CaseError(f"{source}: malformed YAML: {error}") from None
    except RecursionError:
        raise CaseError(f"{source}: malformed YAML: nested too deeply") from None


def _parse_json(text: str, source: str) -> Any:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise CaseError(f"{source}: duplicate key {key!r}")
            result[key] = value
        return result

    def bounded_int(digits: str) -> int:
        if len(digits.lstrip("-")) > MAX_DIGITS:
            raise CaseError(f"{source}: malformed JSON: a number of more than {MAX_DIGITS} digits")
        return int(digits)

    try:
        return json.loads(text, object_pairs_hook=no_duplicates, parse_int=bounded_int)
    except json.JSONDecodeError as error:
        raise CaseError(
            f"{source}: line {error.lineno}, column {error.colno}: malformed JSON: {error.msg}"
        ) from None
    except RecursionError:
        raise CaseError(f"{source}: malformed JSON: nested too deeply") from None


def describe_errors(error: ValidationError, data: dict[str, Any]) -> list[str]:
    """One line per bad key: what the key accepts and what was given."""
    lines: list[str] = []
    done: set[str] = set()
    unknown = 0
    for item in error.errors(include_url=False, include_input=False):
        loc = item["loc"]
        if not loc:
            message = item["msg"].removeprefix("Value error, ")
            lines.extend(message.splitlines())
            continue
        key = str(loc[0])
        if item["type"] == "extra_forbidden":
            unknown += 1
            if unknown <= UNKNOWN_KEYS_SHOWN:
                lines.append(f"{key}: unknown key{_did_you_mean(key)}")
            continue
        if item["type"] == "missing":
            lines.append(f"{key}: required, one of {_spelled(allowed_values(key) or ())}")
            continue
        # A union reports one error per branch (loc ends in the branch's name);
        # only list indexes locate the value.
        path = (key, *(part for part in loc[1:] if isinstance(part, int)))
        where = key + "".join(f"[{part}]" for part in path[1:])
        if where in done:
            continue
        done.add(where)
        if item["type"] == "value_error":
            lines.append(f"{where}: {item['msg'].removeprefix('Value error, ')}")
        else:
            lines.append(f"{where}: {_expectation(key, item)} (got {_given(data, path)})")
    if unknown > UNKNOWN_KEYS_SHOWN:
        lines.append(f"and {unknown - UNKNOWN_KEYS_SHOWN:,} more unknown keys")
    return lines


def _expectation(key: str, item: dict[str, Any]) -> str:
    if key == "red_flags" and any(isinstance(part, int) for part in item["loc"]):
        if item["type"] == "literal_error":
            return f"must be one of {_spelled(_red_flag_values())}"
        return "must be text"
    if key == "red_flags":
        return "must be a list of red flags"
    field = Case.model_fields[key]
    values = allowed_values(key)
    if values is not None:
        return f"must be one of {_spelled(values)}"
    bounds = {type(m).__name__: m for m in field.metadata}
    if "Ge" in bounds and "Le" in bounds:
        return f"must be a whole number from {bounds['Ge'].ge} to {bounds['Le'].le}"
    if item["type"] == "string_too_long":
        return f"must be text of at most {item['ctx']['max_length']} characters"
    return item["msg"].lower()


def _red_flag_values() -> tuple[object, ...]:
    import typing

    from spinepath.case.model import RedFlag

    return typing.get_args(RedFlag)


def _spelled(values: tuple[object, ...]) -> str:
    shown = [spelled(value) for value in values if value is not None]
    return ", ".join(shown)


def _given(data: dict[str, Any], loc: tuple[Any, ...]) -> str:
    value: Any = data
    for part in loc:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return "nothing"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return spelled(value)
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, (int, float)):
        return repr(value)
    return f"a {_kind(value)}"


def _kind(value: Any) -> str:
    return {dict: "mapping", list: "list", str: "text", int: "number", float: "number"}.get(
        type(value), type(value).__name__
    )


def _did_you_mean(key: str) -> str:
    import difflib  # only needed for a misspelt key

    close = difflib.get_close_matches(key.lower(), CASE_KEYS, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
