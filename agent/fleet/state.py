"""The fleet directory: everything a fleet run knows, on disk, so that `--resume DIR` can go on.

    DIR/fleet.json        the options the fleet was started with (engine, budget, trust; env var NAMES only)
    DIR/tasks.jsonl       the task payloads, numbered
    DIR/status/N.json     task N's result line, written when it ends (atomically: a killed driver
                          leaves either the whole line or none)
    DIR/patches/N.patch   task N's combined diff
    DIR/logs/N.log        the tail of task N's session stderr
    DIR/progress.jsonl    every progress line, as printed without a terminal

A task is finished when its status file exists and the fleet did not stop or skip it (budget):
resume runs every other task again, from the start, in a fresh clone.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from agent.errors import UsageError

UNFINISHED_MARKS = ("stopped_by_fleet", "not_started")


class FleetDir:
    def __init__(self, root: Path):
        self.root = Path(root)

    @classmethod
    def create(cls, root: Path, tasks: list[dict[str, Any]], options: dict[str, Any]) -> FleetDir:
        fleet = cls(root)
        if (fleet.root / "fleet.json").exists():
            raise UsageError(f"{root}: already a fleet directory (continue it with --resume {root})")
        for sub in ("status", "patches", "logs"):
            (fleet.root / sub).mkdir(parents=True, exist_ok=True)
        fleet._write(fleet.root / "tasks.jsonl", "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in tasks))
        fleet._write(fleet.root / "fleet.json", json.dumps({**options, "created": time.time()}, indent=2) + "\n")
        return fleet

    @classmethod
    def open(cls, root: Path) -> FleetDir:
        fleet = cls(root)
        if not (fleet.root / "fleet.json").is_file():
            raise UsageError(f"{root}: not a fleet directory (no fleet.json)")
        return fleet

    def options(self) -> dict[str, Any]:
        return json.loads((self.root / "fleet.json").read_text(encoding="utf-8"))

    def tasks(self) -> list[dict[str, Any]]:
        lines = (self.root / "tasks.jsonl").read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def results(self) -> dict[int, dict[str, Any]]:
        out = {}
        for path in (self.root / "status").glob("*.json"):
            try:
                line = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                continue  # half a file cannot exist (atomic writes), but a stray one is not ours
            out[int(line["task"])] = line
        return out

    def finished(self) -> dict[int, dict[str, Any]]:
        return {n: r for n, r in self.results().items() if not any(r.get(m) for m in UNFINISHED_MARKS)}

    def record(self, line: dict[str, Any]) -> dict[str, Any]:
        """Store a task's result; the patch and log go to their own files. Returns the line without them."""
        n = int(line["task"])
        patch, log = line.pop("patch", None), line.pop("log", None)
        if patch is not None:
            self._write(self.root / "patches" / f"{n}.patch", patch)
        if log is not None:
            self._write(self.root / "logs" / f"{n}.log", log)
        self._write(self.root / "status" / f"{n}.json", json.dumps(line, ensure_ascii=False, indent=2) + "\n")
        return line

    def progress(self, event: dict[str, Any]) -> None:
        with (self.root / "progress.jsonl").open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(event, ensure_ascii=False) + "\n")

    @staticmethod
    def _write(path: Path, text: str) -> None:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
