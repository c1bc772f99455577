"""spinepath: a cited back-pain treatment pathway, for education and shared decision-making.

Data flows one way: a case file is loaded and validated (:mod:`spinepath.case`),
turned into facts and run through rules compiled from the knowledge base
(:mod:`spinepath.kb`, :mod:`spinepath.engine`), collected into a
:class:`~spinepath.pathway.Pathway`, and rendered (:mod:`spinepath.render`).

The library's entrance is :mod:`spinepath.api`, re-exported here::

    from spinepath import assess, what_if, explain, load_case, knowledge_base

Those names are imported on first use (module ``__getattr__``), so that
``import spinepath`` stays as cheap as the command line's cold start needs.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "assess", "explain", "knowledge_base", "load_case", "what_if"]

#: The names of :mod:`spinepath.api` that ``from spinepath import ...`` offers.
_API = frozenset(__all__) - {"__version__"}

if TYPE_CHECKING:  # for type checkers and editors; at run time see __getattr__
    from spinepath.api import assess, explain, knowledge_base, load_case, what_if


def __getattr__(name: str) -> Any:
    if name in _API:
        from spinepath import api

        return getattr(api, name)
    raise AttributeError(f"module 'spinepath' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})


class _Package(types.ModuleType):
    """The package module, keeping the API's names for the API.

    ``spinepath.explain`` is both a subpackage and an API function. Importing the
    subpackage would set the package's attribute ``explain`` to it, and from then on
    ``from spinepath import explain`` would give the subpackage. A subpackage is
    reachable through ``sys.modules`` (which every import statement uses), so the
    attribute is left to the API function. ``import spinepath.explain.how as how``
    finds the submodule by the ``__name__`` of what ``spinepath.explain`` holds, so
    :mod:`spinepath.api` gives its ``explain`` the subpackage's ``__name__``.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _API and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
