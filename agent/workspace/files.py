"""The model's read tools over a worktree: list_files, read_file, search_code.

Answers are text for the model, capped so one call cannot flood the context; every cap says
what was left out and how to ask for the rest. read_file streams (a 1 GB file costs what is
shown, not 1 GB of memory); read_file and search_code stop after TIME_LIMIT seconds
(AGENT_TOOL_TIME_LIMIT) and say so. Mistakes (missing file, bad regex) raise
ToolError, whose message goes back to the model.
"""

from __future__ import annotations

import os
import re
import time
from functools import lru_cache
from pathlib import Path

from agent.errors import ToolError
from agent.workspace.git import run_git, zsplit
from agent.workspace.paths import confine, relative

MAX_LIST = 500
MAX_READ_LINES = 2000
MAX_READ_BYTES = 100_000
MAX_LINE_CHARS = 2000  # per line in read_file (minified files)
MAX_MATCHES = 200
MAX_MATCH_CHARS = 240  # per line in search_code
MAX_SEARCH_FILE = 2_000_000  # bigger files are skipped by search_code (generated/vendored data)
MAX_COUNT_BYTES = 20_000_000  # read_file counts the lines of files up to this size only
TIME_LIMIT = 20.0  # seconds per read or search call (AGENT_TOOL_TIME_LIMIT)
_SNIFF = 8192


def tool_time_limit() -> float:
    try:
        return float(os.environ.get("AGENT_TOOL_TIME_LIMIT") or TIME_LIMIT)
    except ValueError:
        return TIME_LIMIT


def repo_files(root: Path, under: str | None = None) -> list[str]:
    """Tracked + untracked-not-ignored files that exist now, repo-relative, sorted."""
    args = ["ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    if under:
        args += ["--", under]
    names = zsplit(run_git(root, *args).stdout)
    # The index still lists files deleted in the working tree; the model must not see them.
    return sorted({n for n in names if os.path.lexists(os.path.join(root, n))})


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """Glob -> regex: `*` and `?` stay within one path segment, `**/` spans any number of them."""
    i, parts = 0, []
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            parts.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            parts.append(".*")
            i += 2
            continue
        if c == "*":
            parts.append("[^/]*")
        elif c == "?":
            parts.append("[^/]")
        elif c == "[":
            j = i + 1 + (pattern[i + 1:i + 2] == "!")
            j += pattern[j:j + 1] == "]"  # a leading ']' is a literal member
            end = pattern.find("]", j)
            if end == -1:
                parts.append(re.escape(c))
            else:
                body = pattern[i + 1:end]
                body = ("^" + body[1:]) if body.startswith("!") else body
                parts.append("[" + body.replace("\\", "\\\\") + "]")
                i = end + 1
                continue
        else:
            parts.append(re.escape(c))
        i += 1
    try:
        return re.compile("".join(parts) + r"\Z")
    except re.error as exc:
        raise ToolError(f"invalid glob pattern {pattern!r}: {exc}") from None


def _matches(name: str, pattern: str, base: str) -> bool:
    if "/" not in pattern:
        return bool(_glob_regex(pattern).match(name.rsplit("/", 1)[-1]))
    rx = _glob_regex(pattern.lstrip("/"))
    if rx.match(name):
        return True
    # A pattern relative to the directory being listed ('tests/*.py' under path='src').
    return bool(base) and name.startswith(base + "/") and bool(rx.match(name[len(base) + 1:]))


def _scope(root: Path, path: str | None) -> tuple[str, Path | None]:
    """Confine `path`; return (repo-relative posix path or '' for the root, resolved path)."""
    if path is None or str(path).strip() in ("", ".", "./"):
        return "", None
    target = confine(root, path)
    rel = relative(root, target)
    return ("" if rel == "." else rel), target


def list_files(root: Path, path: str | None = None, pattern: str | None = None) -> str:
    base, target = _scope(root, path)
    if target is not None and not target.exists():
        raise ToolError(f"{path}: no such file or directory")
    names = repo_files(root, base or None)
    if pattern:
        names = [n for n in names if _matches(n, pattern, base)]
    where = f" under {base}/" if base else ""
    if not names:
        what = f" matching {pattern!r}" if pattern else ""
        return f"no files{what}{where}"
    shown = names[:MAX_LIST]
    text = "\n".join(shown)
    if len(names) > MAX_LIST:
        text += (f"\n[{len(names) - MAX_LIST} more files not shown ({len(names)} in all){where}; "
                 "narrow with a path (a subdirectory) or a pattern such as '*.py']")
    return text


def _is_binary(data: bytes) -> bool:
    return b"\0" in data[:_SNIFF]


def read_file(root: Path, path: str, start_line: int | None = None, end_line: int | None = None) -> str:
    """Numbered lines of a text file, read as a stream: memory stays small whatever the file's size
    (a 1 GB log is read up to what is shown; its lines are counted only up to MAX_COUNT_BYTES)."""
    target = confine(root, path)
    rel = relative(root, target)
    if target.is_dir():
        raise ToolError(f"{path}: is a directory; use list_files to see its files")
    try:
        fh = target.open("rb")
    except FileNotFoundError:
        raise ToolError(f"{path}: no such file") from None
    except OSError as exc:
        raise ToolError(f"{path}: cannot read: {exc.strerror}") from None
    with fh:
        size = os.fstat(fh.fileno()).st_size
        if _is_binary(fh.read(_SNIFF)):
            raise ToolError(f"{path}: binary file ({size} bytes); only text files can be read")
        fh.seek(0)
        return _numbered(fh, path, rel, size, max(1, start_line or 1), end_line)


def _numbered(fh, path: str, rel: str, size: int, start: int, end_line: int | None) -> str:
    deadline = time.monotonic() + tool_time_limit()
    rows: list[str] = []
    shown = 0  # characters in rows
    n = last = 0
    width = max(4, len(str(end_line or 0)))
    full = False  # a cap stopped the reading before end_line or the end of the file
    past = False  # the line after end_line was read (and not shown)
    for n, text in enumerate(_lines(fh, deadline), 1):
        if n < start:
            continue
        if end_line is not None and n > end_line:
            past = True
            break
        row = f"{n:>{max(width, len(str(n)))}}| {text}"
        if rows and (len(rows) >= MAX_READ_LINES or shown + len(row) + 1 > MAX_READ_BYTES):
            full = True
            break
        rows.append(row)
        shown += len(row) + 1
        last = n
    at_end = not full and not past
    total: int | None = n if at_end else _count_lines(fh, n, size, deadline)
    n = n - 1 if past else n
    if n == 0 and at_end:
        return f"({rel} is empty)"
    if not rows:
        if end_line is not None and end_line < start:
            raise ToolError(f"{path}: end_line {end_line} is before start_line {start}")
        raise ToolError(f"{path}: start_line {start} is past the end of the file ({n} lines)")
    of = f"{total}" if total is not None else f"? (the file is {size / 1_000_000:.1f} MB; not counted)"
    if full or (total is not None and last < total and end_line is None):
        rows.append(f"[showing lines {start}-{last} of {of}; ask for start_line={last + 1} to read on]")
    elif start > 1 or total is None or last < total:
        rows.append(f"[lines {start}-{last} of {of}]")
    return "\n".join(rows)


def _lines(fh, deadline: float):
    """Decoded lines without their line ends; a line over MAX_LINE_CHARS is cut (its rest is skipped
    unread into memory). Raises ToolError when the tool's time limit passes."""
    limit = MAX_LINE_CHARS * 4  # bytes: room for the widest UTF-8
    while True:
        if time.monotonic() > deadline:
            raise ToolError(f"reading took over {tool_time_limit():g} s; ask for a line range nearer the start")
        raw = fh.readline(limit)
        if not raw:
            return
        more = 0
        if not raw.endswith(b"\n") and len(raw) == limit:
            while True:  # skip the rest of an enormous line in pieces
                piece = fh.readline(1 << 20)
                more += len(piece.rstrip(b"\r\n"))
                if not piece or piece.endswith(b"\n"):
                    break
        text = raw.decode("utf-8", "replace").rstrip("\r\n")
        if len(text) > MAX_LINE_CHARS or more:
            extra = len(text) - MAX_LINE_CHARS + more
            text = text[:MAX_LINE_CHARS] + f" … [{max(extra, 1)} more characters]"
        yield text


def _count_lines(fh, seen: int, size: int, deadline: float) -> int | None:
    """Lines in the file (`seen` read already), or None when it is too big to count cheaply."""
    if size > MAX_COUNT_BYTES:
        return None
    count, tail = seen, b"\n"
    while chunk := fh.read(1 << 20):
        if time.monotonic() > deadline:
            return None
        count += chunk.count(b"\n")
        tail = chunk
    return count + (0 if tail.endswith(b"\n") else 1)


def search_code(root: Path, pattern: str, path: str | None = None) -> str:
    if not pattern:
        raise ToolError("empty search pattern")
    try:
        rx = re.compile(pattern)
    except re.error as exc:
        raise ToolError(f"invalid regular expression {pattern!r}: {exc}") from None
    base, target = _scope(root, path)
    if target is not None and not target.exists():
        raise ToolError(f"{path}: no such file or directory")
    hits: list[str] = []
    total = 0
    files_hit = 0
    skipped: list[str] = []
    deadline = time.monotonic() + tool_time_limit()
    timed_out = False
    for name in repo_files(root, base or None):
        if time.monotonic() > deadline:
            timed_out = True
            break
        full = root / name
        if full.is_symlink():  # a symlink may point outside the worktree or into .git
            try:
                confine(root, name)
            except ToolError:
                continue
        try:
            if full.stat().st_size > MAX_SEARCH_FILE:
                skipped.append(name)
                continue
            data = full.read_bytes()
        except OSError:
            continue  # directories (submodules), dangling symlinks, races
        if _is_binary(data):
            continue
        text = data.decode("utf-8", "replace")
        if not rx.search(text):  # cheap whole-file test first; most files don't match
            continue
        files_hit += 1
        for lineno, line in enumerate(text.splitlines(), 1):
            m = rx.search(line)
            if not m:
                continue
            total += 1
            if len(hits) < MAX_MATCHES:
                hits.append(f"{name}:{lineno}:{_trim(line, m)}")
    where = f" under {base}" if base else ""
    if not hits:
        text = f"no matches for {pattern!r}{where}"
        if files_hit:  # matched only across lines
            text += " on a single line (the pattern matches only across line breaks)"
    else:
        text = "\n".join(hits)
        if total > len(hits):
            text += (f"\n[{total - len(hits)} more matches not shown ({total} in {files_hit} files); "
                     "narrow with a path or a more specific pattern]")
    if timed_out:
        text += (f"\n[stopped after {tool_time_limit():g} s: not every file was searched; "
                 "narrow with a path or a simpler pattern]")
    if skipped:
        text += f"\n[skipped {len(skipped)} files over {MAX_SEARCH_FILE // 1_000_000} MB: {', '.join(skipped[:5])}]"
    return text


def _trim(line: str, m: re.Match[str]) -> str:
    line = line.rstrip()
    if len(line) <= MAX_MATCH_CHARS:
        return line
    start = max(0, min(m.start() - 40, len(line) - MAX_MATCH_CHARS))
    piece = line[start:start + MAX_MATCH_CHARS]
    return ("…" if start else "") + piece + ("…" if start + MAX_MATCH_CHARS < len(line) else "")
