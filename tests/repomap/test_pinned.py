"""The map's content pinned to text: a speed-up must not change what the map says.

pinned/*.txt were rendered before the performance work on the parse, rank and render paths;
regenerate them only for a change that means to alter the map (and say so in its commit).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from agent.repomap import RepoMap, parse
from tests.repomap.conftest import FIXTURES, init_repo

PINNED = Path(__file__).resolve().parent / "pinned"
CASES = {
    "plain-1024": ("", [], 1024),
    "focus-512": ("fix the cart total in the Cart class", ["py/shop/cart.py"], 512),
    "all-100000": ("", [], 100_000),
}


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pinned") / "many"
    shutil.copytree(FIXTURES / "polyglot", root)
    (root / "gitignore").unlink()
    for i in range(80):  # enough files for ranking to matter and for the worker process to run
        (root / f"gen/m{i}.py").parent.mkdir(exist_ok=True)
        (root / f"gen/m{i}.py").write_text(
            f"from py.shop.cart import Cart\n\nclass C{i}(Cart):\n    def method_{i}(self, x):\n"
            f"        return self.total(x) + {i}\n")
    return init_repo(root)


@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize("case", sorted(CASES))
def test_rendered_map_is_unchanged(tree, tmp_path, monkeypatch, case, parallel):
    if parallel:
        monkeypatch.setattr(parse, "POOL_MIN_BYTES", 0)
    focus, files, budget = CASES[case]
    res = RepoMap(tree, cache_dir=tmp_path / "c").render(focus, files, budget)
    assert res.text == (PINNED / f"{case}.txt").read_text(encoding="utf-8")


def test_a_worker_dying_midway_costs_nothing_but_time(tree, tmp_path, monkeypatch):
    monkeypatch.setattr(parse, "POOL_MIN_BYTES", 0)
    spawn = parse.Parser.spawn

    # A "worker" that reads its list, writes a torn frame and exits. (It must not send a made-up
    # result for a real file: the parent rightly trusts a well-formed result, and a fabricated
    # empty one made this test fail whenever the parent read it before parsing that file itself.)
    def dying(self):
        code = "import sys; sys.stdin.buffer.read(); sys.stdout.buffer.write(b'\\0\\0\\0\\5xx')"
        proc = spawn(self)
        proc.kill()
        proc.wait()
        return parse.subprocess.Popen([sys.executable, "-c", code], stdin=parse.subprocess.PIPE,
                                     stdout=parse.subprocess.PIPE)

    monkeypatch.setattr(parse.Parser, "spawn", dying)
    res = RepoMap(tree, cache_dir=tmp_path / "c").render("", [], 100_000)
    assert res.text == (PINNED / "all-100000.txt").read_text(encoding="utf-8")
