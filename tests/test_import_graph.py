"""The project's modules import each other without cycles, imports inside functions included:
a cycle hidden behind a function-level import is still one module that cannot be understood,
tested or moved without the other. A cycle kept on purpose would be listed in KNOWN with its
reason, so a new one fails here."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ["portal", "agreements", "borders", "incidents", "alerts", "training", "exchange"]

KNOWN: set[frozenset[str]] = set()  # cycles left on purpose, each with its reason (none today)


def project_modules():
    modules = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def import_graph(modules):
    graph = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def cycles(graph):
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in graph[node]:
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_graph_is_read_from_the_sources():
    graph = import_graph(project_modules())
    assert "incidents.access" in graph["alerts.services"]
    assert "alerts.services" in graph["incidents.sharing"]
    assert "alerts.delivery" in graph["alerts.tasks"]


def test_a_planted_cycle_is_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [frozenset({"a", "b", "c"})]


def test_no_module_imports_itself_back():
    found = set(cycles(import_graph(project_modules())))
    new = [sorted(component) for component in found - KNOWN]
    assert not new, f"import cycles: {new}"


@pytest.mark.parametrize("module", ["alerts.services", "alerts.delivery", "alerts.tasks", "incidents.sharing"])
def test_alerts_and_sharing_are_in_no_cycle(module):
    assert not any(module in component for component in cycles(import_graph(project_modules())))


# Which apps each app may import: the core none, and nothing imports training or exchange (the top).
ALLOWED = {
    "portal": set(),
    "agreements": {"portal"},
    "borders": {"portal", "agreements"},
    "incidents": {"portal", "agreements", "borders", "alerts"},
    "alerts": {"portal", "agreements", "borders", "incidents"},
    "training": {"portal", "agreements", "borders", "incidents"},
    "exchange": {"portal", "agreements", "borders", "incidents", "alerts"},
}


def test_apps_import_only_the_layers_below_them():
    def app(module):
        return module.split(".")[0]

    graph = import_graph(project_modules())
    found = {
        (name, target)
        for name, targets in graph.items()
        for target in targets
        if app(target) != app(name) and app(target) not in ALLOWED[app(name)]
    }
    assert not found, sorted(found)
