"""spinepath's YAML dialect, for case files and the knowledge base alike.

A silently misread fact gives a wrong pathway, so the dialect is strict: only
``true``/``false`` are booleans (``yes``/``no``/``on``/``off`` stay text),
integers are decimal, dates stay text, a key given twice in one mapping is an
error rather than "last one wins", and case files may not use aliases.

Its own module so that PyYAML is imported only when YAML is read: a JSON case
on a warm knowledge-base cache never loads it.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from spinepath.limits import MAX_DIGITS


class NoDuplicateKeys:
    """A YAML loader mixin: a key given twice in one mapping is an error, not "last wins"."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Mark] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                # A list or mapping as a key cannot be hashed: say so rather than crash.
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be text, not a list or mapping", key_node.start_mark
                )
            key = self.construct_object(key_node, deep=True)  # type: ignore[attr-defined]
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first at line {seen[key].line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)  # type: ignore[misc]


_Parser: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StrictYamlLoader(NoDuplicateKeys, _Parser):
    """A YAML loader with only ``true``/``false`` booleans, decimal integers, no dates and
    no duplicate keys, parsed by libyaml when PyYAML has it (the pure-Python parser takes
    seconds over a large file). Use :func:`load_strict`, which also refuses aliases."""


def load_strict(text: str) -> Any:
    """The one document in ``text``, read by :class:`StrictYamlLoader`, with no aliases.

    Raises ``yaml.YAMLError``.
    """
    loader = StrictYamlLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _refuse_aliases(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _refuse_aliases(root: yaml.Node) -> None:
    """An alias makes the composer reuse its anchor's node: a node met twice is an alias.

    Walked without recursion, since a case file may nest as deeply as its parser allows.
    """
    seen: set[int] = set()
    todo = [root]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            raise yaml.constructor.ConstructorError(
                None, None, "aliases (*name) are not allowed in a case file", node.start_mark
            )
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            todo.extend(part for pair in node.value for part in pair)
        elif isinstance(node, yaml.SequenceNode):
            todo.extend(node.value)


def _strict_resolvers() -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    dropped = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:timestamp"}
    resolvers = {
        first: [(tag, regexp) for tag, regexp in entries if tag not in dropped]
        for first, entries in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    extra = [
        ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF"),
        ("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), "-+0123456789"),
    ]
    for tag, regexp, firsts in extra:
        for first in firsts:
            resolvers.setdefault(first, []).append((tag, regexp))
    return resolvers


StrictYamlLoader.yaml_implicit_resolvers = _strict_resolvers()

_DECIMAL = re.compile(r"^[-+]?[0-9]+$")
_TRUE = ("true", "True", "TRUE")
_FALSE = ("false", "False", "FALSE")


def _scalar_problem(node: yaml.Node, problem: str) -> yaml.constructor.ConstructorError:
    return yaml.constructor.ConstructorError(None, None, problem, node.start_mark)


def _strict_bool(loader: yaml.SafeLoader, node: yaml.Node) -> bool:
    """``!!bool`` (explicit or not) takes only true or false: ``!!bool "yes"`` is no boolean."""
    value = loader.construct_scalar(node)  # type: ignore[arg-type]
    if value in _TRUE or value in _FALSE:
        return value in _TRUE
    raise _scalar_problem(node, f"!!bool needs true or false, not {value!r}")


def _strict_int(loader: yaml.SafeLoader, node: yaml.Node) -> int:
    """``!!int`` takes decimal digits only (no hex, octal or base 60), and not too many."""
    value = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    if not _DECIMAL.match(value):
        raise _scalar_problem(node, f"!!int needs a decimal whole number, not {value[:40]!r}")
    if len(value.lstrip("+-")) > MAX_DIGITS:
        raise _scalar_problem(node, f"a number of more than {MAX_DIGITS} digits")
    return int(value)


def _refused_tag(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    raise _scalar_problem(node, f"tag {tag} is not allowed in a case file")


StrictYamlLoader.add_constructor("tag:yaml.org,2002:bool", _strict_bool)
StrictYamlLoader.add_constructor("tag:yaml.org,2002:int", _strict_int)
for _tag in ("timestamp", "binary", "set", "omap", "pairs"):
    StrictYamlLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _refused_tag)


class KnowledgeYamlLoader(NoDuplicateKeys, _Parser):
    """The case loader's strictness (the same scalars, no duplicate keys), parsed by libyaml
    when PyYAML has it: the pure-Python parser was most of the knowledge base's load time.
    The knowledge base is our own text, so aliases are not policed there."""


KnowledgeYamlLoader.yaml_implicit_resolvers = StrictYamlLoader.yaml_implicit_resolvers
