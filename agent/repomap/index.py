"""Everything ranking and rendering need from a tree's parse records, in one cacheable value.

Built once per set of blob ids (the tree key) and kept on disk beside the parse cache, so a warm
map with a new focus reads one file instead of every record, and one with a focus seen before
reads nothing but its result (core.py).

Python imports are resolved to files here: a file's module name follows its chain of packages
(`src/attr/_funcs.py` is `attr._funcs` when src/ has no __init__.py), `from a.b import c` means
module a.b.c when that is a file, else a.b; relative imports count from the importing package.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass

MAPPED = ("ok", "text")  # statuses shown in the map
_TEST_DIRS = frozenset({"test", "tests", "testing", "__tests__", "spec", "specs"})
_TEST_NAME = re.compile(r"(^test_.*|.*_tests?|^conftest|.*\.(test|spec))\.[^.]+$")
_CAMEL = re.compile(r"[a-z][A-Z]")
_PY = (".py", ".pyi")
_OVERLOADING = (".py", ".pyi", ".ts", ".mts", ".cts", ".tsx")  # languages with typing overloads


def tree_key(entries, version: int) -> str:
    """One id for a whole tree's content: the same files with the same blobs give the same key."""
    h = hashlib.sha1(b"%d\n" % version)
    for e in entries:
        h.update(f"{e.path}\0{e.blob}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def is_minor(path: str) -> bool:
    """Tests and type stubs: ranked below the code they exercise or describe."""
    if path.endswith(".pyi"):
        return True
    name = path[path.rfind("/") + 1 :]
    if _TEST_NAME.match(name):
        return True
    return not _TEST_DIRS.isdisjoint(path.split("/")[:-1])


def module_names(paths: list[str]) -> dict[str, list[int]]:
    """Dotted module name -> indices of the .py/.pyi files that provide it."""
    packages = {p[: p.rfind("/")] for p in paths if p.endswith(("/__init__.py", "/__init__.pyi"))}
    modules: dict[str, list[int]] = {}
    for i, path in enumerate(paths):
        if not path.endswith(_PY):
            continue
        parts = path[: path.rfind(".")].split("/")
        if parts[-1] == "__init__":
            parts.pop()
        # climb while the directory above is a package
        top = len(parts) - 1
        while top > 0 and "/".join(parts[:top]) in packages:
            top -= 1
        name = ".".join(parts[top:]) if parts[top:] else ""
        if name and all(part.isidentifier() for part in parts[top:]):
            modules.setdefault(name, []).append(i)
    return modules


def resolve_imports(paths: list[str], imports: list[list]) -> list[list[int]]:
    """For each file, the files its import statements name (no duplicates, not itself)."""
    modules = module_names(paths)
    of_file = {i: name for name, files in modules.items() for i in files}
    out: list[list[int]] = []
    for i, stmts in enumerate(imports):
        targets: dict[int, None] = {}
        if stmts:
            own = of_file.get(i, "")
            is_pkg = paths[i].rsplit("/", 1)[-1] in ("__init__.py", "__init__.pyi")
            for module, names in stmts:
                base = _absolute(module, own, is_pkg)
                if base is None:
                    continue
                found = False
                for name in names:
                    sub = modules.get(f"{base}.{name}" if base else name)
                    if sub:
                        targets.update(dict.fromkeys(sub))
                        found = True
                if not found or not names:
                    targets.update(dict.fromkeys(modules.get(base, ())))
        targets.pop(i, None)
        out.append(list(targets))
    return out


def _absolute(module: str, own: str, is_pkg: bool) -> str | None:
    level = len(module) - len(module.lstrip("."))
    if not level:
        return module
    package = own.split(".") if own else []
    if not is_pkg:
        package = package[:-1]
    if level - 1 > len(package):
        return None
    package = package[: len(package) - (level - 1)]
    rest = module[level:]
    return ".".join([*package, rest] if rest else package)


@dataclass
class TreeIndex:
    paths: list[str]
    status: list[str]
    defs: list[list]  # per file: [(name, kind, line, depth, signature)]
    definers: dict[str, list[int]]  # name -> files defining it (impl blocks aside)
    # ident edges, weights before focus and normalisation: file src[j] uses idents[dst[j]]
    idents: list[str]
    src: list[int]
    dst: list[int]
    wts: list[float]
    imports: list[list[int]]  # per file: the files it imports

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: dict) -> TreeIndex:
        return cls(**d)

    def importers(self, targets: set[int]) -> set[int]:
        """Files that import any of `targets`, directly or through other importers."""
        back: dict[int, list[int]] = {}
        for f, tos in enumerate(self.imports):
            for t in tos:
                back.setdefault(t, []).append(f)
        seen: set[int] = set()
        todo = list(targets)
        while todo:
            for f in back.get(todo.pop(), ()):
                if f not in seen and f not in targets:
                    seen.add(f)
                    todo.append(f)
        return seen


def build(scanned: list[tuple[str, tuple]]) -> TreeIndex:
    """The index of a scanned tree ([(path, record)], records as symbols.py describes)."""
    paths = [p for p, _ in scanned]
    definers: dict[str, list[int]] = {}
    for i, (_, rec) in enumerate(scanned):
        for name in {d[0] for d in rec[1] if d[1] != "impl"}:
            definers.setdefault(name, []).append(i)
    n_defining = sum(1 for _, rec in scanned if rec[1]) or 1
    idents: list[str] = []
    index: dict[str, int] = {}
    src: list[int] = []
    dst: list[int] = []
    wts: list[float] = []
    base: dict[str, float] = {}  # per name: what every use of it is worth before its count
    for f, (_, rec) in enumerate(scanned):
        refs = rec[2]
        for name in refs.keys() & definers.keys():  # set intersection: C speed
            ds = definers[name]
            if len(ds) == 1 and ds[0] == f:
                continue  # only a file's use of its own definition
            k = index.get(name)
            if k is None:
                k = index[name] = len(idents)
                idents.append(name)
                base[name] = _specificity(name, len(ds), n_defining)
            src.append(f)
            dst.append(k)
            wts.append(math.sqrt(refs[name]) * base[name])
    imports = resolve_imports(paths, [rec[3] if len(rec) > 3 else [] for _, rec in scanned])
    return TreeIndex(paths, [rec[0] for _, rec in scanned], [collapse(rec[1]) if p.endswith(_OVERLOADING) else rec[1] for p, rec in scanned], definers,
                     idents, src, dst, wts, imports)


def collapse(defs: list) -> list:
    """Definitions repeated in one scope (typing overloads, a property's getter and setter) as
    one line, the first signature with the count: `def f(x: int) -> int (×3)`. Only leaves
    collapse: a class defined twice keeps both bodies."""
    leaf = [k + 1 == len(defs) or defs[k + 1][3] <= defs[k][3] for k in range(len(defs))]
    out: list = []
    counts: dict[int, int] = {}
    first: dict[tuple, int] = {}
    stack: list[tuple[int, int]] = []  # (depth, index into out) of enclosing definitions
    for k, d in enumerate(defs):
        while stack and stack[-1][0] >= d[3]:
            stack.pop()
        scope = (stack[-1][1] if stack else -1, d[0], d[3])
        j = first.get(scope)
        if leaf[k] and j is not None and counts.get(j, 0) > 0:
            counts[j] += 1
            continue
        if leaf[k]:
            first[scope] = len(out)
            counts[len(out)] = 1
        stack.append((d[3], len(out)))
        out.append(tuple(d))
    for j, n in counts.items():
        if n > 1:
            d = out[j]
            out[j] = (*d[:4], f"{d[4]} (×{n})", *d[5:])
    return out


def _specificity(name: str, n_definers: int, n_files: int) -> float:
    """How much a use of `name` says about its definers: IDF-like, defined in many files says
    little (`__init__`, `get`, `run`); long compound names say more than `data`; dunders little."""
    w = 1.0
    if n_files > 1:
        w = max(math.log(n_files / n_definers) / math.log(n_files), 0.05) if n_definers < n_files else 0.05
    if len(name) >= 8 and ("_" in name.strip("_") or _CAMEL.search(name)):
        w *= 3.0
    if name.startswith("__") and name.endswith("__"):
        w *= 0.1
    elif name.startswith("_"):
        w *= 0.5
    return w
