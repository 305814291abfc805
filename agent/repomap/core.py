"""RepoMap: list, parse (cached, in parallel when it pays), rank toward the task, render."""

from __future__ import annotations

import contextlib
import marshal
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from agent.repomap.cache import ParseCache
from agent.repomap.files import FileEntry, blob_id, git_dir, list_files
from agent.repomap.rank import Graph
from agent.repomap.render import FileView, count_tokens, fit, tokenizer_name
from agent.repomap.symbols import MAX_PARSE_BYTES, extract

# Below this many bytes to parse, a worker's start-up (~0.15 s to start Python and import
# tree-sitter) costs more than the second core saves; above it, parsing is the bulk of a cold map.
POOL_MIN_BYTES = 2 * 1024 * 1024
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PATHISH = re.compile(r"[\w.\-/]*[/.][\w.\-/]*\w")


@dataclass
class MapResult:
    text: str
    files: int  # files shown in the map
    symbols: int  # definitions shown in the map
    tokens: int
    total_files: int = 0  # files the repository map covers
    total_symbols: int = 0
    budget_tokens: int = 0
    tokenizer: str = ""
    shown: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "files": self.shown,
            "shown_files": self.files,
            "shown_symbols": self.symbols,
            "total_files": self.total_files,
            "total_symbols": self.total_symbols,
            "tokens": self.tokens,
            "budget_tokens": self.budget_tokens,
            "tokenizer": self.tokenizer,
        }


def parse_files(root: str, items: list[tuple[str, str | None]]) -> list[tuple[str, str | None, tuple]]:
    """(path, blob of what was read, record) per (path, expected blob). Runs in worker processes."""
    out = []
    for path, blob in items:
        full = os.path.join(root, path)
        try:
            if os.path.getsize(full) > MAX_PARSE_BYTES:
                out.append((path, blob, ("huge", [], {})))
                continue
            with open(full, "rb") as fh:
                data = fh.read()
        except OSError:
            continue  # vanished since the listing
        # key by what we actually read: a file edited after `git ls-files` must not poison the cache
        out.append((path, blob_id(data), extract(path, data)))
    return out


class RepoMap:
    """A map of the repository at `root`. Cheap to construct: nothing is read until needed.

    render() and warm() may be called from different threads; one waits for the other.
    """

    def __init__(self, root: Path, cache_dir: Path | None = None):
        self.root = Path(root).resolve()
        self._cache_dir = cache_dir
        self._cache: ParseCache | None = None
        self._lock = threading.Lock()
        self._stats: dict[str, tuple] | None = None

    # -- parsing -------------------------------------------------------------------------
    def _parse_cache(self) -> ParseCache:
        if self._cache is None:
            directory = self._cache_dir
            if directory is None:
                common = git_dir(self.root)
                directory = common / "agent" / "cache" / "repomap" if common else None
            self._cache = ParseCache(Path(directory) if directory else None)
        return self._cache

    def _scan(self) -> list[tuple[str, tuple]]:
        """Every mapped file with its record, parsing only content the cache has not seen."""
        cache = self._parse_cache()
        if self._stats is None:
            self._stats = cache.load_stats(self.root)
        # No stats remembered for this tree: most likely a cold map. Start a worker now, so that
        # its start-up overlaps the listing rather than following it.
        early = self._spawn() if not self._stats and _workers() else None
        before = dict(self._stats)
        entries = list_files(self.root, self._stats)
        if self._stats != before:
            cache.save_stats(self.root, self._stats)
        records: dict[str, tuple] = {}
        todo: list[FileEntry] = []
        for e in entries:
            rec = cache.get(e.blob) if e.blob else ("huge", [], {})
            if rec is None:
                todo.append(e)
            else:
                records[e.path] = rec
        for path, blob, rec in self._parse(todo, early):
            records[path] = rec
            if blob:
                cache.put(blob, rec)
        cache.flush()
        return [(e.path, records[e.path]) for e in entries if e.path in records]

    def _parse(self, todo: list[FileEntry], early: subprocess.Popen | None = None) -> list[tuple]:
        items = [(e.path, e.blob) for e in todo]
        workers = _workers()
        if workers < 1 or len(items) < 64 or self._bytes(items) < POOL_MIN_BYTES:
            if early is not None:
                early.kill()  # not worth it after all
                early.wait()
            return parse_files(str(self.root), items)
        # Workers take their shares biggest file first and stream a result per file; this process
        # takes files from the small end of whichever share has most left, until the two meet.
        # Whatever the machine's load, all finish within about one small file of each other.
        sized = sorted(((self._size(p), p, b) for p, b in items), reverse=True)
        shares: list[list] = [[] for _ in range(workers)]
        loads = [0] * workers
        for size, path, blob in sized:
            k = loads.index(min(loads))
            shares[k].append((path, blob))
            loads[k] += size + 2048  # per-file overhead
        streams = [_Stream(self._start_worker(share, early if n == 0 else None))
                   for n, share in enumerate(shares)]
        tails = [len(share) for share in shares]  # this process has parsed share[tail:]
        out = []
        while True:
            left = [tail - st.done for tail, st in zip(tails, streams, strict=True)]
            k = left.index(max(left))
            if left[k] <= 0:
                break
            tails[k] -= 1
            out.extend(parse_files(str(self.root), [shares[k][tails[k]]]))
        for st, tail in zip(streams, tails, strict=True):
            out.extend(st.stop(tail))
        return out

    def _spawn(self) -> subprocess.Popen | None:
        env = dict(os.environ)
        here = str(Path(__file__).resolve().parents[2])  # so a checkout without install works
        env["PYTHONPATH"] = here + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        try:
            return subprocess.Popen([sys.executable, "-m", "agent.repomap.worker"], env=env,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        except OSError:
            return None

    def _start_worker(self, items: list, proc: subprocess.Popen | None = None) -> subprocess.Popen | None:
        proc = proc or self._spawn()
        if proc is None:
            return None
        # The payload outgrows the pipe buffer, and the worker reads it only once it has started
        # and imported tree-sitter: written from here, this process would sit idle meanwhile.
        threading.Thread(target=_send, args=(proc, marshal.dumps((str(self.root), items))),
                         name="repomap-send", daemon=True).start()
        return proc

    def _size(self, path: str) -> int:
        try:
            return os.path.getsize(self.root / path)
        except OSError:
            return 0

    def _bytes(self, items: list) -> int:
        total = 0
        for path, _ in items:
            total += self._size(path)
            if total >= POOL_MIN_BYTES:
                break
        return total

    def warm(self) -> None:
        """Parse and cache everything now (meant for a background thread at session start)."""
        with self._lock:
            self._scan()
            with contextlib.suppress(ImportError):
                import numpy  # noqa: F401  (so later rankings can use it without the import delay)

    # -- ranking and rendering -----------------------------------------------------------
    def render(self, focus_text: str = "", focus_files: Iterable[str] = (),
               budget_tokens: int = 2048) -> MapResult:
        with self._lock:
            scanned = self._scan()
        paths = [p for p, _ in scanned]
        index = {p: i for i, p in enumerate(paths)}
        definers: dict[str, list[int]] = {}
        for i, (_, rec) in enumerate(scanned):
            for name in {d[0] for d in rec[1] if d[1] != "impl"}:
                definers.setdefault(name, []).append(i)

        words = set(_WORD.findall(focus_text or ""))
        mentioned = frozenset(w for w in words if w in definers and len(w) > 2)
        first = [index[p] for p in _normalise(focus_files, self.root) if p in index]
        first += [i for i in _named_paths(focus_text or "", paths) if i not in first]
        personal: dict[int, float] = dict.fromkeys(first, 1.0)
        lowered = {w.lower() for w in words if len(w) > 2}
        if lowered:
            for i, p in enumerate(paths):
                if _stem(p).lower() in lowered:
                    personal[i] = max(personal.get(i, 0.0), 0.5)
        for name in mentioned:
            for i in definers[name]:
                personal[i] = max(personal.get(i, 0.0), 0.5 / len(definers[name]) ** 0.5)

        graph = Graph(len(paths), [rec[2] for _, rec in scanned], definers, mentioned)
        ranks, ident_rank = graph.pagerank(personal or None)
        by_ident = dict(zip(graph.idents, ident_rank, strict=True))
        top = max(ranks, default=1.0) or 1.0
        order = sorted(range(len(paths)), key=lambda i: (-ranks[i], not scanned[i][1][1], paths[i]))
        pinned = set(first)
        order = first + [i for i in order if i not in pinned]

        def views():  # lazily: fit() stops after a dozen files, scoring all would be wasted
            for i in order:
                status, defs, _ = scanned[i][1]
                if status in ("ok", "text"):  # not binary, huge, generated
                    scores = [by_ident.get(d[0], 0.0) + (top if d[0] in mentioned else 0.0) for d in defs]
                    yield FileView(paths[i], ranks[i], defs, scores)

        text, shown = fit(views(), budget_tokens, pinned=len(first))
        mapped = [rec for _, rec in scanned if rec[0] in ("ok", "text")]
        return MapResult(
            text=text,
            files=len(shown),
            symbols=sum(len(keep) for _, keep in shown),
            tokens=count_tokens(text),
            total_files=len(mapped),
            total_symbols=sum(len(rec[1]) for rec in mapped),
            budget_tokens=budget_tokens,
            tokenizer=tokenizer_name(),
            shown=[{
                "path": v.path,
                "rank": round(v.rank, 6),
                "symbols": [{"name": v.defs[k][0], "kind": v.defs[k][1], "line": v.defs[k][2],
                             "signature": v.defs[k][4]} for k in keep],
            } for v, keep in shown],
        )


class _Stream:
    """A worker's results as they arrive: one length-prefixed marshal list per file, in order.

    `done` only grows; a worker that dies or garbles its output stops it, and this process then
    parses the rest of that share itself.
    """

    def __init__(self, proc: subprocess.Popen | None):
        self.proc = proc
        self.results: list[list] = []
        self.thread = threading.Thread(target=self._read, name="repomap-read", daemon=True)
        if proc is not None:
            self.thread.start()

    @property
    def done(self) -> int:
        return len(self.results)

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        pipe = self.proc.stdout
        try:
            while len(head := pipe.read(4)) == 4:
                size = int.from_bytes(head, "big")
                data = pipe.read(size)
                if len(data) != size:
                    return
                result = marshal.loads(data)
                if not isinstance(result, list):
                    return
                self.results.append(result)
        except (OSError, EOFError, ValueError, TypeError):
            return

    def stop(self, upto: int) -> list:
        """The results for the first `upto` files (all done by now); the worker is ended."""
        if self.proc is not None:
            with contextlib.suppress(OSError):
                self.proc.kill()  # it may be parsing files this process has already done
            self.proc.wait()
            self.thread.join()
            with contextlib.suppress(OSError):
                self.proc.stdout.close()
        return [r for result in self.results[:upto] for r in result]


def _workers() -> int:
    return min(os.cpu_count() or 1, 8) - 1  # this process parses a share too


def _send(proc: subprocess.Popen, payload: bytes) -> None:
    assert proc.stdin is not None
    with contextlib.suppress(OSError):  # the worker died: its share is parsed here
        proc.stdin.write(payload)
    with contextlib.suppress(OSError):
        proc.stdin.close()


def _stem(path: str) -> str:
    """PurePosixPath(path).stem, without building a path object per file."""
    name = path[path.rfind("/") + 1 :]
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def _normalise(focus_files: Iterable[str], root: Path) -> list[str]:
    out = []
    for f in focus_files or ():
        p = Path(f)
        if p.is_absolute():
            try:
                p = p.resolve().relative_to(root)
            except ValueError:
                continue
        s = PurePosixPath(p.as_posix()).as_posix()
        out.append(s[2:] if s.startswith("./") else s)
    return list(dict.fromkeys(out))


def _named_paths(text: str, paths: list[str]) -> list[int]:
    """Files the text names by path or file name (`agent/x.py`, `x.py`), in order of mention."""
    out: list[int] = []
    for token in _PATHISH.findall(text):
        token = token.strip("./") if token.startswith("./") else token.rstrip(".")
        if not token:
            continue
        for i, p in enumerate(paths):
            if (p == token or p.endswith("/" + token)) and i not in out:
                out.append(i)
    return out
