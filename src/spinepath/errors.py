"""Errors that reach the user as plain lines, never as tracebacks."""

from __future__ import annotations


class SpinepathError(Exception):
    """A problem the user can fix; each entry of ``problems`` is one line of output."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class CaseError(SpinepathError):
    """The case file is malformed, has unknown keys, bad values or contradictions."""


class KnowledgeError(SpinepathError):
    """The knowledge base is inconsistent: a bad rule, an unverifiable quote, a dangling id."""


class EngineError(SpinepathError):
    """The engine did not reach a single, complete conclusion (a bug in rules or engine)."""
