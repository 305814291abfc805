"""Rank files by how much the rest of the repository (and the task) leans on their definitions.

The graph is bipartite: a file links to each identifier it references, and an identifier links
to the files that define it. This is the "files linked by definitions they reference" graph,
but with |referencers| + |definers| edges per identifier instead of their product, which keeps
names defined in hundreds of files (`get`, `__init__`, `name`) from exploding the edge count.

PageRank with personalisation is a plain power iteration: numpy's bincount when numpy is
importable (a few milliseconds for thousands of files), the same sums in pure Python otherwise.
"""

from __future__ import annotations

import math
import re
import sys

DAMPING = 0.85
NUMPY_MIN_EDGES = 150_000  # pure Python iterates ~5 ms per 50k edges
_CAMEL = re.compile(r"[a-z][A-Z]")


def weight(name: str, count: int, n_definers: int, mentioned: frozenset[str] | set[str]) -> float:
    """How much one file's use of `name` says about the files that define it."""
    w = math.sqrt(count)
    for f in _factors(name, n_definers, mentioned):
        w *= f
    return w


def _factors(name: str, n_definers: int, mentioned: frozenset[str] | set[str]) -> tuple[float, ...]:
    """weight()'s multipliers for a name, in order (applied one by one: same floats as ever)."""
    fs = []
    if name in mentioned:
        fs.append(10.0)  # the task names it
    if len(name) >= 8 and ("_" in name.strip("_") or _CAMEL.search(name)):
        fs.append(3.0)  # long compound names are specific; `data` or `run` are not
    if name.startswith("_"):
        fs.append(0.1)
    if n_definers > 5:
        fs.append(0.1)  # defined all over: says little about any one definer
    return tuple(fs)


class Graph:
    """Edges file -> identifier (weighted, normalised per file) and identifier -> its definers."""

    def __init__(self, n_files: int, refs: list[dict[str, int]], definers: dict[str, list[int]],
                 mentioned: frozenset[str] | set[str] = frozenset()):
        self.n = n_files
        self.idents: list[str] = []
        self.ident_definers: list[list[int]] = []
        index: dict[str, int] = {}
        src: list[int] = []
        dst: list[int] = []
        wts: list[float] = []
        factors: dict[str, tuple[float, ...]] = {}  # per name: the same for every file using it
        sqrt = math.sqrt
        for f, counts in enumerate(refs):
            start = len(wts)
            for name in counts.keys() & definers.keys():  # set intersection: C speed
                ds = definers[name]
                count = counts[name]
                if len(ds) == 1 and ds[0] == f:
                    continue  # undefined here, or only a file's use of its own definition
                k = index.get(name)
                if k is None:
                    k = index[name] = len(self.idents)
                    self.idents.append(name)
                    self.ident_definers.append(ds)
                fs = factors.get(name)
                if fs is None:
                    fs = factors[name] = _factors(name, len(ds), mentioned)
                w = sqrt(count)
                for x in fs:
                    w *= x
                src.append(f)
                dst.append(k)
                wts.append(w)
            total = sum(wts[start:])
            for i in range(start, len(wts)):
                wts[i] /= total
        self.src, self.dst, self.wts = src, dst, wts
        has_out = [False] * n_files
        for f in src:
            has_out[f] = True
        self.dangling = [f for f in range(n_files) if not has_out[f]]

    def pagerank(self, personal: dict[int, float] | None = None, iters: int = 40,
                 tol: float = 1e-5) -> tuple[list[float], list[float]]:
        """(rank of each file, rank each identifier hands to each of its definers)."""
        n = self.n
        if n == 0:
            return [], []
        p = [0.0] * n
        if personal:
            total = sum(personal.values())
            for f, v in personal.items():
                p[f] += v / total
        else:
            p = [1.0 / n] * n
        # importing numpy takes ~0.15 s: worth it only once imported (warm() does) or for big graphs
        # A real import statement, not sys.modules.get: another thread may be mid-way through
        # importing numpy, and only the import statement waits for it to finish.
        numpy = None
        if "numpy" in sys.modules or len(self.src) > NUMPY_MIN_EDGES:
            try:
                import numpy
            except ImportError:
                numpy = None
        if numpy is None:
            return self._python(p, iters, tol)
        return self._numpy(numpy, p, iters, tol)

    def _numpy(self, np, p_list, iters, tol):
        p = np.asarray(p_list)
        src = np.asarray(self.src, dtype=np.int64)
        dst = np.asarray(self.dst, dtype=np.int64)
        wts = np.asarray(self.wts)
        k = len(self.idents)
        # identifier -> definer edges, each carrying 1/len(definers) of the identifier's mass
        d_ident = np.repeat(np.arange(k), [len(d) for d in self.ident_definers])
        d_file = np.asarray([f for d in self.ident_definers for f in d], dtype=np.int64)
        d_share = 1.0 / np.asarray([len(d) for d in self.ident_definers], dtype=float)
        dangling = np.asarray(self.dangling, dtype=np.int64)
        r = p.copy()
        mass = np.zeros(k)
        for _ in range(iters):
            mass = np.bincount(dst, weights=r[src] * wts, minlength=k) * d_share
            new = DAMPING * np.bincount(d_file, weights=mass[d_ident], minlength=self.n)
            new += (1 - DAMPING + DAMPING * r[dangling].sum()) * p
            new /= new.sum()
            done = np.abs(new - r).sum() < tol
            r = new
            if done:
                break
        return r.tolist(), (DAMPING * mass).tolist()

    def _python(self, p, iters, tol):
        k = len(self.idents)
        r = list(p)
        mass = [0.0] * k
        edges = list(zip(self.src, self.dst, self.wts, strict=True))
        shares = [1.0 / len(d) for d in self.ident_definers]
        for _ in range(iters):
            mass = [0.0] * k
            for s, t, w in edges:
                mass[t] += r[s] * w
            mass = [m * s for m, s in zip(mass, shares, strict=True)]
            base = 1 - DAMPING + DAMPING * sum(r[f] for f in self.dangling)
            new = [base * v for v in p]
            for m, ds in zip(mass, self.ident_definers, strict=True):
                for f in ds:
                    new[f] += DAMPING * m
            total = sum(new)
            new = [v / total for v in new]
            done = sum(abs(a - b) for a, b in zip(new, r, strict=True)) < tol
            r = new
            if done:
                break
        return r, [DAMPING * m for m in mass]
