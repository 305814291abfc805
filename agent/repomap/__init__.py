"""A compact, ranked map of the repository: files, their classes and functions with signatures.

    rm = RepoMap(root)                      # cheap; nothing parsed yet
    rm.warm()                               # parse, index and cache everything (background thread)
    res = rm.render(focus_text="fix the cart total", focus_files=["shop/cart.py"], budget_tokens=2048)
    print(res.text)
    rm.importers(["shop/cart.py"])          # {"shop/checkout.py", "tests/test_cart.py", ...}

render() ranks files by how much the rest of the tree and the task lean on them: Python imports
resolved to files, attribute uses and calls above bare names, names many files define weighed
down (IDF), tests and stubs below the code they exercise unless the focus names them, words
the task writes as code above plain English. A map is cached by the tree's content (every path
with its blob id), the focus and the budget: asked again, it is read back, nothing parsed or
ranked (`rm.counters` counts parses, index builds and rankings).

importers(paths) -> set[str]: the files that import any of `paths` (Python imports, resolved
as the map resolves them), directly or through other importers; the given files themselves
are left out. Built on the same cached index, so it costs a listing once the map is warm:
for "which tests exercise this change", `{p for p in rm.importers(changed) if "test" in p}`.

files.py lists files (git, .gitignore, .agentignore, skip rules) with their blob ids;
symbols.py extracts definitions and references (pyscan.py for Python, tree-sitter otherwise);
cache.py keeps them on disk by blob id, and derived values by tree key; index.py builds the
reference graph and resolves imports; focus.py reads the task; rank.py ranks files with
personalised PageRank; render.py fits the result into a token budget; parse.py shares cold
parsing with worker processes (worker.py).
"""

from agent.repomap.core import MapResult, RepoMap

__all__ = ["MapResult", "RepoMap"]
