"""Parsing many files: in this process, or shared with worker processes when it pays.

Workers are plain subprocesses (worker.py) that stream one result per file; this process parses
a share too and steals from the workers' queues, so all finish together under any load.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import subprocess
import sys
import threading
from pathlib import Path

from agent.repomap.files import FileEntry, blob_id
from agent.repomap.symbols import MAX_PARSE_BYTES, extract

# Below this many bytes to parse, a worker's start-up (~0.15 s to start Python and import
# tree-sitter) costs more than the second core saves; above it, parsing is the bulk of a cold map.
POOL_MIN_BYTES = 2 * 1024 * 1024


def parse_files(root: str, items: list[tuple[str, str | None]]) -> list[tuple[str, str | None, tuple]]:
    """(path, blob of what was read, record) per (path, expected blob). Runs in worker processes."""
    out = []
    for path, blob in items:
        full = os.path.join(root, path)
        try:
            if os.path.getsize(full) > MAX_PARSE_BYTES:
                out.append((path, blob, ("huge", [], {}, [])))
                continue
            with open(full, "rb") as fh:
                data = fh.read()
        except OSError:
            continue  # vanished since the listing
        # key by what we actually read: a file edited after `git ls-files` must not poison the cache
        out.append((path, blob_id(data), extract(path, data)))
    return out


class Parser:
    """Parses files of the tree at `root`; counts what it parsed (`parsed`), for tests."""

    def __init__(self, root: Path):
        self.root = root
        self.parsed = 0

    def parse(self, todo: list[FileEntry], early: subprocess.Popen | None = None) -> list[tuple]:
        items = [(e.path, e.blob) for e in todo]
        self.parsed += len(items)
        n_workers = workers()
        if n_workers < 1 or len(items) < 64 or self._bytes(items) < POOL_MIN_BYTES:
            if early is not None:
                early.kill()  # not worth it after all
                early.wait()
            return parse_files(str(self.root), items)
        # Workers take their shares biggest file first and stream a result per file; this process
        # takes files from the small end of whichever share has most left, until the two meet.
        # Whatever the machine's load, all finish within about one small file of each other.
        sized = sorted(((self._size(p), p, b) for p, b in items), reverse=True)
        shares: list[list] = [[] for _ in range(n_workers)]
        loads = [0] * n_workers
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

    def spawn(self) -> subprocess.Popen | None:
        env = dict(os.environ)
        here = str(Path(__file__).resolve().parents[2])  # so a checkout without install works
        env["PYTHONPATH"] = here + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        try:
            return subprocess.Popen([sys.executable, "-m", "agent.repomap.worker"], env=env,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        except OSError:
            return None

    def _start_worker(self, items: list, proc: subprocess.Popen | None = None) -> subprocess.Popen | None:
        proc = proc or self.spawn()
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


def workers() -> int:
    return min(os.cpu_count() or 1, 8) - 1  # this process parses a share too


def _send(proc: subprocess.Popen, payload: bytes) -> None:
    assert proc.stdin is not None
    with contextlib.suppress(OSError):  # the worker died: its share is parsed here
        proc.stdin.write(payload)
    with contextlib.suppress(OSError):
        proc.stdin.close()
