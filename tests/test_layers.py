"""The import graph has no upward arrow: each package imports only from layers below it.

The layer order, stated once (lowest first). Data flows one way: a case is
validated, read against the knowledge base, run through the engine, collected into a
pathway (and the typed results beside it: explanations, differences, expectations);
then computed on (explain, what-if, verify, consult) or shown (render); the command
line sits on top. Packages in one layer are siblings and do not import each other
either: ``render`` receives explanations and differences without importing the code
that computes them, and ``explain`` or ``consult`` word nothing.

The imports are read with ``ast`` (every ``import`` statement, including those inside
functions and under ``TYPE_CHECKING``: a lazy import is still an arrow).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "spinepath"

#: Lowest first. A name is a top-level module or package of ``spinepath``.
LAYERS: list[set[str]] = [
    {"limits"},
    {"errors", "files", "terminal", "strict_yaml", "jsontext"},
    {"case"},
    {"kb"},
    {"engine"},
    {"pathway"},
    {"explain", "whatif", "verify", "consult", "render"},
]
#: Everything not named above (the command line, ``__main__``, an entry point added
#: later) is an application: it may import any layer, and no layer may import it. So a
#: new low module (imported by a layer) fails here until it is placed in a layer.
#: The package's ``__init__`` holds only ``__version__``, which any layer may read.
ROOT = "__init__"


def unit_of(path: Path) -> str:
    """The top-level module or package a source file belongs to."""
    relative = path.relative_to(SRC)
    return relative.parts[0].removesuffix(".py") if len(relative.parts) == 1 else relative.parts[0]


def layer_of(unit: str) -> int:
    for index, layer in enumerate(LAYERS):
        if unit in layer:
            return index
    return len(LAYERS)  # an application


def imported_units(tree: ast.AST, path: Path) -> set[str]:
    """The top-level spinepath units a module imports (absolute and relative imports)."""
    units = set()
    package = path.relative_to(SRC).parent.parts
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(("spinepath", *base, *([node.module] if node.module else [])))
            else:
                module = node.module or ""
            if module == "spinepath":
                # ``from spinepath import x``: x is a unit, or a name of the root.
                names = [f"spinepath.{alias.name}" for alias in node.names]
            else:
                names = [module]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "spinepath":
                target = parts[1] if len(parts) > 1 else ROOT
                units.add(
                    target if (SRC / target).exists() or (SRC / f"{target}.py").exists() else ROOT
                )
    return units


def upward_imports() -> list[str]:
    problems = []
    for path in sorted(SRC.rglob("*.py")):
        unit = unit_of(path)
        if unit == ROOT:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for target in sorted(imported_units(tree, path)):
            if target in (unit, ROOT):
                continue
            if layer_of(target) > layer_of(unit):
                problems.append(f"{path.relative_to(SRC)}: imports {target} from a higher layer")
            elif layer_of(target) == layer_of(unit) and layer_of(unit) < len(LAYERS):
                problems.append(f"{path.relative_to(SRC)}: imports its sibling {target}")
    return problems


def test_no_module_imports_from_a_higher_layer_or_a_sibling() -> None:
    assert upward_imports() == []


def test_the_root_package_imports_no_layer() -> None:
    """``spinepath/__init__.py`` is read by every layer (for ``__version__``), so it
    imports nothing of spinepath at import time."""
    tree = ast.parse((SRC / "__init__.py").read_text(encoding="utf-8"))
    top_level = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert not [
        ast.unparse(node)
        for node in top_level
        if "spinepath" in ast.unparse(node) or (isinstance(node, ast.ImportFrom) and node.level)
    ]


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    """The check can fail: a kb module importing the pathway is reported."""
    path = SRC / "kb" / "probe.py"
    tree = ast.parse("from spinepath.pathway.model import Pathway\nfrom ..render import words\n")
    assert imported_units(tree, path) == {"pathway", "render"}
    assert layer_of("pathway") > layer_of("kb")
    assert layer_of("render") > layer_of("kb")
    assert layer_of("cli") > layer_of("render")
