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


class NoDuplicateKeys:
    """A YAML loader mixin: a key given twice in one mapping is an error, not "last wins"."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Mark] = {}
        for key_node, _ in node.value:
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


class StrictYamlLoader(NoDuplicateKeys, yaml.SafeLoader):
    """A YAML loader with only ``true``/``false`` booleans, decimal integers, no dates,
    no aliases and no duplicate keys."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.constructor.ConstructorError(
                None, None, "aliases (*name) are not allowed in a case file", event.start_mark
            )
        return super().compose_node(parent, index)


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


_Parser: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KnowledgeYamlLoader(NoDuplicateKeys, _Parser):
    """The case loader's strictness (the same scalars, no duplicate keys), parsed by libyaml
    when PyYAML has it: the pure-Python parser was most of the knowledge base's load time.
    The knowledge base is our own text, so aliases are not policed there."""


KnowledgeYamlLoader.yaml_implicit_resolvers = StrictYamlLoader.yaml_implicit_resolvers
