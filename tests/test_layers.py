"""The import graph of the product: no cycles, and layers that go one way.

domain <- solvers <- io <- scenarios <- api/CLI: `planner.domain` and `planner.solving` import nothing else of
ours; the solvers (placement, forecast, sufficiency, expansion, transitions, validation) never import `planner.io`,
`scenarios` or `api`; `planner.io` never imports `scenarios` or `api`; `scenarios` never imports `api`. Every
import counts, including those inside functions (a lazy import still makes a cycle).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("planner", "scenarios", "api")
FOUNDATIONS = ("planner.domain", "planner.solving")
SOLVERS = ("planner.placement", "planner.forecast", "planner.sufficiency", "planner.expansion", "planner.costs",
           "planner.transitions", "planner.validation", "planner.areas")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def layer(module: str) -> int:
    """0 foundations, 1 solvers, 2 io, 3 scenarios, 4 api; the `planner` package itself counts as a foundation."""
    if module == "planner" or any(within(module, p) for p in FOUNDATIONS):
        return 0
    if any(within(module, p) for p in SOLVERS):
        return 1
    if within(module, "planner.io"):
        return 2
    if within(module, "scenarios"):
        return 3
    if within(module, "api"):
        return 4
    raise AssertionError(f"{module} belongs to no layer: add its package to tests/test_layers.py")


def imports_of(path: Path, name: str, modules: set[str]) -> set[str]:
    """Our modules that `path` (module `name`) imports anywhere in its body."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from a import b` imports the module a.b when there is one, else a name from a
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    files = {module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
             if "migrations" not in path.parts}
    names = set(files)
    return {name: imports_of(path, name, names) for name, path in files.items()}


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def breaches(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Imports that go against the layer order, as 'importer -> imported' lines."""
    wrong = []
    for importer, imported in sorted(graph.items()):
        for target in sorted(imported):
            foundation = next((p for p in FOUNDATIONS if within(importer, p)), None)
            if foundation is not None and not within(target, foundation) and target != "planner":
                wrong.append(f"{importer} -> {target} (a foundation imports only itself)")
            elif layer(target) > layer(importer):
                wrong.append(f"{importer} -> {target} (layer {layer(importer)} imports layer {layer(target)})")
    return wrong


def test_the_product_has_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_imports_follow_the_layer_order() -> None:
    assert breaches(import_graph()) == []


def test_the_graph_sees_lazy_and_relative_imports() -> None:
    graph = import_graph()
    # transitions.planning imports the schedule at module level; the CLI imports solvers inside its commands
    assert "planner.transitions.schedule" in graph["planner.transitions.planning"]
    assert "planner.transitions.gap_file" in graph["api.cli.transitions"]
    assert all(target in graph for imported in graph.values() for target in imported)


@pytest.mark.parametrize(("graph", "expected"), [
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ({"a": {"b"}, "b": set()}, []),
    ({"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c"}}, [["a", "b"], ["c", "d"]]),
])
def test_cycle_finder_on_known_graphs(graph: dict[str, set[str]], expected: list[list[str]]) -> None:
    assert sorted(cycles(graph)) == expected


def test_breach_finder_flags_each_kind_of_wrong_import() -> None:
    graph = {
        "planner.domain.models": {"planner.solving.progress"},
        "planner.placement.flow": {"scenarios.demo", "planner.domain.models"},
        "planner.io.gias": {"api.store"},
        "scenarios.demo": {"api.cli.main", "planner.io.gias"},
        "api.store": {"scenarios.demo", "planner.domain.models"},
    }
    assert breaches(graph) == [
        "planner.domain.models -> planner.solving.progress (a foundation imports only itself)",
        "planner.io.gias -> api.store (layer 2 imports layer 4)",
        "planner.placement.flow -> scenarios.demo (layer 1 imports layer 3)",
        "scenarios.demo -> api.cli.main (layer 3 imports layer 4)",
    ]
