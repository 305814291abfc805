"""The layout keeps its promises: no import cycles among agent modules, and docs/architecture.md
lists every module there is (and none that is gone)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "agent"


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if "_data" in path.parts:
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path, name: str, modules: dict[str, Path]) -> set[str]:
    """Every agent module `path` imports, at module level or inside functions (a lazy import
    still makes a cycle: the two modules cannot be understood or replaced alone)."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    targets: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for block in ast.walk(tree) if _is_type_checking(block) for n in ast.walk(block)}
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            targets.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets.add(base)
            targets.update(f"{base}.{a.name}" for a in node.names)
    edges = set()
    for target in targets:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        # A module importing its own package's __init__ (for a sibling) is not a cycle we mean.
        if target and target != name and not name.startswith(target + "."):
            edges.add(target)
    return edges


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
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


def test_no_import_cycles_among_agent_modules():
    modules = _modules()
    graph = {name: _imports(path, name, modules) for name, path in modules.items()}
    assert _cycles(graph) == []


def test_the_cycle_check_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_architecture_doc_lists_every_module_and_no_stale_ones():
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^(agent/\S+)", doc, re.M))
    listed_files = {p for p in listed if p.endswith(".py")}
    listed_dirs = {p for p in listed if p.endswith("/")}
    actual = {
        path.relative_to(ROOT).as_posix()
        for path in PACKAGE.rglob("*.py")
        if "_data" not in path.parts and path.name not in ("__main__.py",)
        and not (path.name == "__init__.py" and path.parent == PACKAGE)
    }

    def covered(module: str) -> bool:
        if module in listed_files:
            return True
        if module.endswith("/__init__.py") and Path(module).parent.as_posix() + "/" in listed_dirs:
            return True
        return any(module.startswith(d) for d in listed_dirs)

    missing = sorted(m for m in actual if not covered(m) and not m.endswith("/__init__.py")
                     or (m.endswith("/__init__.py") and _has_code(ROOT / m) and not covered(m)))
    stale = sorted(p for p in listed_files | listed_dirs if not (ROOT / p).exists())
    assert missing == [], "modules missing from docs/architecture.md"
    assert stale == [], "docs/architecture.md lists modules that do not exist"


def _has_code(path: Path) -> bool:
    """An __init__.py that defines something (not only a docstring and re-exports)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(isinstance(n, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef) for n in tree.body)
