"""Fixture repositories for the repo map: copied from fixtures/repomap, then `git init`ed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers_git import git

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "repomap"


def init_repo(root: Path) -> Path:
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test Person")
    git(root, "config", "user.email", "person@example.com")
    git(root, "config", "commit.gpgsign", "false")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root.resolve()


@pytest.fixture
def polyglot(tmp_path: Path) -> Path:
    """The many-language fixture, plus what the map must leave out, committed or not."""
    root = tmp_path / "polyglot"
    shutil.copytree(FIXTURES / "polyglot", root)
    (root / "gitignore").rename(root / ".gitignore")  # stored renamed so it cannot act on our repo
    extra = {
        "node_modules/left-pad/index.js": "module.exports = function leftPad(s) { return s; }\n",
        "web/dist/app.js": "function bundled() {}\n",  # ignored by .gitignore
        "debug.log": "def not_code(): pass\n",  # ignored by .gitignore
        "vendor/lib/helper.py": "def vendored_helper():\n    pass\n",
    }
    for rel, text in extra.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / "tools").mkdir()
    (root / "tools" / "blob.bin.py").write_bytes(b"def looks_like_python():\n\x00\x01\x02 binary\n")
    (root / "big.py").write_text("def huge_one():\n    pass\n" + "x = 1\n" * 200_000)
    init_repo(root)
    (root / "py" / "shop" / "untracked.py").write_text("def brand_new(thing):\n    return thing\n")
    return root


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"
