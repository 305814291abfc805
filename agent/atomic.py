"""Atomic file writes: a reader (another process, a resume after kill -9) sees the old file or
the new one, never half of one. The one implementation for state.json, meta.json, the trust
store, the repo-map cache and the files the patch engine writes."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_bytes(path: Path, data: bytes, *, mode: int | None = None, durable: bool = False) -> None:
    """Write `data` to a temporary file beside `path`, then rename it over `path`.

    `mode` sets the file's permission bits (default: 0o600 from mkstemp, private to the user);
    `durable` fsyncs before the rename, for files a crash must not lose (session state)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_json(path: Path, data: Any, *, indent: int | None = None, durable: bool = False) -> None:
    """`data` as JSON (UTF-8), atomically; the parent directory is created if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, ensure_ascii=False, default=str, indent=indent, sort_keys=indent is not None)
    write_bytes(path, text.encode("utf-8"), durable=durable)
