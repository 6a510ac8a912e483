"""Dependencies point one way: the connector core <- the networks <- config and orchestration.
Read from the source (every import, at module level or inside a function, so a cycle cannot
hide behind a late import)."""

from __future__ import annotations

import ast
from pathlib import Path

from social_warehouse import paths

PACKAGE = "social_warehouse"
# What the connector core and the network modules may import besides themselves: leaf modules
# that import nothing of the project's but errors.
LEAVES = ("errors", "timeutil", "logs", "connections", "metric_registry", "paths")


def modules() -> dict[str, Path]:
    root = paths.project_root() / "plugins"
    found = {}
    for path in (root / PACKAGE).rglob("*.py"):
        name = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        found[name] = path
    return found


def imports_of(path: Path, known: dict[str, Path]) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return {m for m in out if m in known and m != PACKAGE}


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(path, known) - {name} for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(edges[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_through_others():
    assert cycles(graph()) == []


def test_the_cycle_check_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_connector_core_and_the_networks_import_only_downwards():
    allowed_core = (*(f"{PACKAGE}.{leaf}" for leaf in LEAVES), f"{PACKAGE}.connector")
    allowed_networks = (*allowed_core, f"{PACKAGE}.networks")
    wrong = []
    for name, imported in graph().items():
        if name.startswith(f"{PACKAGE}.connector"):
            allowed = allowed_core
        elif name.startswith(f"{PACKAGE}.networks") and name != f"{PACKAGE}.networks.catalog":
            allowed = allowed_networks
        else:
            continue
        wrong += [f"{name} -> {m}" for m in sorted(imported) if not m.startswith(allowed)]
    assert wrong == []


def test_the_leaves_import_nothing_of_the_project_but_errors():
    edges = graph()
    wrong = [
        f"{PACKAGE}.{leaf} -> {m}"
        for leaf in LEAVES
        for m in sorted(edges[f"{PACKAGE}.{leaf}"])
        if m not in (f"{PACKAGE}.errors", f"{PACKAGE}.paths", f"{PACKAGE}.logs")
    ]
    assert wrong == []
