"""Everything the commands do goes through the Python API (docs/design.md).

A command module (``spinepath.cli``, the other commands' own modules
``spinepath.interop.commands`` and ``spinepath.web.*``, any application module added
later) may import :mod:`spinepath.api`, the utilities of the lowest layer (``errors``,
``files``, ``terminal``...), the renderers (``render``: turning a result into text, HTML
or PDF is the command's own job) and the other applications (the command modules, and
the interop builders that turn a pathway into a FHIR or CDS Hooks document). It never
imports a domain layer (case, knowledge base, engine, pathway, explanations, what-if,
verify, consultation) itself: those it reaches only through ``spinepath.api``, so that a
program calling the API gets what the command prints or serves.

The domain layers are read from ``tests/test_layers.py``'s ``LAYERS``, so a layer added
there is covered here. Every import counts, lazy ones and those under ``TYPE_CHECKING``
included (the imports are read with ``ast``, as the layer test reads them).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.test_layers import LAYERS, SRC, imported_units, layer_of, unit_of

CLI = SRC / "cli.py"
#: Layers a command may import directly besides the API: those below the case (utilities
#: with no domain knowledge) and the renderers.
ALLOWED_LAYER_UNITS = set().union(*LAYERS[: layer_of("case")]) | {"render"}
#: Every other unit of a layer is a domain layer, reached only through the API.
DOMAIN = set().union(*LAYERS) - ALLOWED_LAYER_UNITS
#: Application modules that are not commands, so may read the domain themselves.
NOT_COMMANDS = {
    SRC / "api.py": "the API itself",
    # The builders, like the renderers, turn the models they are handed into documents.
    SRC / "interop" / "fhir.py": "a builder",
    SRC / "interop" / "cds_hooks.py": "a builder",
    SRC / "interop" / "schemas.py": "a builder (the published schemas)",
}


def application_modules() -> list[Path]:
    """Every source file of an application unit (above every layer), the API included;
    not the package's ``__init__``, which holds only the version."""
    units = {path: unit_of(path) for path in sorted(SRC.rglob("*.py"))}
    return [
        path for path, unit in units.items() if unit != "__init__" and layer_of(unit) == len(LAYERS)
    ]


#: The modules held to the rule: the command line, the other commands, the web app.
COMMANDS = [path for path in application_modules() if path not in NOT_COMMANDS]


def domain_imports(path: Path) -> list[str]:
    """Each domain unit ``path`` imports, as a line naming it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.relative_to(SRC)} imports {unit} (go through spinepath.api)"
        for unit in sorted(imported_units(tree, path) & DOMAIN)
    ]


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: str(path.relative_to(SRC)))
def test_a_command_imports_the_domain_only_through_the_api(path: Path) -> None:
    assert domain_imports(path) == []


def test_the_rule_covers_every_command() -> None:
    """The command line, the interop commands and every module of the web app are held
    to it; a new application module is, unless it is listed as not a command."""
    covered = {str(path.relative_to(SRC)) for path in COMMANDS}
    assert {"cli.py", "__main__.py", "interop/commands.py"} <= covered
    web = {f"web/{path.name}" for path in (SRC / "web").glob("*.py")}
    assert {"web/service.py", "web/pages.py", "web/forms.py", "web/api.py"} <= web <= covered
    for path in NOT_COMMANDS:
        assert path.is_file(), f"{path.relative_to(SRC)}: listed as not a command, but gone"


def test_the_commands_use_the_api() -> None:
    for path in (CLI, SRC / "interop" / "commands.py", SRC / "web" / "service.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert "api" in imported_units(tree, path), path


def test_the_domain_is_what_the_layers_say() -> None:
    """The rule covers the domain layers and nothing the commands need for themselves."""
    assert {"case", "kb", "engine", "pathway", "explain", "whatif", "verify", "consult"} <= DOMAIN
    assert not {"errors", "terminal", "files", "render", "api", "interop", "web"} & DOMAIN
    assert layer_of("api") == len(LAYERS)  # the API is an application, above every layer


def test_the_check_sees_a_domain_import() -> None:
    """The check can fail: a command importing the case loader or the explorer itself is
    reported, at the top of the module or inside a function, absolute or relative."""
    probe = SRC / "web" / "probe.py"
    source = (
        "from spinepath import api\n"
        "from spinepath.render.text import wrap\n"
        "from spinepath.web import forms\n"
        "def page():\n"
        "    from spinepath.case import load_case\n"
        "    from ..whatif.explore import explore\n"
    )
    tree = ast.parse(source)
    assert imported_units(tree, probe) & DOMAIN == {"case", "whatif"}
