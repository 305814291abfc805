"""Corpus for the patch benchmark: real before/after file pairs from two releases of PyPI sdists.

Sdists are fetched with `pip download --no-binary :all: --no-deps` into bench/.cache/sdists and
unpacked into bench/.cache/patch-src; each file that exists in both releases and differs is a pair.
"""

from __future__ import annotations

import difflib
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
SDISTS = CACHE / "sdists"
SRC = CACHE / "patch-src"

# (package, older release, newer release)
RELEASES = [
    ("requests", "2.31.0", "2.32.3"),
    ("click", "8.1.3", "8.1.7"),
    ("attrs", "23.1.0", "24.2.0"),
    ("jinja2", "3.1.2", "3.1.4"),
    ("packaging", "23.2", "24.1"),
    ("rich", "13.6.0", "13.7.1"),
    ("flask", "2.3.3", "3.0.3"),
    ("pluggy", "1.3.0", "1.5.0"),
]
TEXT_SUFFIXES = {".py", ".pyi", ".rst", ".md", ".txt", ".toml", ".cfg", ".ini", ".c", ".h", ".js", ".css",
                 ".html", ".yml", ".yaml", ".json", ".in"}
MAX_BYTES = 150_000


@dataclass(frozen=True)
class Pair:
    package: str
    path: str  # relative path inside the project
    before: str
    after: str


def _sdist(name: str, version: str) -> Path:
    SDISTS.mkdir(parents=True, exist_ok=True)
    for p in SDISTS.iterdir():
        stem = p.name.lower().replace("_", "-")
        if stem.startswith(f"{name.lower()}-{version}.") and p.name.endswith((".tar.gz", ".zip")):
            return p
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps",
                    f"{name}=={version}", "-d", str(SDISTS)], check=True, capture_output=True)
    return _sdist(name, version)


def _unpack(archive: Path) -> Path:
    dest = SRC / archive.name.split(".tar")[0].removesuffix(".zip")
    if not dest.exists():
        tmp = dest.with_suffix(".part")
        tmp.mkdir(parents=True, exist_ok=True)
        if archive.name.endswith(".zip"):
            with zipfile.ZipFile(archive) as z:
                z.extractall(tmp)
        else:
            with tarfile.open(archive) as t:
                t.extractall(tmp, filter="data")
        tmp.rename(dest)
    tops = [p for p in dest.iterdir() if p.is_dir()]
    return tops[0] if len(tops) == 1 else dest


def _texts(top: Path) -> dict[str, str]:
    out = {}
    for p in top.rglob("*"):
        if not p.is_file() or p.suffix not in TEXT_SUFFIXES or p.stat().st_size > MAX_BYTES:
            continue
        rel = p.relative_to(top).as_posix()
        if rel.startswith("PKG-INFO") or "egg-info" in rel:
            continue
        try:
            out[rel] = p.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue
    return out


def load_pairs() -> list[Pair]:
    pairs = []
    for name, a, b in RELEASES:
        old, new = _texts(_unpack(_sdist(name, a))), _texts(_unpack(_sdist(name, b)))
        for rel in sorted(set(old) & set(new)):
            before, after = old[rel], new[rel]
            if before == after or "\r" in before or "\r" in after:
                continue
            pairs.append(Pair(name, rel, before, after))
    return pairs


def unified(before: str, after: str, path: str, context: int = 3) -> str:
    """A well-formed unified diff, with the '\\ No newline at end of file' markers difflib omits."""
    out = [f"--- a/{path}\n", f"+++ b/{path}\n"]
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True), n=context)
    for i, line in enumerate(lines):
        if i < 2:
            continue  # difflib's own ---/+++ lines
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)
