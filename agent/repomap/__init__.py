"""A compact, ranked map of the repository: files, their classes and functions with signatures.

    rm = RepoMap(root)                      # cheap; nothing parsed yet
    rm.warm()                               # parse and cache everything (background thread)
    res = rm.render(focus_text="fix the cart total", focus_files=["shop/cart.py"], budget_tokens=2048)
    print(res.text)

files.py lists files (git, .gitignore, .agentignore, skip rules) with their blob ids; symbols.py
extracts definitions and references with tree-sitter; cache.py keeps them on disk by blob id;
rank.py ranks files with personalised PageRank; render.py fits the result into a token budget.
"""

from agent.repomap.core import MapResult, RepoMap

__all__ = ["MapResult", "RepoMap"]
