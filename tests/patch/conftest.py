from __future__ import annotations

import difflib
from pathlib import Path

import pytest

# A real-looking module the table tests cut hunks from.
MODULE = '''import os
import sys


def load(path):
    """Read a config file and return its lines."""
    with open(path) as f:
        data = f.read()
    return data.splitlines()


class Config:
    def __init__(self, path):
        self.path = path
        self.items = {}

    def get(self, key, default=None):
        # Look the key up; fall back to the default.
        return self.items.get(key, default)

    def set(self, key, value):
        self.items[key] = value
        return value


def main():
    cfg = Config(sys.argv[1])
    print(cfg.get("name", "world"))
'''


def udiff(before: str, after: str, path: str = "mod.py", n: int = 3) -> str:
    out = [f"--- a/{path}\n", f"+++ b/{path}\n"]
    for i, line in enumerate(difflib.unified_diff(before.splitlines(True), after.splitlines(True), n=n)):
        if i >= 2:
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "mod.py").write_text(MODULE)
    return tmp_path
