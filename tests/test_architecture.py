"""The package's shape: no private name crosses a module boundary, no import cycle at import
time, the command line holds no mathematics, and `import boundcalc` stays light."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "boundcalc"
MODULES = sorted(PACKAGE.rglob("*.py"))


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def test_no_private_name_imported_across_modules():
    offenders = []
    for path in MODULES:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                offenders += [f"{path.name}: from {'.' * node.level}{node.module or ''} import {a.name}"
                              for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
    assert not offenders, offenders


def test_no_private_attribute_of_a_sibling_module():
    offenders = []
    for path in MODULES:
        tree = ast.parse(path.read_text())
        siblings = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level > 0 for a in n.names}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in siblings
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                offenders.append(f"{path.name}: {node.value.id}.{node.attr}")
    assert not offenders, offenders


def _top_level_imports(path: Path) -> set[str]:
    """Package modules imported when ``path`` is imported (module level, not inside functions)."""
    tree = ast.parse(path.read_text())
    here = _module_name(path).split(".")
    pkg = here if path.name == "__init__.py" else here[:-1]
    out = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            base = pkg[: len(pkg) - node.level + 1]
            target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            if node.module is None:
                out |= {f"{target}.{a.name}" for a in node.names}
            else:
                out.add(target)
    return out


def test_no_import_cycle():
    graph = {_module_name(p): _top_level_imports(p) for p in MODULES}
    graph = {m: {d for d in deps if d in graph and d != m} for m, deps in graph.items()}

    def visit(m: str, stack: list[str]) -> None:
        if m in stack:
            cycle = stack[stack.index(m):] + [m]
            # a package importing its own submodules is not a cycle between modules
            assert all(x.startswith(cycle[0]) or cycle[0].startswith(x) for x in cycle), " -> ".join(cycle)
            return
        for d in graph[m]:
            visit(d, [*stack, m])

    for m in graph:
        visit(m, [])


def test_cli_holds_no_mathematics():
    """The command line imports no numerical library: arrays and numerics are the library's."""
    for path in (PACKAGE / "cli").glob("*.py"):
        tree = ast.parse(path.read_text())
        names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 0 and n.module}
        assert not names & {"numpy", "scipy", "mpmath", "torch"}, (path.name, names)
