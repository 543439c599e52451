"""No import cycle between the project's top-level packages (issue 11).

A lower app never imports the apps that use it; they register with it (commands.registry for remote
actions). Every import counts, the ones inside functions too: a deferred import is still a
dependency, it only hides the cycle from Python. Tests and migrations aside.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIPPED_DIRS = {"tests", "migrations"}
# switchplatform is the project package, not an app: it wires every app together (settings, urls,
# asgi) and offers them shared infrastructure (the Celery app, the broker helpers).
NOT_APPS = {"tests", "bench", "switchplatform"}


def top_level_packages() -> list[str]:
    return sorted(
        p.parent.name
        for p in ROOT.glob("*/__init__.py")
        if p.parent.name not in NOT_APPS and not p.parent.name.startswith(".")
    )


def import_graph() -> dict[str, dict[str, list[str]]]:
    """package → imported package → the files (with line) that import it."""
    packages = set(top_level_packages())
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for package in packages:
        for path in (ROOT / package).rglob("*.py"):
            if SKIPPED_DIRS & set(path.relative_to(ROOT / package).parts[:-1]):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    target = name.split(".")[0]
                    if target in packages and target != package:
                        graph[package][target].append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return graph


def find_cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Every strongly connected group of two or more packages (Tarjan), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_checker_finds_a_cycle():
    graph = {"a": {"b": ["a/x.py:1"]}, "b": {"c": ["b/y.py:1"]}, "c": {"a": ["c/z.py:1"]}, "d": {"a": ["d/w.py:1"]}}
    assert find_cycles(graph) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b": []}, "b": {}}) == []


def test_it_sees_the_apps():
    packages = top_level_packages()
    assert {"commands", "stations", "firmware", "certificates", "ocpp_gateway"} <= set(packages)
    assert "commands" in import_graph()["firmware"]  # firmware registers its action with commands


def test_no_import_cycle_between_apps():
    graph = import_graph()
    cycles = find_cycles(graph)
    details = []
    for group in cycles:
        for source in group:
            for target in group:
                for where in graph[source].get(target, []):
                    details.append(f"  {source} -> {target}  ({where})")
    assert not cycles, "Import cycles between apps: " + "; ".join(" <-> ".join(g) for g in cycles) + "\n" + "\n".join(details)
