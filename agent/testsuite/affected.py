"""The tests most likely to fail after a change, run before the full suite (--test-strategy
affected-first): the test files that import the changed files (transitively, from the repository
map's import graph), the test files the step changed or names, and those that failed last.

Per runner: pytest gets test files; jest `--findRelatedTests <changed files>`; go the changed
packages and the packages that import them (from their import lines); cargo `-p` for the changed
workspace members. Anything else (a single crate: it is the suite; vitest; other commands) has no
selection and goes straight to the full suite. A change to test configuration (conftest.py,
pyproject.toml, package.json, go.mod, ...) can affect any test: full suite straight away too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

FULL_ONLY = frozenset({"conftest.py", "pyproject.toml", "setup.cfg", "setup.py", "pytest.ini", "tox.ini",
                       "package.json", "jest.config.js", "jest.config.ts", "go.mod", "go.sum",
                       "Cargo.toml", "Cargo.lock"})
_PY_TEST = re.compile(r"(^|/)(test_[^/]*|[^/]*_test)\.py$")
_JS_SOURCE = re.compile(r"\.(c|m)?[jt]sx?$")


def is_python_test(path: str) -> bool:
    return bool(_PY_TEST.search(path))


def selection(fmt: str, root: Path, changed: Iterable[str], step_files: Iterable[str] = (),
              last_failed: Iterable[str] = (), importers: Callable[[list[str]], set[str]] | None = None
              ) -> list[str] | None:
    """Argv items for the test command that run the affected tests; None: run the full suite.
    Paths come ./-prefixed (never taken for an option), crate names checked: the runner passes
    them as they are (they are ours, not the model's)."""
    changed = sorted(set(changed))
    if not changed or any(PurePosixPath(p).name in FULL_ONLY for p in changed):
        return None
    if fmt == "pytest":
        return _pytest(root, changed, step_files, last_failed, importers)
    if fmt == "jest":
        present = [p for p in changed if _JS_SOURCE.search(p) and (root / p).is_file()]
        # No related test is no failure (jest exits 1 for "No tests found" otherwise).
        return ["--passWithNoTests", "--findRelatedTests", *[f"./{p}" for p in present]] if present else None
    if fmt == "go":
        dirs = {str(PurePosixPath(p).parent) for p in changed if p.endswith(".go") and (root / p).is_file()}
        dirs |= go_importers(root, dirs)
        return [f"./{d}" if d != "." else "." for d in sorted(dirs)] or None
    if fmt == "cargo":
        return _cargo(root, changed)
    return None


_CRATE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$")
_CARGO_NAME = re.compile(r'^\[package\][^\[]*?^name\s*=\s*"([^"]+)"', re.M | re.S)


def _cargo(root: Path, changed: list[str]) -> list[str] | None:
    """In a workspace, `-p` for each crate a changed file is in; a single crate is the whole suite."""
    crates: set[str] = set()
    for path in changed:
        folder = (root / path).parent
        while folder != root and not (folder / "Cargo.toml").is_file() and root in folder.parents:
            folder = folder.parent
        if folder == root:
            return None  # the root crate (or a file outside any member): the whole suite
        try:
            match = _CARGO_NAME.search((folder / "Cargo.toml").read_text(encoding="utf-8"))
        except OSError:
            return None
        if match is None or not _CRATE.match(match.group(1)):
            return None
        crates.add(match.group(1))
    return [arg for name in sorted(crates) for arg in ("-p", name)] or None


_GO_IMPORT = re.compile(r'^\s*(?:import\s+)?(?:[\w.]+\s+)?"([^"]+)"', re.M)
GO_SCAN_LIMIT = 5_000  # .go files read to find importers; past that, the changed packages only


def go_importers(root: Path, dirs: set[str]) -> set[str]:
    """Package dirs (relative) whose .go files import one of `dirs`, transitively: read from the
    files' import lines (no go toolchain run: that could fetch modules)."""
    try:
        module = re.search(r"^module\s+(\S+)", (root / "go.mod").read_text(encoding="utf-8"), re.M).group(1)
    except (OSError, AttributeError):
        return set()
    imports: dict[str, set[str]] = {}
    for n, path in enumerate(root.rglob("*.go")):
        if n >= GO_SCAN_LIMIT:
            break
        if "vendor" in path.relative_to(root).parts:
            continue
        folder = path.parent.relative_to(root).as_posix() or "."
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for imp in _GO_IMPORT.findall(text[: text.find("\nfunc ") if "\nfunc " in text else len(text)]):
            if imp == module or imp.startswith(module + "/"):
                imports.setdefault(folder, set()).add(imp[len(module):].strip("/") or ".")
    found: set[str] = set()
    todo = set(dirs)
    while todo:
        target = todo.pop()
        for folder, targets in imports.items():
            if target in targets and folder not in found and folder not in dirs:
                found.add(folder)
                todo.add(folder)
    return found


def _pytest(root: Path, changed: list[str], step_files: Iterable[str], last_failed: Iterable[str],
            importers: Callable[[list[str]], set[str]] | None) -> list[str] | None:
    python = [p for p in changed if p.endswith(".py")]
    others = [p for p in changed if not p.endswith((".py", ".md", ".rst", ".txt"))]
    if others and not any(is_python_test(p) for p in changed):
        return None  # data or other files changed: which tests read them is unknown
    found = {p for p in python if is_python_test(p)}
    sources = [p for p in python if not is_python_test(p)]
    if sources:
        if importers is None:
            return None
        try:
            found |= {p for p in importers(sources) if is_python_test(p)}
        except Exception:  # noqa: BLE001 - the map is a help: without it, the full suite
            return None
    found |= {p for p in step_files if is_python_test(p)}
    found |= {test_id.split("::", 1)[0] for test_id in last_failed}
    tests = sorted(p for p in found if (root / p).is_file())
    return [f"./{p}" for p in tests] or None
