"""Which files the map covers, and the git blob id of each one's current content.

`git ls-files` lists tracked files, and with `--others --exclude-standard` the untracked ones
that are not ignored, with `-s` the blob ids in the index and with `-m` which of those no longer
match. Blob ids git cannot vouch for are computed here (sha1 of "blob <len>\\0" + content, as
git does). Each is remembered with the file's stat, so a warm listing of thousands of files
costs a few git calls and one stat per file; only new or changed files are read.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from agent.errors import WorkspaceError
from agent.workspace.git import run_git, start_git

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
        proc = run_git(root, "rev-parse", "--git-common-dir", check=False)
    except WorkspaceError:
        return None
    out = proc.stdout.decode("utf-8", "surrogateescape").strip()
    return (root / out).resolve() if proc.returncode == 0 and out else None


def _start(root: Path, *args: str) -> subprocess.Popen | None:
    try:
        return start_git(root, *args)
    except WorkspaceError:
        return None


def _git_z(root: Path, *args: str) -> subprocess.Popen | None:
    return _start(root, "ls-files", "-z", *args)


def _read(proc: subprocess.Popen | None, sep: str = "\0") -> list[str] | None:
    if proc is None:
        return None
    out, _ = proc.communicate()
    if proc.returncode != 0:
        return None
    return [p for p in out.decode("utf-8", "surrogateescape").split(sep) if p]


def list_files(root: Path, stats: dict[str, tuple] | None = None) -> list[FileEntry]:
    """Tracked plus untracked-not-ignored files under `root`, minus .agentignore and skipped ones.

    `stats` (path -> (mtime_ns, ctime_ns, size, inode, blob)) remembers blob ids between runs and
    is updated in place. Git's own index can't be trusted for this: a rewrite that keeps size
    and mtime within the same second looks clean to `git ls-files -m`. ctime can't be set back,
    so with it a changed stat is a changed file. Outside a git repository, walks the tree.
    """
    ignore = root / AGENTIGNORE
    extra = [f"--exclude-from={ignore}"] if ignore.is_file() else []
    # the calls are independent: let git run them side by side
    staged = _git_z(root, "-s")
    others = _git_z(root, "--others", "--exclude-standard", *extra)
    modified = _git_z(root, "-m")
    agent_ignored = _git_z(root, "--cached", "-i", *extra) if extra else None
    index = _start(root, "rev-parse", "--git-path", "index")
    staged_lines, other_paths, changed = _read(staged), _read(others), _read(modified)
    index_out = _read(index, sep="\n")
    dropped = set(_read(agent_ignored) or ()) if agent_ignored else set()
    known: dict[str, str] = {}  # blob ids from git's index that we can trust (see _blob)
    index_time = 0
    if staged_lines is None or other_paths is None or changed is None:
        names = _walk(root)
    else:
        try:
            index_time = os.stat(root / index_out[0]).st_mtime_ns - 2_000_000_000 if index_out else 0
        except OSError:
            index_time = 0
        names = []
        for line in staged_lines:
            meta, _, path = line.partition("\t")
            if not meta.startswith(("160000", "120000")):  # submodules and symlinks: not our files
                names.append(path)
                if meta.endswith(" 0"):
                    known[path] = meta.split(" ")[1]
        for path in changed:
            known.pop(path, None)
        names = sorted(set(names) - dropped)
        names.extend(other_paths)
    stats = {} if stats is None else stats
    out = []
    base = os.path.join(root, "")
    lstat = os.lstat
    for path in names:
        seen = stats.get(path)
        if seen is not None:  # the common case, inlined: a file seen before, stat unchanged
            try:
                st = lstat(base + path)
            except OSError:
                continue
            if (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino) == seen[:4]:
                out.append(FileEntry(path, seen[4]))
                continue
        elif skipped(path):  # (a path in `stats` passed this before: the rules are constants)
            continue
        blob = _blob(root, path, stats, known.get(path), index_time)
        if blob != "":
            out.append(FileEntry(path, blob))
    out.sort(key=lambda e: e.path)
    return out


def _blob(root: Path, path: str, stats: dict[str, tuple], staged: str | None = None,
          index_time: int = 0) -> str | None:
    """The file's blob id ("" when it is gone or not a regular file, None when too big).

    `staged` is git's blob id for a file `git ls-files -m` calls clean. It is trusted only when
    the file's ctime is older than the index (less a margin): nothing has written the file since
    git last looked at it. Otherwise (and for untracked files) the content is hashed here.
    """
    try:
        st = os.lstat(os.path.join(root, path))
    except OSError:
        return ""
    if not stat.S_ISREG(st.st_mode):
        return ""
    key = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
    known = stats.get(path)
    if known is not None and known[:4] == key:
        return known[4]
    if staged is not None and st.st_ctime_ns < index_time:
        stats[path] = (*key, staged)
        return staged
    if st.st_size > MAX_FILE_BYTES:
        return None
    try:
        with open(os.path.join(root, path), "rb") as fh:
            blob = blob_id(fh.read())
    except OSError:
        return ""
    # Like git's racy-clean rule: a file touched in the last seconds may change again within
    # the same timestamp tick, so its stat is not remembered yet.
    if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > 2_000_000_000:
        stats[path] = (*key, blob)
    else:
        stats.pop(path, None)
    return blob


def _walk(root: Path) -> list[str]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")]
        for name in filenames:
            out.append(Path(dirpath, name).relative_to(root).as_posix())
    return out
