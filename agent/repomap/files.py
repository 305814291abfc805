"""Which files the map covers, and the git blob id of each one's current content.

Git already knows both cheaply: `git ls-files -s` lists tracked files with their staged blob
ids, `--others --exclude-standard` lists untracked files that are not ignored, and `-m` names
the tracked files whose working copy differs from the index. Only those modified and untracked
files need hashing here, so a warm listing of thousands of files costs a few git calls.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

AGENTIGNORE = ".agentignore"

# Vendored, generated and tool directories: never worth a line of the map.
SKIP_DIRS = frozenset({
    "node_modules", "bower_components", "jspm_packages", ".venv", "venv", ".tox", ".nox",
    "site-packages", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".eggs",
    "dist", "build", "vendor", "vendors", "third_party", "third-party", "external", ".git",
    ".hg", ".svn", ".next", ".nuxt", ".cache", "coverage", "htmlcov", ".gradle", ".idea",
})
SKIP_SUFFIXES = (
    ".min.js", ".min.css", "-min.js", ".bundle.js", ".chunk.js", ".map", ".min.mjs", ".pb.go",
    "_pb2.py", "_pb2_grpc.py", ".egg-info",
)
SKIP_NAMES = frozenset({
    "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock", "Cargo.lock", "Gemfile.lock",
    "composer.lock", "uv.lock", "go.sum", "Pipfile.lock", ".DS_Store",
})
_BINARY = """png jpg jpeg gif bmp ico icns webp tif tiff psd ai eps pdf zip gz tgz bz2 xz zst 7z rar
jar war ear class so dylib dll exe o a lib obj pyc pyo pyd whl egg woff woff2 ttf otf eot mp3 mp4
m4a wav ogg oga flac avi mov mkv webm sqlite sqlite3 db bin dat mo npy npz pkl pickle parquet h5
hdf5 onnx pt pth ckpt safetensors wasm dbf shp shx sav xls xlsx doc docx ppt pptx"""
BINARY_EXTS = frozenset(_BINARY.split())
MAX_FILE_BYTES = 1024 * 1024  # larger untracked files are not even hashed


@dataclass(slots=True)
class FileEntry:
    path: str  # posix, relative to the map root
    blob: str | None  # git blob id of the working copy; None when too big to bother


def skipped(path: str) -> bool:
    """Left out by name alone: vendored/generated trees, minified bundles, lock files, binaries."""
    slash = path.rfind("/")
    name = path[slash + 1 :]
    if name in SKIP_NAMES or name.endswith(SKIP_SUFFIXES):
        return True
    dot = name.rfind(".")
    if dot > 0 and name[dot + 1 :].lower() in BINARY_EXTS:
        return True
    if slash > 0:
        dirs = path[:slash]
        return not SKIP_DIRS.isdisjoint(dirs.split("/")) or ".egg-info" in dirs
    return False


def blob_id(data: bytes) -> str:
    """Git's object id of a blob with this content (what `git hash-object` prints)."""
    h = hashlib.sha1(b"blob %d\0" % len(data))
    h.update(data)
    return h.hexdigest()


def git_dir(root: Path) -> Path | None:
    """The common .git directory of the repository holding `root` (shared by linked worktrees)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--git-common-dir"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return (root / out).resolve()


def _git_z(root: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        ["git", "-c", "core.quotepath=off", "ls-files", "-z", *args],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )


def _read(proc: subprocess.Popen) -> list[str] | None:
    out, _ = proc.communicate()
    if proc.returncode != 0:
        return None
    return [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]


def list_files(root: Path) -> list[FileEntry]:
    """Tracked plus untracked-not-ignored files under `root`, minus .agentignore and skipped ones.

    Outside a git repository, falls back to walking the tree (no ignore rules but ours).
    """
    ignore = root / AGENTIGNORE
    extra = [f"--exclude-from={ignore}"] if ignore.is_file() else []
    # the calls are independent: let git run them side by side
    staged = _git_z(root, "-s")
    others = _git_z(root, "--others", "--exclude-standard", *extra)
    modified = _git_z(root, "-m")
    agent_ignored = _git_z(root, "--cached", "-i", *extra) if extra else None
    staged_lines, other_paths, modified_paths = _read(staged), _read(others), _read(modified)
    dropped = set(_read(agent_ignored) or ()) if agent_ignored else set()
    if staged_lines is None or other_paths is None or modified_paths is None:
        return _walk(root)

    blobs: dict[str, str | None] = {}
    for line in staged_lines:
        meta, _, path = line.partition("\t")
        mode, blob, stage = meta.split(" ")
        if mode in ("160000", "120000") or path in dropped or skipped(path):
            continue  # submodules and symlinks are not files of this tree
        blobs[path] = blob if stage == "0" else None  # conflicted: hash the working copy
    stale = set(modified_paths) | {p for p, b in blobs.items() if b is None}
    for path in other_paths:
        if not skipped(path):
            stale.add(path)
    for path in stale:
        if path in dropped or skipped(path):
            continue
        blobs[path] = _hash_file(root / path)
        if blobs[path] == "":  # deleted in the working tree
            del blobs[path]
    return [FileEntry(p, b) for p, b in sorted(blobs.items())]


def _hash_file(path: Path) -> str | None:
    try:
        if not path.is_file() or path.is_symlink():
            return ""
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        return blob_id(path.read_bytes())
    except OSError:
        return ""


def _walk(root: Path) -> list[FileEntry]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for name in filenames:
            rel = Path(dirpath, name).relative_to(root).as_posix()
            if not skipped(rel):
                blob = _hash_file(root / rel)
                if blob != "":
                    out.append(FileEntry(rel, blob))
    return sorted(out, key=lambda e: e.path)
