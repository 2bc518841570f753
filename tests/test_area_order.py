"""The house's layering, read from the code's imports (ast, no import runs): the casework areas in their declared
order (core/areas.py ORDER, core/AREAS.md), no import up that order, none of another area's views, no circle
between an area's modules; the kernel and tenancy import no area; an API module never imports views."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from core.areas import ORDER

ROOT = Path(__file__).resolve().parent.parent
# The app factory knows every layer by design; nothing imports it but the entry points.
FACTORY = "core.app"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    files = [*ROOT.joinpath("core").rglob("*.py"), *ROOT.joinpath("tenants").rglob("*.py"),
             *ROOT.joinpath("reporting").rglob("*.py")]
    return {_module_name(f): f for f in files if "templates" not in f.parts}


MODULES = _modules()


def _imports(path: Path) -> list[tuple[str, int]]:
    """Every module the file imports, at any depth (a function-local import counts as much as a top-level one),
    resolved to a module of the project where it names one (``from core.inbox import operations``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.append((candidate if candidate in MODULES else node.module, node.lineno))
    return [(name, line) for name, line in found if name.split(".")[0] in ("core", "tenants", "reporting")]


GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _area(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "core" and len(parts) > 1 and parts[1] in ORDER else None


def _where(module: str, line: int) -> str:
    return f"{MODULES[module].relative_to(ROOT)}:{line}"


def test_every_area_package_is_declared_in_the_order():
    packages = {p.parent.name for p in ROOT.joinpath("core").glob("*/models.py")} - {"audit", "identity"}
    assert packages == set(ORDER), "a casework package under core/ that the order does not name, or the reverse"


def test_no_import_points_up_the_declared_order_or_into_another_areas_views():
    wrong = []
    for module, imports in GRAPH.items():
        source = _area(module)
        if source is None:
            continue
        for target, line in imports:
            area = _area(target)
            if area is None or area == source:
                if target.startswith("reporting"):
                    wrong.append(f"{_where(module, line)} imports {target} (reporting sits above every area)")
                continue
            if ORDER.index(area) > ORDER.index(source):
                wrong.append(f"{_where(module, line)} imports {target}: {area} is above {source}")
            if target.split(".")[-1] == "views":
                wrong.append(f"{_where(module, line)} imports another area's views ({target})")
    assert wrong == []


def test_the_kernel_and_tenancy_import_no_area_and_no_reporting():
    wrong = []
    for module, imports in GRAPH.items():
        if module == FACTORY or module.endswith(".area") or not (module.startswith("tenants") or _area(module) is None
                                                                 and module.startswith("core")):
            continue
        for target, line in imports:
            if _area(target) is not None or target.startswith("reporting") or target == FACTORY:
                wrong.append(f"{_where(module, line)} imports {target}")
    assert wrong == []


def test_an_api_module_never_imports_views():
    wrong = [f"{_where(module, line)} imports {target}" for module, imports in GRAPH.items()
             if module.split(".")[-1] == "api" for target, line in imports if target.split(".")[-1] == "views"]
    assert wrong == []


def _package(module: str) -> str:
    return module.rsplit(".", 1)[0] if MODULES[module].name != "__init__.py" else module


def _cycles_within_packages() -> list[list[str]]:
    """The circles between the modules of one package (``operations`` -> ``jobs`` -> ``operations``)."""
    edges = {module: sorted({target for target, _line in imports
                             if target in MODULES and target != module and _package(target) == _package(module)})
             for module, imports in GRAPH.items()}
    cycles, state = [], {}

    def visit(module, stack):
        state[module] = "open"
        stack.append(module)
        for target in edges[module]:
            if state.get(target) == "open":
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target, stack)
        stack.pop()
        state[module] = "done"

    for module in sorted(edges):
        if module not in state:
            visit(module, [])
    return cycles


def test_no_circle_between_the_modules_of_a_package():
    assert [" -> ".join(cycle) for cycle in _cycles_within_packages()] == []


@pytest.mark.parametrize("layer", ["core", "tenants", "reporting"])
def test_the_walk_sees_the_imports(layer):
    # The walk itself: it must find the edges it judges (an empty graph would pass every test above).
    edges = sum(len(imports) for module, imports in GRAPH.items() if module.startswith(layer))
    assert edges > 50
