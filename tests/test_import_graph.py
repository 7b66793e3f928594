"""The import graph of the package: no circles, and no stage importing a later one.

Every import statement of every module counts, wherever it stands (top level, inside a function,
under `if TYPE_CHECKING:`): a lazy import is still a dependency, only a later one. The layers are
those of docs/architecture.md, lowest first; a module may import its own layer and the ones below.
A new module must be given a layer here (test_every_module_has_a_layer), and an import of a module that
moved fails with its file and line (test_imports_name_what_exists).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "compliance"

# (layer, module prefixes), lowest first. A module belongs to the layer of its longest prefix; the
# package itself ("compliance", its __init__) is a prefix of nothing but itself.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("core", ("compliance", "compliance.model", "compliance.errors", "compliance.clock", "compliance.faults",
              "compliance.config", "compliance.http", "compliance.refs", "compliance.output_file",
              "compliance.verbosity",
              "compliance.distribution", "compliance.http_reply", "compliance.redaction")),
    ("catalogue", ("compliance.catalogue",)),
    ("sources", ("compliance.sources",)),
    ("store", ("compliance.store",)),
    ("checks", ("compliance.checks",)),
    ("report", ("compliance.report",)),
    ("refresh", ("compliance.refresh",)),
    ("render", ("compliance.render",)),
    ("delivery", ("compliance.delivery", "compliance.scheduler")),
    ("cli", ("compliance.cli", "compliance.commands")),
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _targets(module: str, path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The modules of the package an import statement loads (the deepest one each name reaches)."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        if node.level:
            package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
            base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        names = [f"{base}.{a.name}" for a in node.names]
    found = []
    for name in names:
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name.startswith("compliance"):
            found.append(name)
    return found


def _bound(tree: ast.Module) -> set[str]:
    """The names a module binds at its top level (also inside top-level if/try/with blocks)."""
    names: set[str] = set()
    todo: list[ast.stmt] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).partition(".")[0] for a in node.names)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, ast.If | ast.Try | ast.With | ast.For):
            todo.extend(node.body + getattr(node, "orelse", []) + getattr(node, "finalbody", []))
            for handler in getattr(node, "handlers", []):
                todo.extend(handler.body)
    return names


def _unresolved() -> list[str]:
    """Imports of the package's own modules (in the package and in the tests) that name no module,
    or a name the module does not bind."""
    bound = {m: _bound(ast.parse(p.read_text("utf-8"), str(p))) for m, p in MODULES.items()}
    owners = {p: m for m, p in MODULES.items()}
    wrong = []
    for path in [*MODULES.values(), *sorted(Path(__file__).parent.rglob("*.py"))]:
        module = owners.get(path)
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            if isinstance(node, ast.Import):
                wrong += [f"{path.name}:{node.lineno}: no module {a.name}" for a in node.names
                          if a.name.startswith("compliance") and a.name not in MODULES]
                continue
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                if module is None:
                    continue  # the tests' imports of each other
                package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                name = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            elif (node.module or "").partition(".")[0] == "compliance":
                name = node.module or ""
            else:
                continue
            if name not in MODULES:
                wrong.append(f"{path.name}:{node.lineno}: no module {name}")
                continue
            wrong += [f"{path.name}:{node.lineno}: {name} has no {a.name}" for a in node.names
                      if f"{name}.{a.name}" not in MODULES and a.name not in bound[name]]
    return wrong


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text("utf-8"), str(path))
        deps = graph.setdefault(module, set())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                deps.update(t for t in _targets(module, path, node) if t != module)
    return graph


GRAPH = _graph()


def _layer(module: str) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, layer index)
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            covers = module == prefix or (prefix != "compliance" and module.startswith(prefix + "."))
            if covers and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    return None if best is None else best[1]


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_is_read():
    assert len(MODULES) > 100
    assert "compliance.model" in GRAPH["compliance.checks.base"]
    assert "compliance.sources" in GRAPH["compliance.checks.base"]  # `from ..sources import SOURCES`


def test_imports_name_what_exists():
    """After a module moves, an import of its old name fails here with the file and line."""
    assert _unresolved() == []


def test_no_import_circles():
    assert _cycles(GRAPH) == []


def test_cycles_are_found():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_module_has_a_layer():
    assert [m for m in MODULES if _layer(m) is None] == []


def _upward(graph: dict[str, set[str]], layer: str) -> list[str]:
    return sorted(
        f"{module} -> {target} ({LAYERS[_layer(target)][0]})"
        for module, targets in graph.items() if LAYERS[_layer(module)][0] == layer
        for target in targets if _layer(target) > _layer(module)
    )


@pytest.mark.parametrize("layer", [name for name, _ in LAYERS])
def test_no_stage_imports_a_later_one(layer):
    assert _upward(GRAPH, layer) == []


def test_an_upward_import_is_found():
    graph = {"compliance.model": {"compliance.cli"}, "compliance.cli": {"compliance.model"}}
    assert _upward(graph, "core") == ["compliance.model -> compliance.cli (cli)"]
    assert _upward(graph, "cli") == []
