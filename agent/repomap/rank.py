"""Rank files by how much the rest of the repository (and the task) leans on them.

The graph is bipartite: a file links to each identifier it references, and an identifier links
to the files that define it. This is the "files linked by definitions they reference" graph,
but with |referencers| + |definers| edges per identifier instead of their product, which keeps
names defined in hundreds of files (`get`, `__init__`, `name`) from exploding the edge count.
Python imports add direct file -> file edges (index.py resolves them).

How much one use is worth is settled in index.py (count, IDF, name shape); here the task's
focus multiplies the identifiers it names, and tests and stubs (index.is_minor) get a small
share of an identifier's mass and a fraction of their rank, unless the focus names them, so
they rank below the code they exercise.

PageRank with personalisation is a plain power iteration: numpy's bincount when numpy is
importable (a few milliseconds for thousands of files), the same sums in pure Python otherwise.
"""

from __future__ import annotations

import sys

DAMPING = 0.85
MENTIONED = 10.0  # an identifier the task names as code (less for a plain word: focus.py)
IMPORT_WEIGHT = 2.0  # one import statement naming a file, against one use of an identifier
MINOR_SHARE = 0.1  # a test's or stub's share of an identifier it defines, against real code
MINOR_RANK = 0.1  # and of its rank
# 0.85^20 < 0.04: enough for the order of the files that fit in a map (on Django, 15 iterations
# already give the same top 30 as 40 do); each iteration is a pass over every edge.
ITERATIONS = 20
NUMPY_MIN_EDGES = 150_000  # pure Python iterates ~5 ms per 50k edges


class Graph:
    """The index's edges, weighted for one focus and normalised per file."""

    def __init__(self, index, mentioned: dict[str, float] | None = None, minor: list[bool] | None = None):
        n = self.n = len(index.paths)
        minor = minor or [False] * n
        self.idents = index.idents
        mentioned = mentioned or {}
        boost = [max(MENTIONED * mentioned[name], 1.0) if name in mentioned else 1.0 for name in index.idents]
        wts = [w * boost[k] for w, k in zip(index.wts, index.dst, strict=True)]
        totals = [0.0] * n
        for f, w in zip(index.src, wts, strict=True):
            totals[f] += w
        self.imp_src: list[int] = []
        self.imp_dst: list[int] = []
        for f, tos in enumerate(index.imports):
            for t in tos:
                self.imp_src.append(f)
                self.imp_dst.append(t)
            totals[f] += IMPORT_WEIGHT * len(tos)
        self.src, self.dst = index.src, index.dst
        self.wts = [w / totals[f] for f, w in zip(index.src, wts, strict=True)]
        self.imp_wts = [IMPORT_WEIGHT / totals[f] for f in self.imp_src]
        # identifier -> definer edges, each with the definer's share of the identifier's mass
        self.d_ident: list[int] = []
        self.d_file: list[int] = []
        self.d_share: list[float] = []
        for k, name in enumerate(index.idents):
            ds = index.definers[name]
            shares = [MINOR_SHARE if minor[f] else 1.0 for f in ds]
            total = sum(shares)
            for f, s in zip(ds, shares, strict=True):
                self.d_ident.append(k)
                self.d_file.append(f)
                self.d_share.append(s / total)
        has_out = [t > 0 for t in totals]
        self.dangling = [f for f in range(n) if not has_out[f]]
        self.minor = minor

    def pagerank(self, personal: dict[int, float] | None = None, iters: int = ITERATIONS,
                 tol: float = 1e-5) -> tuple[list[float], list[float]]:
        """(rank of each file, rank each identifier hands its definers)."""
        n = self.n
        if n == 0:
            return [], []
        if personal:
            p = [0.0] * n
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
        ranks, mass = (self._python(p, iters, tol) if numpy is None else self._numpy(numpy, p, iters, tol))
        ranks = [r * MINOR_RANK if m else r for r, m in zip(ranks, self.minor, strict=True)]
        return ranks, [DAMPING * m for m in mass]

    def _numpy(self, np, p_list, iters, tol):
        p = np.asarray(p_list)
        src = np.asarray(self.src, dtype=np.int64)
        dst = np.asarray(self.dst, dtype=np.int64)
        wts = np.asarray(self.wts)
        imp_src = np.asarray(self.imp_src, dtype=np.int64)
        imp_dst = np.asarray(self.imp_dst, dtype=np.int64)
        imp_wts = np.asarray(self.imp_wts)
        k = len(self.idents)
        d_ident = np.asarray(self.d_ident, dtype=np.int64)
        d_file = np.asarray(self.d_file, dtype=np.int64)
        d_share = np.asarray(self.d_share)
        dangling = np.asarray(self.dangling, dtype=np.int64)
        r = p.copy()
        mass = np.zeros(k)
        for _ in range(iters):
            mass = np.bincount(dst, weights=r[src] * wts, minlength=k)
            new = np.bincount(d_file, weights=mass[d_ident] * d_share, minlength=self.n)
            new += np.bincount(imp_dst, weights=r[imp_src] * imp_wts, minlength=self.n)
            new *= DAMPING
            new += (1 - DAMPING + DAMPING * r[dangling].sum()) * p
            new /= new.sum()
            done = np.abs(new - r).sum() < tol
            r = new
            if done:
                break
        return r.tolist(), mass.tolist()

    def _python(self, p, iters, tol):
        # Identifiers with one definer are plain file -> file edges: merged with the imports by
        # (from, to), they make the loop about half as long. The others stay bipartite.
        k = len(self.idents)
        definer_count = [0] * k
        for t in self.d_ident:
            definer_count[t] += 1
        only = [-1] * k
        for t, f in zip(self.d_ident, self.d_file, strict=True):
            if definer_count[t] == 1:
                only[t] = f
        direct: dict[tuple[int, int], float] = {}
        shared = []
        for s, t, w in zip(self.src, self.dst, self.wts, strict=True):
            f = only[t]
            if f >= 0:
                direct[s, f] = direct.get((s, f), 0.0) + w
            else:
                shared.append((s, t, w))
        for s, t, w in zip(self.imp_src, self.imp_dst, self.imp_wts, strict=True):
            direct[s, t] = direct.get((s, t), 0.0) + w
        ff = [(s, t, w) for (s, t), w in direct.items()]
        dedges = [(t, f, share) for t, f, share in zip(self.d_ident, self.d_file, self.d_share, strict=True)
                  if definer_count[t] > 1]
        r = list(p)
        n = self.n
        for _ in range(iters):
            mass = [0.0] * k
            for s, t, w in shared:
                mass[t] += r[s] * w
            flow = [0.0] * n
            for t, f, share in dedges:
                flow[f] += mass[t] * share
            for s, t, w in ff:
                flow[t] += r[s] * w
            base = 1 - DAMPING + DAMPING * sum(r[f] for f in self.dangling)
            new = [base * v + DAMPING * x for v, x in zip(p, flow, strict=True)]
            total = sum(new)
            new = [v / total for v in new]
            done = sum(abs(a - b) for a, b in zip(new, r, strict=True)) < tol
            r = new
            if done:
                break
        mass = [0.0] * k  # every identifier's mass, once, for scoring definitions
        for s, t, w in zip(self.src, self.dst, self.wts, strict=True):
            mass[t] += r[s] * w
        return r, mass
