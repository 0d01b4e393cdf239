"""The shape of the code a newcomer reads: modules of a readable size, no module reaching into
another's private names, and no import cycle among the package's modules.

Modules still over the size are listed with their size today; they may shrink, never grow, and
one that comes under the limit leaves the list. Imports inside functions count as well: a
cycle hidden in a function is still a cycle to the reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

PACKAGE = REPO / "generator"
LIMIT = 400

# module -> its size when it was listed; to be split (see the issue on the code's layout)
OVERSIZE: dict[str, int] = {}

# private modules read from outside their package, until their public home exists: the pages
# judge values against commitments as the rules do
PRIVATE_MODULES_READ: set[tuple[str, str]] = {("generator.render", "generator.rules._util")}


def _modules(root: Path, package: str) -> dict[str, Path]:
    out = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules(REPO, "generator")


def _target(module: str, path: Path, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if path.name != "__init__.py":
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str, path: Path, modules: dict[str, Path]):
    """(imported module, name or None, the module's own alias) for every import in ``module``."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            target = _target(module, path, node)
            for alias in node.names:
                full = f"{target}.{alias.name}"
                if full in modules:
                    yield full, None, alias.asname or alias.name
                else:
                    yield target, alias.name, None
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, alias.asname or alias.name


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_modules_are_of_a_readable_size():
    sizes = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in MODULES.items()}
    over = {m: n for m, n in sizes.items() if n > LIMIT and m not in OVERSIZE}
    assert not over, f"modules over {LIMIT} lines: {over}; split them"
    grown = {m: (sizes[m], most) for m, most in OVERSIZE.items() if m in sizes and sizes[m] > most}
    assert not grown, f"listed modules grew (now, listed): {grown}"
    done = [m for m in OVERSIZE if sizes.get(m, 0) <= LIMIT]
    assert not done, f"{done} are no longer over {LIMIT} lines (or are gone): take them off OVERSIZE"


def private_uses(modules: dict[str, Path], package: str) -> list[str]:
    found = []
    for module, path in modules.items():
        aliases = {}
        for target, name, alias in _imports(module, path, modules):
            if not target.startswith(package):
                continue
            if name is not None and _private(name):
                found.append(f"{module} imports {target}.{name}")
            if alias and target in modules:
                aliases[alias] = target
            parent, leaf = target.rsplit(".", 1) if "." in target else ("", target)
            if _private(leaf) and not module.startswith(parent + ".") \
                    and (module, target) not in PRIVATE_MODULES_READ:
                found.append(f"{module} imports the private module {target}")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id in aliases and aliases[node.value.id] != module and _private(node.attr):
                found.append(f"{module} reads {aliases[node.value.id]}.{node.attr}")
    return sorted(set(found))


def import_cycles(modules: dict[str, Path]) -> list[list[str]]:
    graph = {m: set() for m in modules}
    for module, path in modules.items():
        for target, name, _ in _imports(module, path, modules):
            for candidate in (f"{target}.{name}" if name else None, target):
                if candidate in modules and candidate != module:
                    graph[module].add(candidate)
                    break
    # a module importing its own package's __init__ (for a sibling) is not a cycle with it
    for module in graph:
        graph[module] = {t for t in graph[module]
                         if not (module.startswith(t + ".") and modules[t].name == "__init__.py")}
    cycles, index, low, stack, on_stack = [], {}, {}, [], set()

    def visit(v):  # Tarjan's strongly connected components
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
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def test_no_module_uses_another_modules_private_names():
    assert private_uses(MODULES, "generator") == []


def test_no_import_cycles():
    assert import_cycles(MODULES) == []


def test_the_checks_find_what_they_look_for(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .b import _hidden\nfrom . import c as cc\nx = cc._secret\n")
    (pkg / "b.py").write_text("def _hidden():\n    from .c import y\n")
    (pkg / "c.py").write_text("from .b import _hidden\n_secret = y = 1\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "_util.py").write_text("z = 1\n")
    (pkg / "sub" / "d.py").write_text("from ._util import z\n")
    (pkg / "e.py").write_text("from .sub._util import z\n")
    modules = _modules(tmp_path, "pkg")
    assert private_uses(modules, "pkg") == [
        "pkg.a imports pkg.b._hidden", "pkg.a reads pkg.c._secret", "pkg.c imports pkg.b._hidden",
        "pkg.e imports the private module pkg.sub._util"]
    assert import_cycles(modules) == [["pkg.b", "pkg.c"]]
