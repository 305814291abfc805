"""Parse results on disk, keyed by git blob id: same content, same record, whatever the mtime.

Records live in 16 shard files (by the blob id's first hex digit) so a warm start is 16 reads
rather than thousands, and a change rewrites only the shards it touches. Each shard is written
to a temporary file and moved into place with os.replace, so a reader never sees half a file and
concurrent sessions cannot corrupt one another: at worst the last writer drops the other's newest
entries, which are re-parsed next time. Before writing, the shard on disk is re-read and merged,
which makes even that rare. A shard that fails its checksum or does not decode is ignored
(and rewritten), never fatal.

Format: MAGIC, CRC32 of the payload (4 bytes, big-endian), marshal of {blob: (day, record)}.
marshal is the fastest decoder of plain tuples/dicts/str in the standard library; the checksum
keeps it from ever seeing a damaged payload. `day` is when the entry was last used, so entries
no session has needed for PRUNE_DAYS are dropped instead of growing the cache forever.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import time
import zlib
from pathlib import Path

from agent.atomic import write_bytes
from agent.repomap.symbols import EXTRACTOR_VERSION

MAGIC = b"AGRM1\n"
PRUNE_DAYS = 30


def _today() -> int:
    return int(time.time() // 86400)


class ParseCache:
    def __init__(self, directory: Path | None):
        # the extractor version is part of the path: new queries never read old records
        self.dir = directory / f"v{EXTRACTOR_VERSION}" if directory else None
        self._shards: dict[str, dict[str, tuple]] = {}
        self._dirty: set[str] = set()
        self._today = _today()

    def _shard(self, key: str) -> dict[str, tuple]:
        shard = self._shards.get(key)
        if shard is None:
            shard = self._shards[key] = self._load(key)
        return shard

    def _path(self, key: str) -> Path:
        assert self.dir is not None
        return self.dir / f"{key}.bin"

    def _load(self, key: str) -> dict[str, tuple]:
        return read_dict(self._path(key)) if self.dir is not None else {}

    def get(self, blob: str) -> tuple | None:
        key = blob[:1]
        entry = self._shard(key).get(blob)
        if entry is None:
            return None
        try:
            day, record = entry
        except (TypeError, ValueError):
            return None
        if day != self._today:  # refresh the entry's last use, at most once a day
            self._shards[key][blob] = (self._today, record)
            self._dirty.add(key)
        return record

    def put(self, blob: str, record: tuple) -> None:
        key = blob[:1]
        self._shard(key)[blob] = (self._today, record)
        self._dirty.add(key)

    def flush(self) -> None:
        """Write changed shards; failures (read-only disk, full disk) only cost a re-parse later."""
        if self.dir is None or not self._dirty:
            return
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError:
            return
        oldest = self._today - PRUNE_DAYS
        for key in sorted(self._dirty):
            merged = self._load(key)  # another session may have added entries since we read
            merged.update(self._shards[key])
            merged = {b: e for b, e in merged.items() if isinstance(e, tuple) and e and e[0] >= oldest}
            self._shards[key] = merged
            write_dict(self._path(key), merged)
        self._dirty.clear()

    # -- the stat cache: path -> (mtime_ns, ctime_ns, size, inode, blob), one per worktree --
    def _stats_path(self, root: Path) -> Path | None:
        if self.dir is None:
            return None
        return self.dir / f"stat-{hashlib.sha1(str(root).encode()).hexdigest()[:16]}.bin"

    def load_stats(self, root: Path) -> dict[str, tuple]:
        path = self._stats_path(root)
        return read_dict(path) if path else {}

    def save_stats(self, root: Path, stats: dict[str, tuple]) -> None:
        path = self._stats_path(root)
        if path is not None:
            with contextlib.suppress(OSError):
                path.parent.mkdir(parents=True, exist_ok=True)
                write_dict(path, stats)


class DerivedCache:
    """Values derived from a whole tree (its index, a focus's ranks and maps), one file per key.

    Keys are content hashes (index.tree_key plus the focus), so an entry is never stale, only
    unused: each kind keeps its `keep` most recently written entries and drops the rest.
    """

    def __init__(self, directory: Path | None, keep: dict[str, int]):
        self.dir = directory
        self.keep = keep

    def get(self, kind: str, key: str) -> dict | None:
        if self.dir is None:
            return None
        value = read_dict(self.dir / kind / f"{key}.bin")
        return value or None

    def put(self, kind: str, key: str, value: dict) -> None:
        if self.dir is None:
            return
        folder = self.dir / kind
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return
        write_dict(folder / f"{key}.bin", value)
        with contextlib.suppress(OSError):
            entries = sorted(folder.glob("*.bin"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
            for old in entries[self.keep.get(kind, 8) :]:
                old.unlink()


def read_dict(path: Path) -> dict:
    """A dict written by write_dict, or {} when missing, damaged or not ours."""
    try:
        data = path.read_bytes()
    except OSError:
        return {}
    head = len(MAGIC)
    if data[:head] != MAGIC or len(data) < head + 4:
        return {}
    payload = data[head + 4 :]
    if zlib.crc32(payload) != int.from_bytes(data[head : head + 4], "big"):
        return {}
    try:
        loaded = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def write_dict(path: Path, value: dict) -> None:
    """Write atomically: a temporary file in the same directory, then os.replace."""
    payload = marshal.dumps(value)
    data = MAGIC + zlib.crc32(payload).to_bytes(4, "big") + payload
    with contextlib.suppress(OSError):  # a cache that cannot be written is only slower next time
        write_bytes(path, data)
