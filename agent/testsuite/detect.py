"""Which test command a project has: pytest, a package.json test script (npm, pnpm or yarn by
lockfile), go or cargo, from the files at its root."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

_PYTHON_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "pytest.ini", "tox.ini")
_NPM_PLACEHOLDER = 'echo "Error: no test specified" && exit 1'


def detect_kind(root: Path) -> str | None:
    if any((root / m).is_file() for m in _PYTHON_MARKERS) or _has_python_tests(root):
        return "pytest"
    pkg = root / "package.json"
    if pkg.is_file():
        try:
            script = (json.loads(pkg.read_text(encoding="utf-8")).get("scripts") or {}).get("test")
        except (ValueError, OSError, AttributeError):
            script = None
        if isinstance(script, str) and script.strip() and script.strip() != _NPM_PLACEHOLDER:
            return "npm"
    if (root / "go.mod").is_file():
        return "go"
    if (root / "Cargo.toml").is_file():
        return "cargo"
    return None


def _has_python_tests(root: Path) -> bool:
    for folder in (root, root / "tests", root / "test"):
        if folder.is_dir() and (any(folder.glob("test_*.py")) or any(folder.glob("*_test.py"))):
            return True
    return False


def package_manager(root: Path) -> str:
    """npm, pnpm or yarn: the one whose lockfile the project has (npm when none)."""
    for lockfile, manager in (("pnpm-lock.yaml", "pnpm"), ("yarn.lock", "yarn"), ("package-lock.json", "npm")):
        if (root / lockfile).is_file():
            return manager
    return "npm"


def detected_argv(kind: str | None, root: Path | None = None) -> list[str]:
    if kind == "pytest":
        python = shutil.which("python") or shutil.which("python3") or "python"
        return [python, "-m", "pytest", "-q", "-rfE", "--color=no", "-p", "no:cacheprovider"]
    if kind == "npm":
        manager = package_manager(root) if root is not None else "npm"
        return [manager, "test", "--silent"] if manager == "npm" else [manager, "test"]
    # go: -json for per-test results; cargo: every test binary runs even when one fails.
    return {"go": ["go", "test", "-json", "./..."], "cargo": ["cargo", "test", "--no-fail-fast"]}.get(kind or "", [])

