"""The package's layers: every import, lazy ones included, goes down the layer order.

The order is the README's Architecture section; a module may import its own layer and any
layer below it, never one above.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sim"

# Lowest first. Modules at the package root other than __init__ are the base vocabulary.
LAYERS = [
    {"errors", "streams", "vocabulary", "version", "_compat"},
    {"io"},
    {"config"},
    {"model"},
    {"marketing", "operations", "forecast", "uplift"},
    {"simulation"},
    {"store"},
    {"analysis"},
    {"calibrate"},
    {"studies"},
    {"report"},
]
# Upward imports allowed for now (none): the test fails on any upward import not listed and on
# a listed one that is gone.
KNOWN_UPWARD: set[tuple[str, str]] = set()
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
CLI_RANK = len(LAYERS)


def _layer(module: str) -> str | None:
    """The layer of a dotted module name inside `sim`, or None for `sim` itself."""
    parts = module.split(".")
    if parts[0] != "sim" or len(parts) == 1:
        return None
    return parts[1]


def _imports(path: Path, module: str) -> list[tuple[int, str]]:
    """(line, imported module) for every `sim` import in a file, lazy ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names = [f"{base}.{alias.name}" for alias in node.names]
            found += [(node.lineno, name) for name in names]
    return [(line, name) for line, name in found if name == "sim" or name.startswith("sim.")]
    # `from sim.x import y` is listed as sim.x.y: a submodule when y is one, else resolved to sim.x.


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield path, ".".join(parts)
    yield ROOT / "cli.py", "cli"


def _resolve(target: str, modules) -> str:
    """The module an import names: `sim.x.y` is sim.x when y is a function or class of it."""
    while target not in modules and "." in target:
        target = target.rpartition(".")[0]
    return target


def _rank(module: str) -> int | None:
    if module == "cli":
        return CLI_RANK
    layer = _layer(module)
    return None if layer is None else RANK.get(layer)


def test_every_package_module_has_a_layer():
    unknown = sorted({_layer(m) for _, m in _modules() if m != "cli" and _layer(m) and _rank(m) is None})
    assert not unknown, f"modules outside the layer order: {unknown}"


def test_imports_only_go_down():
    upward, known = [], set()
    modules = {module for _, module in _modules()}
    for path, module in _modules():
        own = _rank(module)
        for line, target in _imports(path, module):
            target = _resolve(target, modules)
            if target == "sim" and own is not None and module != "cli":
                upward.append(f"{module}:{line} imports the sim package root")
                continue
            theirs = _rank(target)
            if own is not None and theirs is not None and theirs > own:
                if (module, target) in KNOWN_UPWARD:
                    known.add((module, target))
                else:
                    upward.append(f"{module}:{line} imports {target}")
    assert not upward, "imports that go up a layer:\n" + "\n".join(upward)
    assert known == KNOWN_UPWARD, f"no longer imported, remove from KNOWN_UPWARD: {KNOWN_UPWARD - known}"


def test_package_root_stays_small():
    root_modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(root_modules) <= 8, root_modules




def test_old_module_paths_still_import(recwarn):
    import importlib

    from sim._compat import MOVED, SPLIT

    for old, new in MOVED.items():
        assert importlib.import_module(old) is importlib.import_module(new)
        assert importlib.import_module(new).__spec__.name == new
    for old, news in SPLIT.items():
        union = importlib.import_module(old)
        for new in news:
            module = importlib.import_module(new)
            public = [name for name in vars(module) if not name.startswith("_")]
            assert all(getattr(union, name) is getattr(module, name) for name in public)


def _graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports (a `from package import module` names the module)."""
    modules = dict((module, path) for path, module in _modules())
    graph = {}
    for module, path in modules.items():
        targets = set()
        for _, target in _imports(path, module):
            target = _resolve(target, modules)
            if target in modules and target != module:
                targets.add(target)
        graph[module] = targets
    return graph


def test_no_import_cycles():
    graph, cycles = _graph(), []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if nxt == "sim":
                continue
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [node, nxt]) if nxt in stack else f"{node} -> {nxt}")
            elif nxt not in state:
                visit(nxt, stack + [node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


MAX_LINES = 400


def test_no_module_is_over_400_lines_and_cli_only_parses_and_shows():
    sizes = {module: len(path.read_text(encoding="utf-8").splitlines()) for path, module in _modules()}
    assert {m: n for m, n in sizes.items() if n > MAX_LINES} == {}
    cli = (ROOT / "cli.py").read_text(encoding="utf-8")
    assert "import pandas" not in cli and "import numpy" not in cli  # no computing in the command line
