"""The engine's performance layer: parts of experta 1.9.4 replaced for speed.

experta is a pure-Python RETE engine, and most of the time of one case went
into bookkeeping that cannot change what it concludes. The rules, the RETE
network experta builds from them (its nodes, edges and the tests in them), the
node memories, the activations, the agenda and the conflict resolution stay
experta's. This module replaces how that network is walked, and nothing else:

1. **Rule preparation** (:meth:`FastMatcher.prepare_ruleset`): a compiled rule
   already in the disjunctive normal form experta's ``prepare_rule`` produces is
   not rewritten again; only the rules with an either-or constraint are.
2. **Conflict-set polling** (:meth:`FastMatcher.changes`): only the conflict-set
   nodes reached since the last poll are asked for their activations, in
   experta's own node order, and their sets are handed over inline.
3. **Reset** (:meth:`FastMatcher.reset`, :meth:`CachingEngine.reset`): only the
   memories activated since the last reset are wiped (the others are still
   empty); ``DefFacts`` are found, and their signatures read, once; when the
   first reset's ``InitialFact`` reached no memory and made no activation,
   later resets declare a fresh one into the fresh fact list without sending
   it through the network again.
4. **The alpha network as a dispatch on values** (:func:`_alpha_dispatch`): the
   children of a node that test the same key are asked together, the fact's
   value looked up in a table from each literal to the children that test for
   it (a hash on the literal, as CLIPS does), instead of one feature tester
   after another; experta's own check function tests any value of another type.
5. **Node activation** (:func:`_literal_test`, :func:`_capture`, :func:`_join`,
   :func:`_negation`, :func:`_conflict`, :func:`_edge`): the routines of
   experta's nodes, step for step (the same memories, the same tests, the same
   tokens and activations), without re-validating the types of tokens made
   from valid ones, without copying a token into a node that cannot change
   it, and making a token's frozen ``to_info()`` once; captures binding one
   name share the token they make from one fact, conflict-set nodes the
   context made from one token, joins keep each token's own facts and context
   (equal to its frozen ``to_info()``), experta's ``SameContextCheck`` is
   written out, and each activation's hash is worked out once.
6. **The agenda** (:class:`RuleOrderStrategy`): salience, then the facts' ids,
   without experta's ``lru_cache`` that never hits, bisected on the keys
   ``Activation.__lt__`` compares.
7. **The run loop and declaring** (:class:`CachingEngine`, :class:`FastFactList`,
   :func:`trusted_fact`): watcher messages are formatted only when a watcher is
   on, the network is polled only when something changed, and an action's
   context names are worked out once per rule; experta's declaration checks
   with the checks on keys answered once per key set and a fact's identity and
   hash computed in one pass; facts built from trusted values without
   experta's ``Fact.__init__`` and per-key ``__setitem__``.

Why none of this can change a conclusion: the network and every test in it are
the ones experta builds; a table lookup accepts exactly the literals experta's
``expected.value == actual`` accepts (for ``str``, ``int``, ``bool`` and
``None``, whose hashes agree with ``==``); the memories hold the same token
information (or, in joins, the token's own facts and context, which compare
equal to it) and the conflict-set nodes the same activations; what is shared
between nodes is never changed once made; the order children are reached in
only changes the order activations are collected into sets, and the agenda
orders them by salience and fact ids. ``tests/test_engine.py`` holds all of
this to experta as released: the reference engine
(:mod:`spinepath.engine.reference`, the same compiled rules on unmodified
experta) must fire the same rules with the same matched slots and conclusions,
in the same order, on every teaching case and on random cases that withdraw
activations through ``NOT`` patterns; the prepared rule set must equal
experta's own, facts built directly and declared must equal experta's, a reset
must leave experta's state, and joins, the written-out ``SameContextCheck``
and the agenda must behave as experta's own.
"""

from __future__ import annotations

import inspect
import logging
from bisect import bisect_left, insort_right
from collections import Counter, OrderedDict
from contextlib import suppress
from itertools import chain
from operator import attrgetter, itemgetter
from typing import Any

from spinepath.engine.compat import experta_module

experta = experta_module()
from experta import watchers  # noqa: E402 - after the compatibility shim
from experta.activation import Activation  # noqa: E402
from experta.agenda import Agenda  # noqa: E402
from experta.engine import KnowledgeEngine  # noqa: E402
from experta.factlist import FactList  # noqa: E402
from experta.fieldconstraint import ORFC, L  # noqa: E402
from experta.matchers import ReteMatcher  # noqa: E402
from experta.matchers.rete.abstract import OneInputNode, TwoInputNode  # noqa: E402
from experta.matchers.rete.check import (  # noqa: E402
    FactCapture,
    FeatureCheck,
    SameContextCheck,
    TypeCheck,
)
from experta.matchers.rete.mixins import ChildNode, NoMemory  # noqa: E402
from experta.matchers.rete.nodes import (  # noqa: E402
    ConflictSetNode,
    FeatureTesterNode,
    NotNode,
    OrdinaryMatchNode,
)
from experta.matchers.rete.token import Token, TokenInfo  # noqa: E402
from experta.matchers.rete.utils import prepare_rule  # noqa: E402, F401 - tests use it
from experta.strategies import DepthStrategy  # noqa: E402
from experta.utils import freeze as _freeze  # noqa: E402

#: An activation's agenda key, the one thing ``Activation.__lt__`` compares.
_KEY = attrgetter("key")
#: A declared fact's id (``fact["__factid__"]``).
_FACT_ID = itemgetter("__factid__")


class RuleOrderStrategy(DepthStrategy):
    """Agenda order by salience alone (each rule has its own), then by the facts matched.

    experta's own ``get_key`` sits behind an ``lru_cache`` keyed on activations,
    which never hits and keeps every activation alive.
    """

    def get_key(self, activation: Any) -> Any:
        return (activation.rule.salience, sorted(map(_FACT_ID, activation.facts)))

    def _update_agenda(self, agenda: Any, added: Any, removed: Any) -> None:
        """``DepthStrategy._update_agenda``, step for step, with the bisection comparing
        the activations' keys directly (``Activation.__lt__`` compares exactly those)
        instead of calling ``__lt__`` in Python at every step."""
        activations = agenda.activations
        get_key = self.get_key
        for act in removed:
            act.key = get_key(act)
            idx = bisect_left(activations, act.key, key=_KEY)
            for o in (0, 1, -1):
                try:
                    if activations[idx + o] == act:
                        del activations[idx + o]
                    else:
                        continue
                except IndexError:
                    pass
                else:
                    break
        if get_key.__func__ is RuleOrderStrategy.get_key:
            for act in added:
                # ``get_key``, written out: the rule's salience, then its facts' ids.
                act.key = (act.rule.salience, sorted(map(_FACT_ID, act.facts)))
                insort_right(activations, act, key=_KEY)
        else:  # pragma: no cover - a subclass with its own key
            for act in added:
                act.key = get_key(act)
                insort_right(activations, act, key=_KEY)


class FastMatcher(ReteMatcher):
    """experta's RETE matcher, polling only the conflict-set nodes touched since the last poll.

    experta asks every conflict-set node (one per rule) for its changes at every
    firing step, although only the few nodes a new fact reached have any. Here
    each conflict-set node notes itself when it is activated, and ``changes``
    asks only those, in experta's own node order, so the activations returned
    are the same, in the same order. ``reset`` wipes the memory of each node
    that has one, once, instead of walking every path of the network.

    The network's edges are also rewired (see :func:`_rewire`) to skip the
    per-activation work that does not change the result: re-checking the
    types inside every token copy, and asking the logging system whether
    experta's debug watchers are on.
    """

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        nodes = self._get_conflict_set_nodes()
        self._order = {node: index for index, node in enumerate(nodes)}
        self._dirty: dict[Any, None] = {}
        every = _all_nodes(self.root_node)
        self._touched: dict[Any, None] = {}
        #: For each binding name, the last token a capture received and the one it made.
        self._captured: dict[str, tuple[Any, Any]] = {}
        #: The token information the last activation was made of, its context, hash part.
        self._last_context: list[Any] = [None, None, None]
        replaced = (OrdinaryMatchNode, NotNode, ConflictSetNode)
        self._other_memory_nodes = [
            node for node in every if not isinstance(node, NoMemory) and type(node) not in replaced
        ]
        for node in every:
            kind = type(node)
            if kind is FeatureTesterNode and _plain_literal(node.matcher):
                node._activate = _literal_test(node)
            elif kind is FeatureTesterNode and isinstance(node.matcher, FactCapture):
                node._activate = _capture(node, self._captured)
            elif kind is OrdinaryMatchNode:
                node._activate_left, node._activate_right = _join(node, self._touched)
            elif kind is NotNode:
                node._activate_left, node._activate_right = _negation(node, self._touched)
            elif kind is ConflictSetNode:
                node._activate = _conflict(node, self._touched, self._dirty, self._last_context)
        for node in nodes:
            if type(node) is not ConflictSetNode:  # pragma: no cover - experta makes only these
                node._activate = self._noting(node, node._activate)
        for node in every:  # after the lines above: edges bind the activation routines
            _rewire(node)
        self._alpha = _alpha_dispatch(self.root_node)

    @staticmethod
    def prepare_ruleset(engine: Any) -> set[Any]:
        """experta's rule preparation, skipped for rules already in the form it produces.

        experta rewrites every rule into disjunctive normal form before building
        the network, and that rewrite was most of the cost of building an engine
        (and so of every cold start). A compiled rule is already a conjunction
        led by the case fact; only one with an either-or constraint
        (``L(a) | L(b)``) is changed by it, so only those are rewritten.
        """
        from spinepath.engine.preparation import prepare_ruleset

        return prepare_ruleset(engine.get_rules())

    @staticmethod
    def build_alpha_part(ruleset: set[Any], root_node: Any) -> dict[Any, Any]:
        """experta's alpha network, built with cheaper bookkeeping (see engine.alpha)."""
        from spinepath.engine.alpha import build_alpha_part

        return build_alpha_part(ruleset, root_node)

    @staticmethod
    def build_beta_part(ruleset: set[Any], alpha_terminals: dict[Any, Any]) -> None:
        """experta's beta wiring without a dispatcher made per rule (see engine.wiring)."""
        from spinepath.engine.wiring import build_beta_part

        build_beta_part(ruleset, alpha_terminals)

    def _noting(self, node: Any, activate: Any) -> Any:
        dirty = self._dirty

        def _activate(token: Any) -> None:
            dirty[node] = None
            activate(token)

        return _activate

    def changes(self, adding: Any = None, deleting: Any = None) -> tuple[list[Any], list[Any]]:
        if deleting is not None:
            for deleted in deleting:
                self.root_node.remove(deleted)
        if adding is not None:
            alpha = self._alpha
            for added in adding:
                # What BusNode.add does (without re-checking the token's types),
                # through the alpha network's dispatch (see _alpha_dispatch).
                alpha(_token(_VALID, {added}, {}), added)
        return self._collect()

    def pending(self, facts: Any) -> tuple[list[Any], list[Any]]:
        """``self.changes(*facts.changes)``: the facts declared and retracted since the
        last call sent through the network, and the activations they made or removed
        (the fact list's two lists are replaced only when they hold something)."""
        removing = facts.removed
        if removing:
            facts.removed = []
            for deleted in removing:
                self.root_node.remove(deleted)
        adding = facts.added
        if adding:
            facts.added = []
            alpha = self._alpha
            for added in adding:
                alpha(_token(_VALID, {added}, {}), added)
        if not self._dirty:
            return [], []
        return self._collect()

    def holds_anything(self) -> bool:
        """Whether any memory of the network may hold something, or any activation wait."""
        return bool(self._touched or self._dirty or self._other_memory_nodes)

    def _collect(self) -> tuple[list[Any], list[Any]]:
        """The activations added and removed in the conflict-set nodes since the last
        poll, asked in experta's node order."""
        added: list[Any] = []
        removed: list[Any] = []
        if self._dirty:
            touched = sorted(self._dirty, key=self._order.__getitem__)
            self._dirty.clear()
            for node in touched:
                # ConflictSetNode.get_activations: hand over the two sets, start new
                # ones (an empty set is left in place: there is nothing to hand over).
                if node.added:
                    added.extend(node.added)
                    node.added = set()
                if node.removed:
                    removed.extend(node.removed)
                    node.removed = set()
        return added, removed

    def reset(self) -> None:
        # Upstream ``_reset`` puts fresh, empty memories in place. The joins, negations
        # and conflict-set nodes replaced here note when they are activated, and only
        # those can hold anything: the others still have the empty memories of the
        # last reset. Nodes of any other kind are reset as upstream.
        for node in self._touched:
            kind = type(node)
            # Each kind's ``_reset``, written out (a call per node was most of its cost).
            if kind is OrdinaryMatchNode:
                node.left_memory = []
                node.right_memory = []
            elif kind is NotNode:
                node.left_memory = {}
                node.right_memory = []
            elif kind is ConflictSetNode:
                node.memory = set()
            else:  # pragma: no cover - only those three note themselves
                node._reset()
        self._touched.clear()
        self._captured.clear()
        self._last_context[:] = None, None, None
        for node in self._other_memory_nodes:
            node._reset()


def in_prepared_form(rule: Any) -> bool:
    """Whether experta's ``prepare_rule`` would return ``rule`` unchanged.

    True for a rule whose first pattern is a fact and whose patterns are facts,
    or ``NOT`` of one fact, each testing keys against single literals: such a
    rule is in disjunctive normal form, and needs no leading ``InitialFact``.
    """
    return (
        len(rule) > 0
        and _literal_pattern(rule[0])
        and all(
            _literal_pattern(part)
            or (isinstance(part, experta.NOT) and len(part) == 1 and _literal_pattern(part[0]))
            for part in rule
        )
    )


def _literal_pattern(pattern: Any) -> bool:
    # ``__bind__`` holds the name a pattern binds the fact to (``case``), not a test.
    return isinstance(pattern, experta.Fact) and all(
        isinstance(value, (L, str)) for key, value in pattern.items() if key != "__bind__"
    )


_VALID = Token.TagType.VALID
_INVALID = Token.TagType.INVALID
_MATCH = watchers.MATCH
_FACTS = watchers.FACTS
_new_tuple = tuple.__new__


class _Token(Token):
    """A :class:`Token` made by this module, which keeps its ``to_info()`` once made.

    Such a token is never changed after it is made (a node that might change a
    token gets a plain copy, see :func:`_edge`), so its frozen ``to_info()``
    stays right, and the several nodes one token reaches make it once.
    """

    # ``info`` lives in the instance dictionary (a tuple type cannot add slots).
    __slots__ = ()


def _token(tag: Any, data: set[Any], context: dict[Any, Any]) -> Any:
    """A token, built as ``Token.__new__`` would for data already known to be facts."""
    token = _new_tuple(_Token, (tag, data, context))
    token.info = None
    return token


def _copy(token: Any) -> Any:
    """``token.copy()``, without re-checking types that cannot have changed (a plain
    :class:`Token`: the copy may be changed by the node it is given to)."""
    return _new_tuple(Token, (token[0], token[1].copy(), token[2].copy()))


def _all_nodes(root: Any) -> list[Any]:
    """Every distinct node of the network below ``root``, each once."""
    found: dict[int, Any] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in found:
            continue
        found[id(node)] = node
        stack.extend(child.node for child in node.children)
    return list(found.values())


def _rewire(node: Any) -> None:
    """Point each edge out of ``node`` straight at the child's activation routine.

    experta's ``activate``/``activate_left``/``activate_right`` only log (when
    the MATCHER watcher is at DEBUG), copy the token and call ``_activate``,
    ``_activate_left`` or ``_activate_right``; these callbacks copy and call.
    """
    ports = {
        OneInputNode.activate: "_activate",
        TwoInputNode.activate_left: "_activate_left",
        TwoInputNode.activate_right: "_activate_right",
    }
    for index, child in enumerate(node.children):
        port = ports.get(getattr(child.callback, "__func__", None))
        if port is not None:
            node.children[index] = ChildNode(child.node, _edge(child.node, port))


def _plain_literal(check: Any) -> bool:
    """Whether ``check`` tests one top-level key against unbound literals (as compiled)."""
    if not isinstance(check, FeatureCheck) or not isinstance(check.what, str):
        return False
    if "__" in check.what or check.what.isnumeric():
        return False
    how = check.how
    literals = list(how) if isinstance(how, ORFC) else [how]
    return all(isinstance(lit, L) and lit.__bind__ is None for lit in literals)


def _literal_test(node: Any) -> Any:
    """``FeatureTesterNode._activate`` for a plain literal check.

    The same test (experta's own check function on ``fact[key]``); an unbound
    literal yields ``True`` or ``False``, never a context, so the token passes
    on unchanged, as upstream would pass it.
    """
    check = node.matcher
    key, test, expected, children = check.what, check.check, check.expected, node.children

    def _activate(token: Any) -> None:
        (fact,) = token[1]
        try:
            record = fact[key]
        except (IndexError, KeyError, TypeError):
            return
        if test(record, expected):
            for child in children:
                child.callback(token)

    _activate.keeps_token = True  # type: ignore[attr-defined]
    return _activate


#: Value types whose ``==`` agrees with their hash and with each other's (``1 == True``
#: and ``hash(1) == hash(True)``): for these, a dictionary lookup finds exactly the
#: literals that experta's ``expected.value == actual`` test accepts.
_HASHED = frozenset({str, int, bool, type(None)})

#: Beta nodes that read a token (and store only its frozen ``to_info()``) but never
#: change it, so the token they receive needs no copy of its own.
_READ_ONLY = (OrdinaryMatchNode, NotNode, ConflictSetNode)


def _capture(node: Any, captured: dict[str, tuple[Any, Any]]) -> Any:
    """``FeatureTesterNode._activate`` for a ``FactCapture`` (``AS.case << CaseFact(...)``).

    Upstream copies the token, checks the binding against its context, adds it
    and passes the token on. Here the same checks are made, and the binding
    goes into a new context of a new token (the facts, which no node changes,
    are shared): the same token, without a copy of what is replaced anyway.

    What a capture makes depends only on the token it receives and the name it
    binds, and no node changes either token (a node that might is given a copy,
    see :func:`_edge`). A fact reaches every capture it passes the literal tests
    of with one and the same token, so the captures binding the same name share
    what the first of them made (``captured``, by name: the token received, kept
    alive there so that ``is`` cannot mistake another for it, and the token made,
    or ``None`` when the checks failed); each node still passes it to its own
    children.
    """
    bind, children = node.matcher.bind, node.children

    def _activate(token: Any) -> None:
        last = captured.get(bind)
        if last is not None and last[0] is token:
            passed = last[1]
            if passed is None:
                return
        else:
            (fact,) = token[1]
            context = token[2]
            passed = None
            if context:
                if context.get(bind, fact) == fact and not (
                    (False, bind) in context and context[(False, bind)] == fact
                ):
                    context = dict(context)
                    context[bind] = fact
                    passed = _token(token[0], token[1], context)
            else:
                passed = _token(token[0], token[1], {bind: fact})
            captured[bind] = (token, passed)
            if passed is None:
                return
        for child in children:
            child.callback(passed)

    _activate.keeps_token = True  # type: ignore[attr-defined]
    return _activate


def _info(token: Any) -> Any:
    """``token.to_info()``, without re-checking types (a frozen copy, for node memories)."""
    if type(token) is _Token:
        info = token.info
        if info is None:
            info = token.info = _new_tuple(
                TokenInfo, (frozenset(token[1]), frozenset(token[2].items()))
            )
        return info
    return _new_tuple(TokenInfo, (frozenset(token[1]), frozenset(token[2].items())))


def _context_test(node: Any) -> Any:
    """``test(left, right)``: the node's matcher on a left and a right context, each
    given as a dictionary or as the frozen items a memory keeps (upstream makes a
    dictionary of those).

    experta's ``SameContextCheck`` (the test of every join and negation experta
    wires for these rules) is written out here, step for step, rather than
    called; any other test is the node's own matcher.
    """
    matcher = node.matcher
    same = type(matcher) is SameContextCheck

    def test(left: Any, right: Any) -> Any:
        if type(left) is not dict:
            left = dict(left)
        if type(right) is not dict:
            right = dict(right)
        if not same:
            return matcher(left, right)
        # SameContextCheck.__call__(left, right):
        for key, value in left.items():
            if key[0] is False:
                raise RuntimeError(f'Negated value "{key[1]}" present before capture.')
            if key in right and value != right[key]:
                return False
            if (False, key) in right and value == right[(False, key)]:
                return False
        return True

    return test


def _join(node: Any, touched: dict[Any, None]) -> tuple[Any, Any]:
    """``OrdinaryMatchNode._activate_left`` and ``_activate_right``, as upstream.

    The same test (the node's own matcher, see :func:`_context_test`) and the
    same joined tokens; without the validation in ``Token.__new__`` of facts
    and contexts built from valid ones, and without formatting the MATCH
    watcher's arguments when it is off. The two ports are upstream's one
    routine written out for each side.

    The memories are lists, as upstream, of what each token held: upstream
    keeps ``to_info()``, the facts and the context frozen; here the token's own
    set of facts and context, which no node changes after the token is made (a
    node that might is given a copy, see :func:`_edge`). The two compare
    equal exactly when the frozen ones do (sets and dictionaries of hashable
    facts), which is all a memory is asked (``remove`` of a withdrawn token),
    and a join reads its memories itself; a token that only waits in a memory
    is not frozen at all.
    """
    children = node.children
    test = _context_test(node)

    def joined(token: Any, context: Any, other_data: Any, other_context: Any) -> None:
        if _MATCH.isEnabledFor(logging.INFO):  # pragma: no cover - debugging aid
            _MATCH.info("%s (%s | %s) = True", type(node).__name__, context, other_context)
        newcontext = {k: v for k, v in context.items() if isinstance(k, str)}
        for k, v in other_context.items():
            if not isinstance(k, tuple):  # negated values are not needed any further
                newcontext[k] = v
        made = _token(token[0], token[1] | other_data, newcontext)
        for child in children:
            child.callback(made)

    def left(token: Any) -> None:
        touched[node] = None  # its memory changes: the next reset wipes it
        context = token[2]
        if token[0] is _VALID:
            node.left_memory.append((token[1], context))
        else:
            with suppress(ValueError):
                node.left_memory.remove((token[1], context))
        for other_data, other_context in node.right_memory:
            if test(context, other_context):
                joined(token, context, other_data, other_context)

    def right(token: Any) -> None:
        touched[node] = None  # its memory changes: the next reset wipes it
        context = token[2]
        if token[0] is _VALID:
            node.right_memory.append((token[1], context))
        else:
            with suppress(ValueError):
                node.right_memory.remove((token[1], context))
        for other_data, other_context in node.left_memory:
            if test(other_context, context):
                joined(token, context, other_data, other_context)

    return left, right


def _negation(node: Any, touched: dict[Any, None]) -> tuple[Any, Any]:
    """``NotNode._activate_left`` and ``_activate_right``, as upstream (the same memories,
    counts and tokens), without re-checking the types of the tokens it makes."""
    children = node.children
    test = _context_test(node)

    def left(token: Any) -> None:
        touched[node] = None  # its memory changes: the next reset wipes it
        info = token.info if type(token) is _Token else None
        if info is None:
            info = _info(token)
        context = token[2]
        if not node.right_memory:
            if token[0] is _VALID:
                node.left_memory[info] = 0
            else:
                del node.left_memory[info]
            for child in children:
                child.callback(token)
        elif token[0] is _VALID:
            count = 0
            for _, right_context in node.right_memory:
                if test(context, right_context):
                    count += 1
            if count == 0:
                for child in children:
                    child.callback(token)
            node.left_memory[info] = count
        else:
            count = 0
            for _, right_context in node.right_memory:
                if test(context, right_context):
                    count += 1
                    break
            if count == 0:
                for child in children:
                    child.callback(token)
            del node.left_memory[info]

    def right(token: Any) -> None:
        touched[node] = None
        if token[0] is _VALID:
            node.right_memory.append(_info(token))
            inc = 1
        else:
            inc = -1
            node.right_memory.remove(_info(token))
        left_memory = node.left_memory
        context = token[2]
        for stored in left_memory:
            if test(stored.context, context):
                left_memory[stored] += inc
                count = left_memory[stored]
                if (count == 0 and inc == -1) or (count == 1 and inc == 1):
                    tag = _VALID if inc == -1 else _INVALID
                    made = _token(tag, set(stored.data), dict(stored.context))
                    for child in children:
                        child.callback(made)

    return left, right


class _Activation(Activation):
    """experta's ``Activation``, with its hash worked out once, when it is made.

    Upstream hashes ``(rule, frozenset(facts), frozenset(context.items()))`` at
    every lookup, and a rule's hash walks all its patterns each time. Here the
    rule's part is taken once per conflict-set node, and the rest from the
    token information the activation is made of, whose frozensets keep their
    hashes: equal activations have equal rules, facts and contexts, so they
    still hash alike (every activation of the engine is made here, and none is
    changed after it is made).
    """

    _hash: int

    def __hash__(self) -> int:
        return self._hash


_new_object = object.__new__


def _conflict(node: Any, touched: dict[Any, None], dirty: dict[Any, None], last: list[Any]) -> Any:
    """``ConflictSetNode._activate``, as upstream: the same memory of ``to_info()`` and the
    same activations in ``added``/``removed``; the set of removed activations is searched
    only when it is not empty (a search in an empty set still hashes the activation).

    An activation's context and the context's part of its hash depend only on the
    token information; one token reaches several conflict-set nodes in a row (a
    captured case fact, every rule testing only the case), so the last ones made
    are kept (``last``, shared by the network's conflict-set nodes: the token
    information, kept alive there so that ``is`` cannot mistake another for it, a
    copy of the context, and the hash part) and each activation gets a copy.
    """
    rule = node.rule
    rule_hash = hash(rule)

    def _activate(token: Any) -> None:
        touched[node] = None  # its memory changes: the next reset wipes it
        dirty[node] = None  # it may have activations: the next poll asks it
        info = token.info if type(token) is _Token else None
        if info is None:
            info = _info(token)
        data, items = info
        if last[0] is info:  # the token information the last activation was made of
            context = last[1].copy()
            part = last[2]
        else:
            context = {k: v for k, v in items if isinstance(k, str)}
            # ``frozenset(context.items())`` is ``items`` itself when every key is a string.
            part = items if len(context) == len(items) else frozenset(context.items())
            last[:] = info, context.copy(), part
        # ``Activation(rule, data, context)``: the same attributes, set directly.
        activation = _new_object(_Activation)
        activation.rule = rule
        activation.facts = set(data)
        activation.key = None
        activation.context = context
        activation._hash = hash((rule_hash, data, part))
        if token[0] is _VALID:
            if info not in node.memory:
                node.memory.add(info)
                if node.removed and activation in node.removed:
                    node.removed.remove(activation)
                else:
                    node.added.add(activation)
        else:
            try:
                node.memory.remove(info)
            except ValueError:  # as upstream (a set raises KeyError, which propagates)
                pass
            else:
                if node.added and activation in node.added:
                    node.added.remove(activation)
                else:
                    node.removed.add(activation)

    return _activate


def _alpha_dispatch(root: Any) -> Any:
    """The alpha network as a dispatch on values: each key tested once per fact.

    experta sends a fact down a tree of feature-tester nodes: first a type
    test per fact class, then one node per literal test, each child of a node
    testing its own key against its own literal. The same tree is walked here,
    but the children of a node that test the same key are asked together: the
    fact's value for the key is read once and looked up in a table from each
    literal to the children that test for it (a hash on the literal, as CLIPS
    does); the type tests are one lookup on the fact's class. A value of a
    type outside :data:`_HASHED` is tested child by child with experta's own
    check function. Every other child (a capture, a join, a conflict-set node)
    is called through its edge, as before. Children are reached in an order
    grouped by key, which cannot change the outcome: activations are collected
    in sets and the agenda orders them by salience and fact ids.

    Returns ``dispatch(token, fact)`` for a token entering the network at ``root``.
    """
    return _forward(root, root.children)


def _forward(node: Any, children: Any) -> Any:
    """``forward(token, fact)``: what ``node`` does with a token that passed its own test.

    The function has ``leaf_edges``: the edges it calls when it does nothing else
    (no child of its own tests a type or a literal), else ``None``; a parent
    calls such a child's edges itself, without the call to its ``forward``.
    """
    by_type: dict[type, list[Any]] = {}
    groups: dict[str, tuple[dict[Any, Any], list[tuple[Any, Any, Any]]]] = {}
    odd: set[str] = set()  # keys tested against a literal of a type outside _HASHED
    edges: list[Any] = []
    for child in children:
        target = child.node
        check = getattr(target, "matcher", None)
        if isinstance(target, FeatureTesterNode) and isinstance(check, TypeCheck):
            by_type.setdefault(check.fact_type, []).append(_forward(target, target.children))
        elif isinstance(target, FeatureTesterNode) and _plain_literal(check):
            table, linear = groups.setdefault(check.what, ({}, []))
            forward = _forward(target, target.children)
            # The child's whole test (one literal or an either-or), experta's function.
            linear.append((check.check, check.expected, forward))
            how = check.how
            for literal in list(how) if isinstance(how, ORFC) else [how]:
                if type(literal.value) not in _HASHED:
                    odd.add(check.what)
                targets = table.setdefault(literal.value, [])
                if not targets or targets[-1] is not forward:  # once per child
                    targets.append(forward)
        else:
            edges.append(child.callback)
    keyed = [
        (key, _split_targets(table), linear, key in odd) for key, (table, linear) in groups.items()
    ]
    typed = by_type or None
    nothing: tuple[tuple[Any, ...], tuple[Any, ...]] = ((), ())

    def forward(token: Any, fact: Any) -> None:
        if typed is not None:
            for target in typed.get(type(fact), ()):
                target(token, fact)
        for key, table, linear, unusual in keyed:
            try:
                value = fact[key]
            except (IndexError, KeyError, TypeError):
                continue
            if type(value) in _HASHED and not unusual:
                leaf_edges, targets = table.get(value, nothing)
                for edge in leaf_edges:
                    edge(token)
                for target in targets:
                    target(token, fact)
            else:
                for test, expected, target in linear:
                    if test(value, expected):
                        target(token, fact)
        for edge in edges:
            edge(token)

    forward.leaf_edges = None if (by_type or groups) else tuple(edges)  # type: ignore[attr-defined]
    return forward


def _split_targets(
    table: dict[Any, list[Any]],
) -> dict[Any, tuple[tuple[Any, ...], tuple[Any, ...]]]:
    """For each literal, the edges of the children that only pass a token on (in child
    order) and the ``forward`` of every other child testing for it."""
    split = {}
    for literal, targets in table.items():
        leaf_edges = [
            edge
            for target in targets
            if target.leaf_edges is not None
            for edge in target.leaf_edges
        ]
        others = tuple(target for target in targets if target.leaf_edges is None)
        split[literal] = (tuple(leaf_edges), others)
    return split


def _edge(target: Any, port: str) -> Any:
    # Bound once; a conflict-set node already carries its noting wrapper here.
    activate = getattr(target, port)
    if getattr(activate, "keeps_token", False) or isinstance(target, _READ_ONLY):
        # A literal test or a capture neither changes nor stores the token it is
        # given, and a beta node stores only a frozen copy (``to_info``): none
        # needs a copy of its own; a node that might change it gets one here.
        return activate

    def callback(token: Any) -> Any:
        return activate(_copy(token))

    return callback


#: Types ``experta.utils.freeze`` returns unchanged (it freezes only what is not hashable).
_FROZEN = frozenset({str, int, bool, type(None), tuple})


def trusted_fact(fact_class: Any, values: dict[str, Any]) -> Any:
    """``fact_class(**values)``, built without experta's per-key ``Fact.__setitem__``.

    ``__setitem__`` checks that the fact is not yet declared (a new one never
    is) and freezes each value; a value of a type in :data:`_FROZEN` is
    returned unchanged by ``freeze``, and anything else is still frozen here.
    The fact equals the one ``fact_class(**values)`` makes, key order included
    (``tests/test_engine.py`` checks this on every teaching case).
    """
    if fact_class.__init__ is not _FACT_INIT:  # pragma: no cover - not a compiled fact
        fact = fact_class()
        fact.update(values)
        return fact
    # ``Fact.__init__`` with no arguments: an empty dictionary and its defaults' store.
    fact = _new_dict(fact_class)
    fact._Fact__defaults = {}
    if all(map(_FROZEN.__contains__, map(type, values.values()))):
        _update(fact, values)
    else:
        _update(fact, {k: v if type(v) in _FROZEN else _freeze(v) for k, v in values.items()})
    return fact


_new_dict = dict.__new__
_update = dict.update
_FACT_INIT = experta.Fact.__init__


#: Value types that are never conditional elements (experta's conditional elements
#: are subclasses of ``tuple``, never ``tuple`` itself).
_PLAIN_VALUES = frozenset({str, int, bool, type(None), tuple})


def _has_field_constraints(fact: Any) -> bool:
    """``fact.has_field_constraints()``: answered without a Python loop when every value
    is of a type in :data:`_PLAIN_VALUES`, else asked of the fact."""
    if all(map(_PLAIN_VALUES.__contains__, map(type, fact.values()))):
        return False
    return bool(fact.has_field_constraints())


#: For each key set (fact class first): whether a key is a nested accessor (``a__b``),
#: and whether a key is special (``__factid__``...).
_KEYSETS: dict[tuple[Any, ...], tuple[bool, bool]] = {}


def _keyset(fact: Any) -> tuple[bool, bool]:
    """``(fact.has_nested_accessor(), any key special)``, functions of its keys alone,
    answered once per key set."""
    keys = (type(fact), *fact)
    found = _KEYSETS.get(keys)
    if found is None:
        found = _KEYSETS[keys] = (
            bool(fact.has_nested_accessor()),
            any(experta.Fact.is_special(key) for key in fact),
        )
    return found


_set_item = dict.__setitem__


class FastFactList(FactList):
    """experta's ``FactList``, with the identity of a fact computed in one pass.

    ``_get_fact_id`` is upstream's: the fact's class and its items, leaving out
    the special keys (``__factid__``...), with ``Fact.is_special`` inlined (and
    not asked at all for a set of keys without a special one).
    ``declare`` is upstream's, step for step, except that a fact class without
    fields is not asked to validate them (``Fact.validate`` loops over the
    fields and does nothing else) and the FACTS watcher's message is formatted
    only when it is on.
    """

    def __init__(self) -> None:
        # ``FactList.__init__``, with its ``Counter()`` made without ``Counter.__init__``
        # (which only updates the new counter from nothing).
        OrderedDict.__init__(self)
        self.last_index = 0
        self.reference_counter = _new_dict(Counter)
        self.added = []
        self.removed = []
        self.duplication = False

    def declare(self, fact: Any) -> Any:
        return self.declare_keyed(fact, _keyset(fact)[1])

    def declare_keyed(self, fact: Any, special: bool) -> Any:
        """``declare``, told whether the fact has a special key (see :func:`_keyset`).

        A new fact's hash (the items, ``__factid__`` included, that experta's
        ``Fact.__hash__`` keeps once it is asked) is worked out here, once its id
        is set, as ``Fact.__hash__`` would work it out when the network first
        asks for it; a hash kept before the fact was declared is left as it is.
        """
        if not isinstance(fact, experta.Fact):
            raise ValueError("The fact must descend the Fact class.")
        if fact.__fields__:
            fact.validate()
        # Without a special key, every item is part of the fact's identity.
        fact_id = self._get_fact_id(fact) if special else frozenset([type(fact), *fact.items()])
        counter = self.reference_counter
        if self.duplication or fact_id not in counter:
            index = self.last_index
            _set_item(fact, "__factid__", index)  # the ``__factid__`` property's setter
            if "_hash" not in fact.__dict__:
                fact._hash = hash(frozenset(fact.items()))
            self[index] = fact
            self.last_index = index + 1
            self.added.append(fact)
            counter[fact_id] = counter.get(fact_id, 0) + 1  # ``+= 1`` on a Counter
            if _FACTS.isEnabledFor(logging.INFO):  # pragma: no cover - debugging aid
                _FACTS.info(" ==> %s: %r", fact, fact)
            return fact
        return None

    @staticmethod
    def _get_fact_id(fact: Any) -> frozenset[Any]:
        if not _keyset(fact)[1]:
            return frozenset([fact.__class__, *fact.items()])
        return frozenset(
            [fact.__class__]
            + [
                (k, v)
                for k, v in fact.items()
                if not (isinstance(k, str) and k.startswith("__") and k.endswith("__"))
            ]
        )


#: experta's own ``DefFacts``: one ``InitialFact``, declared at every reset.
_INITIAL_DEFFACTS = KnowledgeEngine.__dict__["_declare_initial_fact"]


class CachingEngine(experta.KnowledgeEngine):
    """A ``KnowledgeEngine`` that finds its ``DefFacts`` once, not at every ``reset()``.

    experta looks them up with ``inspect.getmembers`` on every reset; the class
    never changes, so the sorted list found the first time stays right.
    """

    _deffacts: list[Any] | None = None

    def get_deffacts(self) -> list[Any]:
        if self._deffacts is None:
            self._deffacts = super().get_deffacts()
        return self._deffacts

    _deffact_calls: list[tuple[Any, set[str] | None]] | None = None
    #: By rule (its id: the engine keeps its rules), the names of the last context it
    #: fired with, and those of them its action was given (``None``: all; see ``run``).
    _passed_names: dict[int, tuple[set[str], tuple[str, ...] | None]]

    def __init__(self) -> None:
        self._passed_names = {}
        super().__init__()

    #: Whether a reset may restore the state the first one left (see ``reset``).
    _restorable: bool | None = None

    def reset(self, **kwargs: Any) -> None:
        """experta's ``reset``, inspecting each ``DefFacts``' signature once, not every time.

        As upstream: a fresh agenda and fact list, the network's memories wiped,
        then the facts of every ``DefFacts`` declared (the ``InitialFact``), each
        ``DefFacts`` given the keyword arguments it names (all, if it takes ``**``).

        When the only ``DefFacts`` is experta's own (one ``InitialFact``, no
        arguments) and declaring it, the first time, changed no memory of the
        network and made no activation, it cannot do either later (the same
        fact meets the same tests): later resets declare a fresh
        ``InitialFact`` into the fresh fact list, as upstream does, without
        sending it through the network again.
        """
        self.agenda = Agenda()
        self.facts = FastFactList()
        matcher = self.matcher
        matcher.reset()
        if self._restorable:
            # Fact 0, as upstream (``InitialFact()`` has no keys, so none is special).
            self.facts.declare_keyed(trusted_fact(experta.InitialFact, {}), False)
            self.facts.added = []  # what the network would take, and do nothing with
            self.running = False
            return
        if self._deffact_calls is None:
            calls = []
            for deffact in self.get_deffacts():
                parameters = inspect.signature(deffact).parameters.values()
                takes_all = any(p.kind == inspect.Parameter.VAR_KEYWORD for p in parameters)
                calls.append((deffact, None if takes_all else {p.name for p in parameters}))
            self._deffact_calls = calls
        produced = [
            deffact(**(kwargs if names is None else {k: kwargs[k] for k in kwargs if k in names}))
            for deffact, names in self._deffact_calls
        ]
        self._KnowledgeEngine__declare(*chain.from_iterable(produced))
        self.running = False
        if self._restorable is None:
            self._restorable = (
                self.get_deffacts() == [_INITIAL_DEFFACTS]
                and isinstance(matcher, FastMatcher)
                and not matcher.holds_anything()
                and not self.agenda.activations
                and len(self.facts) == 1
            )

    def declare(self, *facts: Any) -> Any:
        """experta's ``declare`` (its warning, then ``__declare``), in one call.

        One fact declared while the engine runs (what a firing rule does) takes
        ``__declare``'s steps written out here: the same checks, then the fact
        list's ``declare``, and no polling (a running engine polls at its next step).
        """
        factlist = self.facts
        if not factlist:
            watchers.ENGINE.warning("Declaring fact before reset()")
        if len(facts) == 1 and self.running and type(factlist) is FastFactList:
            fact = facts[0]
            if not all(map(_PLAIN_VALUES.__contains__, map(type, fact.values()))) and (
                fact.has_field_constraints()
            ):
                raise TypeError("Declared facts cannot contain conditional elements")
            keys = (type(fact), *fact)
            found = _KEYSETS.get(keys)
            if found is None:
                found = _keyset(fact)
            if found[0]:
                raise KeyError("Cannot declare facts containing double underscores as keys.")
            return factlist.declare_keyed(fact, found[1])
        return self._KnowledgeEngine__declare(*facts)

    def _KnowledgeEngine__declare(self, *facts: Any) -> Any:
        """experta's ``__declare`` (behind ``declare`` and ``reset``), the same checks and
        steps, with the checks on keys answered once per set of keys."""
        for fact in facts:
            if _has_field_constraints(fact):
                raise TypeError("Declared facts cannot contain conditional elements")
        keysets = [_keyset(fact) for fact in facts]
        for nested, _ in keysets:
            if nested:
                raise KeyError("Cannot declare facts containing double underscores as keys.")
        last_inserted = None
        factlist = self.facts
        if type(factlist) is FastFactList:
            for fact, (_, special) in zip(facts, keysets, strict=True):
                last_inserted = factlist.declare_keyed(fact, special)
        else:  # pragma: no cover - this engine's resets make only fast fact lists
            for fact in facts:
                last_inserted = factlist.declare(fact)
        if not self.running:
            added, removed = self.get_activations()
            self.strategy.update_agenda(self.agenda, added, removed)
        return last_inserted

    def get_activations(self) -> tuple[list[Any], list[Any]]:
        """``matcher.changes(*facts.changes)``, as upstream."""
        return self.matcher.pending(self.facts)

    def run(self, steps: float = float("inf")) -> None:
        """experta's ``run`` loop, formatting watcher messages only when a watcher is on.

        Upstream formats every matched fact into the RULES watcher's message at
        every firing, whether or not anything logs it.
        """
        self.running = True
        execution = 0
        agenda, strategy, matcher = self.agenda, self.strategy, self.matcher
        # The watchers are looked at once per run, not at every step.
        show_agenda = watchers.worth("AGENDA", "DEBUG")
        show_rules = watchers.RULES.isEnabledFor(logging.INFO)
        # ``Strategy.update_agenda`` only logs (when ACTIVATIONS is on), then updates.
        update = (
            strategy.update_agenda
            if watchers.worth("ACTIVATIONS", "INFO")
            else strategy._update_agenda
        )
        activations = agenda.activations
        passed = self._passed_names
        while steps > 0 and self.running:
            facts = self.facts
            # ``self.get_activations()``, asked only when something may have changed.
            if facts.added or facts.removed or matcher._dirty:
                added, removed = matcher.pending(facts)
                if added or removed:  # upstream's update with nothing to update does nothing
                    update(agenda, added, removed)
            if show_agenda:  # pragma: no cover - debugging aid
                for idx, act in enumerate(agenda.activations):
                    watchers.AGENDA.debug(
                        "%d: %r %r", idx, act.rule.__name__, ", ".join(str(f) for f in act.facts)
                    )
            if not activations:  # ``agenda.get_next()`` returns None
                break
            activation = activations.pop()
            steps -= 1
            execution += 1
            if show_rules:  # pragma: no cover - debugging aid
                watchers.RULES.info(
                    "FIRE %s %s: %s",
                    execution,
                    activation.rule.__name__,
                    ", ".join(str(f) for f in activation.facts),
                )
            # ``Rule.__call__``, inlined: the context's names the action takes, to the
            # action (bound to the engine it was looked up on, if it was).
            rule = activation.rule
            context = activation.context
            known = passed.get(id(rule))
            if known is not None and context.keys() == known[0]:
                # The same names as last time: the ones passed are known (all of
                # them, when ``known[1]`` is None; ``**`` copies the context).
                if known[1] is not None:
                    context = {name: context[name] for name in known[1]}
            else:
                names = set(context)
                context = {k: v for k, v in context.items() if not k.startswith("__")}
                if rule._wrapped_args:
                    context = {k: v for k, v in context.items() if k in rule._wrapped_args}
                # Which names pass depends only on the names and the rule.
                passed[id(rule)] = (names, None if len(context) == len(names) else tuple(context))
            if rule._wrapped_self is None:
                rule._wrapped(self, **context)
            else:
                rule._wrapped(rule._wrapped_self, self, **context)
        self.running = False
