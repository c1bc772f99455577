"""Make experta 1.9.4 importable on Python 3.10 and newer.

experta 1.9.4 (its last release) pins ``frozendict==1.2``, whose ``FrozenDict``
subclasses ``collections.Mapping``, an alias Python 3.10 removed. Restoring the
alias before experta is imported is the whole fix: experta itself runs
unchanged on 3.10 to 3.13. Keeping the pin lets plain ``pip install .`` work and
``pip check`` stay clean; the alternative (overriding the pin to frozendict 2)
needs an installer other than pip.

Import experta only through :func:`experta_module`, never directly.
"""

from __future__ import annotations

import collections
import collections.abc
import logging
from types import ModuleType


def experta_module() -> ModuleType:
    """Return the ``experta`` module, imported with the compatibility alias in place."""
    if not hasattr(collections, "Mapping"):
        collections.Mapping = collections.abc.Mapping  # type: ignore[attr-defined]
    root = logging.getLogger()
    handlers = list(root.handlers)
    import experta

    # experta calls logging.basicConfig() on import, which would make it print
    # its watcher messages to our stderr; undo that.
    root.handlers[:] = handlers
    if not hasattr(experta, "KnowledgeEngine"):
        # experta's __init__ swallows ImportError, so a missing dependency
        # would otherwise surface later as a confusing AttributeError.
        raise ImportError("experta failed to import; check its dependencies (frozendict, schema)")
    return experta
