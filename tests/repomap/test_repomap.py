"""The repo map as a user sees it: what is listed, in which order, within which budget, how fast
it comes back after a change, and that a damaged cache or a busy neighbour never breaks it."""

from __future__ import annotations

import os
import shutil
import threading

import pytest

from agent.repomap import RepoMap, parse
from agent.repomap.cache import ParseCache
from agent.repomap.files import blob_id
from agent.repomap.render import count_tokens
from tests.helpers_git import git
from tests.repomap.conftest import FIXTURES, init_repo


def paths(res) -> list[str]:
    return [f["path"] for f in res.to_dict()["files"]]


def symbols(res, path: str) -> list[str]:
    return next(f for f in res.to_dict()["files"] if f["path"] == path)["symbols"]


def test_ignored_vendored_binary_and_huge_files_are_left_out(polyglot, cache_dir):
    res = RepoMap(polyglot, cache_dir=cache_dir).render(budget_tokens=100_000)
    listed = set(paths(res))
    assert "py/shop/untracked.py" in listed  # untracked but not ignored
    for gone in [
        "web/dist/app.js", "debug.log",  # .gitignore
        "secret/hidden.py",  # .agentignore (tracked, even)
        "node_modules/left-pad/index.js", "vendor/lib/helper.py", "web/src/lib.min.js",  # vendored, minified
        "logo.png", "blob.dat", "tools/blob.bin.py",  # binary by name or by content
        "big.py",  # huge
    ]:
        assert gone not in listed, gone
    assert "hidden_helper" not in res.text and "huge_one" not in res.text
    assert res.files == len(listed) and res.total_files == len(listed)


def test_files_named_in_the_focus_come_first(polyglot, cache_dir):
    rm = RepoMap(polyglot, cache_dir=cache_dir)
    assert paths(rm.render("the total in py/shop/cart.py is wrong"))[0] == "py/shop/cart.py"
    assert paths(rm.render("look at store.go please"))[0] == "go/store/store.go"
    res = rm.render("", focus_files=["rust/src/lib.rs", "./ruby/lib/greeter.rb"])
    assert paths(res)[:2] == ["rust/src/lib.rs", "ruby/lib/greeter.rb"]
    assert res.text.startswith("rust/src/lib.rs:\n  pub struct Ledger\n")


def test_identifiers_in_the_focus_pull_their_definers_up(polyglot, cache_dir):
    rm = RepoMap(polyglot, cache_dir=cache_dir)
    plain = paths(rm.render())
    focused = paths(rm.render("make Inventory count by Color"))
    assert focused.index("web/src/types.ts") < plain.index("web/src/types.ts")
    assert focused[0] == "web/src/types.ts"


def test_referenced_files_outrank_unreferenced_ones(tmp_path, cache_dir):
    root = tmp_path / "r"
    root.mkdir()
    (root / "core.py").write_text("class Engine:\n    def run_engine(self):\n        pass\n")
    for i in range(4):
        (root / f"user{i}.py").write_text(f"from core import Engine\n\ndef use{i}():\n    Engine().run_engine()\n")
    (root / "lonely.py").write_text("def alone():\n    pass\n")
    init_repo(root)
    order = paths(RepoMap(root, cache_dir=cache_dir).render())
    assert order[0] == "core.py"
    assert order.index("lonely.py") > order.index("core.py")


def test_budget_is_respected_and_the_best_files_kept(polyglot, cache_dir):
    rm = RepoMap(polyglot, cache_dir=cache_dir)
    full = rm.render(budget_tokens=100_000)
    for budget in (40, 100, 250, 600):
        res = rm.render("cart.py", budget_tokens=budget)
        assert res.tokens == count_tokens(res.text) <= budget
        assert res.text.startswith("py/shop/cart.py:")
        if full.tokens > budget:
            assert (res.files, res.symbols) < (full.files, full.symbols)
    small = rm.render(budget_tokens=120)
    assert "… " in small.text or small.files < full.files  # cut, and it says so


def test_cache_sees_a_change_with_the_same_mtime_and_size(polyglot, cache_dir):
    rm = RepoMap(polyglot, cache_dir=cache_dir)
    cart = polyglot / "py" / "shop" / "pricing.py"
    assert "apply_discount" in rm.render(budget_tokens=100_000).text
    st = cart.stat()
    text = cart.read_text()
    cart.write_text(text.replace("apply_discount", "apply_discounx"))
    os.utime(cart, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert cart.stat().st_mtime_ns == st.st_mtime_ns and cart.stat().st_size == st.st_size
    for fresh in (rm, RepoMap(polyglot, cache_dir=cache_dir)):  # same session, and a new one
        text_now = fresh.render(budget_tokens=100_000).text
        assert "def apply_discounx(" in text_now and "def apply_discount(" not in text_now


def test_warm_run_uses_records_by_blob_id_without_reparsing(polyglot, cache_dir):
    RepoMap(polyglot, cache_dir=cache_dir).warm()
    # Plant a record under util.js's blob id and drop the derived caches (index, maps): if a new
    # session shows the planted record, it indexed from the cache without re-parsing.
    blob = blob_id((polyglot / "web/src/util.js").read_bytes())
    cache = ParseCache(cache_dir)
    assert cache.get(blob) is not None
    cache.put(blob, ("ok", [("planted", "function", 1, 0, "function planted()")], {}, []))
    cache.flush()
    for derived in ("index", "focus"):
        shutil.rmtree(cache.dir / derived, ignore_errors=True)
    rm = RepoMap(polyglot, cache_dir=cache_dir)
    res = rm.render(budget_tokens=100_000)
    assert [s["name"] for s in symbols(res, "web/src/util.js")] == ["planted"]
    assert rm.counters == {"parsed": 0, "indexed": 1, "ranked": 1}


def test_a_repeated_map_parses_and_ranks_nothing(polyglot, cache_dir):
    first = RepoMap(polyglot, cache_dir=cache_dir)
    res = first.render("fix the cart total", budget_tokens=500)
    assert first.counters["parsed"] > 5 and first.counters["ranked"] == 1
    again = RepoMap(polyglot, cache_dir=cache_dir)  # a new session, same tree, same focus
    assert again.render("fix the cart total", budget_tokens=500).text == res.text
    assert again.counters == {"parsed": 0, "indexed": 0, "ranked": 0}
    # another budget for the same focus reuses its ranks; a new focus ranks, but parses nothing
    bigger = again.render("fix the cart total", budget_tokens=2000)
    assert again.counters == {"parsed": 0, "indexed": 0, "ranked": 0} and bigger.files >= res.files
    again.render("make Inventory count by Color", budget_tokens=500)
    assert again.counters == {"parsed": 0, "indexed": 0, "ranked": 1}
    # a change: only the changed file is parsed
    (polyglot / "py/shop/cart.py").write_text("class Cart:\n    def total_now(self):\n        pass\n")
    changed = again.render("fix the cart total", budget_tokens=500)
    assert "def total_now(self)" in changed.text
    assert again.counters == {"parsed": 1, "indexed": 1, "ranked": 2}


def test_corrupt_cache_is_rebuilt_not_fatal(polyglot, cache_dir):
    expected = RepoMap(polyglot, cache_dir=cache_dir).render(budget_tokens=100_000).text
    shards = list(cache_dir.rglob("*.bin"))
    assert shards
    for i, shard in enumerate(shards):
        data = shard.read_bytes()
        shard.write_bytes([b"", b"garbage", data[: len(data) // 2], data[:-3] + b"xyz"][i % 4])
    assert RepoMap(polyglot, cache_dir=cache_dir).render(budget_tokens=100_000).text == expected
    # and the damage was repaired: a third session reads good shards
    assert ParseCache(cache_dir).get(blob_id((polyglot / "py/shop/cart.py").read_bytes()))[0] == "ok"


def test_unwritable_cache_directory_still_maps(polyglot, tmp_path):
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    res = RepoMap(polyglot, cache_dir=blocker / "cache").render()
    assert "class Cart" in res.text


def test_default_cache_lives_in_the_common_git_dir_even_from_a_worktree(polyglot, tmp_path):
    wt = tmp_path / "wt"
    git(polyglot, "worktree", "add", "-q", str(wt))
    RepoMap(wt).warm()
    assert list((polyglot / ".git" / "agent" / "cache" / "repomap").rglob("*.bin"))
    assert not (wt / ".git").is_dir()  # a linked worktree's .git is a file; nothing written there


def test_edits_deletions_and_new_files_show_up_in_the_same_session(polyglot, cache_dir):
    rm = RepoMap(polyglot, cache_dir=cache_dir)
    rm.warm()
    (polyglot / "web/src/util.js").unlink()
    (polyglot / "go/store/extra.go").write_text("package store\n\nfunc Extra() int { return 1 }\n")
    res = rm.render(budget_tokens=100_000)
    assert "web/src/util.js" not in paths(res)
    assert [s["name"] for s in symbols(res, "go/store/extra.go")] == ["Extra"]


def test_concurrent_sessions_share_one_cache_safely(polyglot, cache_dir):
    results, errors = [], []

    def session():
        try:
            rm = RepoMap(polyglot, cache_dir=cache_dir)
            t = threading.Thread(target=rm.warm)
            t.start()
            results.append(rm.render(budget_tokens=100_000).text)  # waits for or races the warm
            t.join()
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=session) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(results)) == 1 and "class Cart" in results[0]
    assert not [p for p in cache_dir.rglob("*") if p.name.endswith(".tmp")]


def test_parallel_parse_matches_in_process_parse(tmp_path, monkeypatch):
    root = tmp_path / "many"
    shutil.copytree(FIXTURES / "polyglot", root)
    (root / "gitignore").unlink()
    for i in range(80):
        (root / f"gen/m{i}.py").parent.mkdir(exist_ok=True)
        (root / f"gen/m{i}.py").write_text(f"class C{i}:\n    def method_{i}(self, x):\n        return x\n")
    init_repo(root)
    serial = RepoMap(root, cache_dir=tmp_path / "c1").render(budget_tokens=100_000)
    monkeypatch.setattr(parse, "POOL_MIN_BYTES", 0)  # force the worker process on this small tree
    parallel = RepoMap(root, cache_dir=tmp_path / "c2").render(budget_tokens=100_000)
    assert parallel.text == serial.text
    assert parallel.total_symbols == serial.total_symbols >= 160


def test_outside_git_the_tree_is_walked(tmp_path, cache_dir):
    root = tmp_path / "plain"
    shutil.copytree(FIXTURES / "polyglot" / "py", root)
    (root / "node_modules").mkdir()
    (root / "node_modules" / "x.js").write_text("function x() {}\n")
    res = RepoMap(root, cache_dir=cache_dir).render()
    assert paths(res)[:2] == ["shop/pricing.py", "shop/cart.py"] or set(paths(res)) == {
        "shop/pricing.py", "shop/cart.py"}
    assert "node_modules/x.js" not in paths(res)


def test_to_dict_is_json_and_counts_agree(polyglot, cache_dir):
    import json

    res = RepoMap(polyglot, cache_dir=cache_dir).render(budget_tokens=300)
    d = json.loads(json.dumps(res.to_dict()))
    assert d["shown_files"] == len(d["files"]) == res.files
    assert d["shown_symbols"] == sum(len(f["symbols"]) for f in d["files"]) == res.symbols
    assert d["tokens"] == res.tokens <= 300
    assert d["total_files"] >= d["shown_files"]


@pytest.mark.slow  # two fresh interpreters running the CLI
def test_a_warm_agent_map_imports_nothing_heavy(polyglot, tmp_path):
    import json
    import subprocess
    import sys

    # The real CLI, in a fresh interpreter; the second run is warm (the cache is in .git).
    code = ("import json, sys\nsys.argv = ['agent', 'map', '--budget', '300', '--focus', 'Cart', sys.argv[1]]\n"
            "from agent.cli.app import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "heavy = ('tree_sitter', 'numpy', 'pydantic', 'openai', 'rich', 'tiktoken')\n"
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & set(heavy))))\n")
    runs = [subprocess.run([sys.executable, "-c", code, str(polyglot)], capture_output=True, text=True,
                           check=True).stdout for _ in range(2)]
    first, warm = (r.splitlines() for r in runs)
    assert "py/shop/cart.py:" in first and first[:-1] == warm[:-1]  # the same map, twice
    assert "tree_sitter" in json.loads(first[-1])  # the cold run parsed
    assert json.loads(warm[-1]) == []
