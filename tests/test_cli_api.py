"""Everything the command line does goes through the Python API (docs/design.md).

``spinepath.cli`` may import :mod:`spinepath.api`, the utilities of the lowest layer
(``errors``, ``files``, ``terminal``...), the renderers (``render``: turning a result into
text, HTML or PDF is the command line's own job) and the other applications (the command
modules ``batch``, ``interop`` and ``web``, registered with one line each). It never
imports a domain layer (case, knowledge base, engine, pathway, explanations, what-if,
verify, consultation) itself: those it reaches only through ``spinepath.api``, so that a
program calling the API gets what the command prints.

The domain layers are read from ``tests/test_layers.py``'s ``LAYERS``, so a layer added
there is covered here. Every import counts, lazy ones and those under ``TYPE_CHECKING``
included (the imports are read with ``ast``, as the layer test reads them).
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.test_layers import LAYERS, SRC, imported_units, layer_of

CLI = SRC / "cli.py"
#: Layers the command line may import directly besides the API: the lowest (utilities
#: with no domain knowledge) and the renderers.
ALLOWED_LAYER_UNITS = LAYERS[0] | {"render"}
#: Every other unit of a layer is a domain layer, reached only through the API.
DOMAIN = set().union(*LAYERS) - ALLOWED_LAYER_UNITS


def domain_imports(path: Path) -> list[str]:
    """Each domain unit ``path`` imports, as a line naming it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.relative_to(SRC)} imports {unit} (go through spinepath.api)"
        for unit in sorted(imported_units(tree, path) & DOMAIN)
    ]


def test_the_cli_imports_the_domain_only_through_the_api() -> None:
    assert domain_imports(CLI) == []


def test_the_cli_uses_the_api() -> None:
    tree = ast.parse(CLI.read_text(encoding="utf-8"))
    assert "api" in imported_units(tree, CLI)


def test_the_domain_is_what_the_layers_say() -> None:
    """The rule covers the domain layers and nothing the command line needs for itself."""
    assert {"case", "kb", "engine", "pathway", "explain", "whatif", "verify", "consult"} <= DOMAIN
    assert not {"errors", "terminal", "files", "render", "api"} & DOMAIN
    assert layer_of("api") == len(LAYERS)  # the API is an application, above every layer


def test_the_check_sees_a_domain_import() -> None:
    """The check can fail: a command importing the case loader or the explorer itself is
    reported, at the top of the module or inside a function."""
    probe = SRC / "cli_probe.py"
    source = (
        "from spinepath import api\n"
        "from spinepath.render.text import wrap\n"
        "def command():\n"
        "    from spinepath.case import load_case\n"
        "    from ..whatif.explore import explore\n"
    )
    tree = ast.parse(source)
    assert imported_units(tree, probe) & DOMAIN == {"case", "whatif"}
