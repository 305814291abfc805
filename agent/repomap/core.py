"""RepoMap: list, parse (cached, in parallel when it pays), index, rank toward the task, render.

A map is cached by what decides it: the tree key (every path with its blob id), the focus and
the budget. A repeated map costs a listing and one small read: nothing parsed, nothing ranked
(`counters` says so). A new focus on a known tree reads the tree's index and ranks it.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from agent.repomap import parse
from agent.repomap.cache import DerivedCache, ParseCache
from agent.repomap.files import FileEntry, git_dir, list_files
from agent.repomap.focus import Focus, normalise, resolve
from agent.repomap.index import MAPPED, TreeIndex, build, is_minor, tree_key
from agent.repomap.render import tokenizer_on_disk
from agent.repomap.symbols import EXTRACTOR_VERSION

# Bump when ranking or rendering changes what a map says: it is part of every cached map's key.
RANK_VERSION = 2
KEEP = {"index": 4, "focus": 64}  # cached tree indexes and focuses kept on disk


@dataclass
class MapResult:
    text: str
    files: int  # files shown in the map
    symbols: int  # definitions shown in the map
    tokens: int
    total_files: int = 0  # files the repository map covers
    total_symbols: int = 0
    budget_tokens: int = 0
    tokenizer: str = ""
    shown: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "files": self.shown,
            "shown_files": self.files,
            "shown_symbols": self.symbols,
            "total_files": self.total_files,
            "total_symbols": self.total_symbols,
            "tokens": self.tokens,
            "budget_tokens": self.budget_tokens,
            "tokenizer": self.tokenizer,
        }


class RepoMap:
    """A map of the repository at `root`. Cheap to construct: nothing is read until needed.

    render() and warm() may be called from different threads; one waits for the other.
    """

    def __init__(self, root: Path, cache_dir: Path | None = None):
        self.root = Path(root).resolve()
        self._cache_dir = cache_dir
        self._cache: ParseCache | None = None
        self._derived: DerivedCache | None = None
        self._lock = threading.Lock()
        self._stats: dict[str, tuple] | None = None
        self._index: tuple[str, TreeIndex] | None = None  # the last tree's key and index
        self._parser = parse.Parser(self.root)
        # what the work so far cost, for tests: files parsed, indexes built, rankings computed
        self.counters = {"parsed": 0, "indexed": 0, "ranked": 0}

    # -- listing, parsing, indexing ------------------------------------------------------
    def _caches(self) -> tuple[ParseCache, DerivedCache]:
        if self._cache is None:
            directory = self._cache_dir
            if directory is None:
                common = git_dir(self.root)
                directory = common / "agent" / "cache" / "repomap" if common else None
            self._cache = ParseCache(Path(directory) if directory else None)
            self._derived = DerivedCache(self._cache.dir, KEEP)
        assert self._derived is not None
        return self._cache, self._derived

    def _list(self) -> list[FileEntry]:
        cache, _ = self._caches()
        if self._stats is None:
            self._stats = cache.load_stats(self.root)
        before = dict(self._stats)
        entries = list_files(self.root, self._stats)
        if self._stats != before:
            cache.save_stats(self.root, self._stats)
        return entries

    def _scan(self, entries: list[FileEntry]) -> list[tuple[str, tuple]]:
        """Every mapped file with its record, parsing only content the cache has not seen."""
        cache, _ = self._caches()
        records: dict[str, tuple] = {}
        todo: list[FileEntry] = []
        for e in entries:
            rec = cache.get(e.blob) if e.blob else ("huge", [], {}, [])
            if rec is None:
                todo.append(e)
            else:
                records[e.path] = rec
        # Many files to parse: start a worker now, so that its start-up overlaps reading the rest
        early = self._parser.spawn() if len(todo) >= 64 and parse.workers() else None
        for path, blob, rec in self._parser.parse(todo, early):
            records[path] = rec
            if blob:
                cache.put(blob, rec)
        self.counters["parsed"] = self._parser.parsed
        cache.flush()
        return [(e.path, records[e.path]) for e in entries if e.path in records]

    def _tree(self, entries: list[FileEntry], key: str) -> TreeIndex:
        """The tree's index: from memory, from disk, or built (and then kept in both)."""
        if self._index is not None and self._index[0] == key:
            return self._index[1]
        _, derived = self._caches()
        stored = derived.get("index", key)
        index = None
        if stored is not None:
            with contextlib.suppress(TypeError, KeyError):
                index = TreeIndex.from_dict(stored)
        if index is None:
            index = build(self._scan(entries))
            self.counters["indexed"] += 1
            derived.put("index", key, index.to_dict())
        self._index = (key, index)
        return index

    def _current(self) -> tuple[list[FileEntry], str]:
        entries = self._list()
        return entries, tree_key(entries, EXTRACTOR_VERSION * 1000 + RANK_VERSION)

    def warm(self) -> None:
        """List, parse and index everything now (meant for a background thread at session start)."""
        with self._lock:
            entries, key = self._current()
            self._tree(entries, key)

    def importers(self, paths: Iterable[str]) -> set[str]:
        """Files that import any of `paths` (Python imports), directly or transitively.

        Paths are relative to the root (posix) or absolute inside it; the given files themselves
        are left out. Paths the map does not cover have no importers.
        """
        with self._lock:
            index = self._tree(*self._current())
        where = {p: i for i, p in enumerate(index.paths)}
        targets = {where[p] for p in normalise(paths, self.root) if p in where}
        return {index.paths[i] for i in index.importers(targets)}

    # -- ranking and rendering -----------------------------------------------------------
    def render(self, focus_text: str = "", focus_files: Iterable[str] = (),
               budget_tokens: int = 2048) -> MapResult:
        focus_files = normalise(focus_files, self.root)
        with self._lock:
            entries, key = self._current()
            _, derived = self._caches()
            fkey = hashlib.sha1(repr((key, focus_text or "", focus_files, tokenizer_on_disk())).encode(
                "utf-8", "surrogateescape")).hexdigest()
            cached = derived.get("focus", fkey)
            maps = cached.get("maps") if cached else None
            maps = maps if isinstance(maps, dict) else {}
            if budget_tokens in maps:
                with contextlib.suppress(TypeError):
                    return MapResult(**maps[budget_tokens])
            index = self._tree(entries, key)
        focus = resolve(index.paths, index.definers, focus_text or "", focus_files)
        ranks = cached.get("ranks") if cached else None
        ident_rank = cached.get("ident_rank") if cached else None
        if not (isinstance(ranks, list) and len(ranks) == len(index.paths) and isinstance(ident_rank, list)
                and len(ident_rank) == len(index.idents)):
            from agent.repomap.rank import Graph

            minor = [is_minor(p) and i not in focus.named for i, p in enumerate(index.paths)]
            ranks, ident_rank = Graph(index, focus.mentioned, minor).pagerank(focus.personal or None)
            self.counters["ranked"] += 1
            maps = {}
        result = _render(index, focus, ranks, ident_rank, budget_tokens)
        maps[budget_tokens] = result.__dict__
        derived.put("focus", fkey, {"ranks": ranks, "ident_rank": ident_rank, "maps": maps})
        return result


def _render(index: TreeIndex, focus: Focus, ranks: list[float], ident_rank: list[float],
            budget_tokens: int) -> MapResult:
    from agent.repomap.render import FileView, count_tokens, fit, tokenizer_name

    paths, defs_of, status = index.paths, index.defs, index.status
    by_ident = dict(zip(index.idents, ident_rank, strict=True))
    top = max(ranks, default=1.0) or 1.0
    order = sorted(range(len(paths)), key=lambda i: (-ranks[i], not defs_of[i], paths[i]))
    pinned = set(focus.first)
    order = focus.first + [i for i in order if i not in pinned]
    mentioned = focus.mentioned

    def views():  # lazily: fit() stops after a dozen files, scoring all would be wasted
        for i in order:
            if status[i] in MAPPED:  # not binary, huge, generated
                defs = defs_of[i]
                scores = [by_ident.get(d[0], 0.0) + top * mentioned.get(d[0], 0.0) for d in defs]
                yield FileView(paths[i], ranks[i], defs, scores)

    text, shown = fit(views(), budget_tokens, pinned=len(focus.first))
    mapped = [i for i, s in enumerate(status) if s in MAPPED]
    return MapResult(
        text=text,
        files=len(shown),
        symbols=sum(len(keep) for _, keep in shown),
        tokens=count_tokens(text),
        total_files=len(mapped),
        total_symbols=sum(len(defs_of[i]) for i in mapped),
        budget_tokens=budget_tokens,
        tokenizer=tokenizer_name(),
        shown=[{
            "path": v.path,
            "rank": round(v.rank, 6),
            "symbols": [{"name": v.defs[k][0], "kind": v.defs[k][1], "line": v.defs[k][2],
                         "signature": v.defs[k][4]} for k in keep],
        } for v, keep in shown],
    )
