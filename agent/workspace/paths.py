"""Path confinement: every path the model (or a patch) names must stay inside one root."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from agent.errors import PathEscape


def confine(root: Path, path: str) -> Path:
    """Resolve `path` (relative to `root`) and return it, or raise PathEscape saying why.

    Refused: absolute paths, `..` that leaves the root, anything through `.git`, and symlinks
    (at any level) that point outside the root. The path itself need not exist.
    """
    if path is None or not str(path).strip():
        raise PathEscape("empty path")
    text = str(path).strip().replace("\\", "/")
    pure = PurePosixPath(text)
    if pure.is_absolute() or (len(text) > 1 and text[1] == ":"):
        raise PathEscape(f"{path}: absolute paths are not allowed; use a path relative to the repository root")
    if any(part.lower() == ".git" for part in pure.parts):  # .GIT is .git to git and to macOS/Windows
        raise PathEscape(f"{path}: the .git directory is off limits")
    real_root = root.resolve()
    candidate = (real_root / pure).resolve()
    if candidate != real_root and real_root not in candidate.parents:
        what = "a symlink that points" if ".." not in pure.parts else "a path that goes"
        raise PathEscape(f"{path}: {what} outside the repository")
    if ".git" in candidate.relative_to(real_root).parts:  # e.g. a symlink to .git
        raise PathEscape(f"{path}: the .git directory is off limits")
    return candidate


def relative(root: Path, path: Path) -> str:
    return path.resolve().relative_to(root.resolve()).as_posix()
