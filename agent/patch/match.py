"""Locate a hunk in a file by its content, with progressively looser matching levels.

A level only loosens how lines compare (or which context lines may be missing); the first level
that finds any candidate decides. Several candidates at that level are ambiguous unless exactly
one sits where the hunk header says, and an ambiguous hunk is rejected, never guessed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from agent.patch.align import align, anchored, blank_slide, enough_matched, loose_insertion
from agent.patch.indent import IndentMap, indent_map

LEVELS = ["exact", "whitespace", "indentation", "unicode", "blank-lines", "context-lines", "trimmed"]
CONTIGUOUS = 4  # levels before this index compare a contiguous block line by line
MAX_TRIM = 2  # context lines dropped from each edge at the "trimmed" level

_PUNCT = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " ", "\u200a": " ", "\u200b": "",
    "\ufeff": "", "\u2026": "...",
})
_WS = re.compile(r"\s+")
_DASHES = re.compile(r"-{2,}")  # "--" often comes back as an em dash


def _k_exact(s: str) -> str:
    return s


def _k_trailing(s: str) -> str:
    return s.rstrip()


def _k_space(s: str) -> str:
    return _WS.sub(" ", s).strip()


def _k_unicode(s: str) -> str:
    s = _DASHES.sub("-", unicodedata.normalize("NFC", s).translate(_PUNCT))
    return _WS.sub(" ", s).strip()


_KEYS = [_k_exact, _k_trailing, _k_space, _k_unicode]


def key_for(level: int):
    return _KEYS[min(level, len(_KEYS) - 1)]


@dataclass
class Match:
    start: int  # first file line replaced (0-based)
    end: int  # one past the last file line replaced
    level: int
    pairs: list[tuple[int, int]]  # (index into hunk lines, file line) for matched old-side lines
    anchor: int  # where hunk old line 0 would be: compared with the header's line number
    indent: IndentMap | None = None
    trimmed: tuple[int, int] = (0, 0)
    extras: list[tuple[int, int]] = field(default_factory=list)  # (hunk line, file line) the hunk lacks
    added: dict[int, str] = field(default_factory=dict)  # hunk line -> text to write, when re-indented


@dataclass
class Located:
    match: Match | None = None
    candidates: list[Match] = field(default_factory=list)  # >1 when ambiguous
    level: int | None = None

    @property
    def ambiguous(self) -> bool:
        return self.match is None and len(self.candidates) > 1


class FileIndex:
    """A file's lines with per-level keys computed once and shared by all hunks."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self._keys: dict[int, list[str]] = {}
        self._pos: dict[int, dict[str, list[int]]] = {}

    def keys(self, level: int) -> list[str]:
        k = min(level, len(_KEYS) - 1)
        if k not in self._keys:
            f = _KEYS[k]
            self._keys[k] = [f(s) for s in self.lines]
            pos: dict[str, list[int]] = {}
            for i, s in enumerate(self._keys[k]):
                pos.setdefault(s, []).append(i)
            self._pos[k] = pos
        return self._keys[k]

    def positions(self, level: int, key: str) -> list[int]:
        self.keys(level)
        return self._pos[min(level, len(_KEYS) - 1)].get(key, [])


def locate(index: FileIndex, hunk_lines: list[tuple[str, str]], expected: list[int],
           *, side: str = "old", max_level: int | None = None, slack: int = 0) -> Located:
    """Find where the hunk's `side` ("old": context and -, "new": context and +) sits in the file."""
    drop = "+" if side == "old" else "-"
    lines = [(i, k, t) for i, (k, t) in enumerate(hunk_lines) if k != drop]
    if not [t for _, _, t in lines if t.strip()]:
        return Located()  # nothing to anchor on
    top = len(LEVELS) if max_level is None else max_level + 1
    for level in range(top):
        found = _find(index, lines, level, hunk_lines)
        if found:
            loc = _decide(found, level, expected, slack)
            if loc.match is not None and expected and loc.match.anchor not in expected:
                # A unique match away from the header: if a looser level fits exactly where the
                # header says, the two signals disagree (e.g. a dropped context line made the hunk
                # fit a look-alike block elsewhere), and we do not guess between them.
                for looser in range(level + 1, top):
                    other = [m for m in _find(index, lines, looser, hunk_lines)
                             if m.anchor in expected and m.start != loc.match.start]
                    if other:
                        return Located(None, [loc.match, other[0]], level)
            return loc
    return Located()


def _near(m: Match, expected: list[int], slack: int) -> bool:
    """Does the header's line number point at this match?

    `slack` is how many more lines the hunk has than its header counts (negative: fewer). Lines the
    hunk lost before its first line put the header's start up to that many lines earlier; lines it
    gained (hallucinated) put it later. Beyond 3 the counts say nothing useful.
    """
    d = max(-3, min(3, slack))
    return any(m.anchor + k in expected for k in range(min(0, d), max(0, d) + 1))


def _decide(found: list[Match], level: int, expected: list[int], slack: int = 0) -> Located:
    by_start: dict[int, Match] = {}
    for m in found:
        by_start.setdefault(m.start, m)
    found = list(by_start.values())
    if len(found) == 1:
        return Located(found[0], found, level)
    near = [m for m in found if _near(m, expected, slack)]
    if len(near) == 1:  # the header's line number breaks the tie, and only then
        return Located(near[0], found, level)
    return Located(None, found, level)


def _find(index: FileIndex, lines: list[tuple[int, str, str]], level: int, full) -> list[Match]:
    if level < CONTIGUOUS:
        return _find_block(index, lines, level)
    if level == LEVELS.index("trimmed"):
        return _find_trimmed(index, lines, level, full)
    return _find_aligned(index, lines, level, full, nonblank_skips=int(level >= LEVELS.index("context-lines")))


def _find_block(index: FileIndex, lines, level: int) -> list[Match]:
    keys = index.keys(level)
    kf = key_for(level)
    want = [kf(t) for _, _, t in lines]
    out = []
    n, m = len(keys), len(want)
    for s in index.positions(level, want[0]):
        if s + m <= n and keys[s:s + m] == want:
            pairs = [(hi, s + j) for j, (hi, _, _) in enumerate(lines)]
            mt = Match(s, s + m, level, pairs, s)
            if level >= 2:
                mt.indent = indent_map([(t, index.lines[s + j]) for j, (_, _, t) in enumerate(lines)])
                if mt.indent is None:
                    continue
            out.append(mt)
    return out


def _find_trimmed(index: FileIndex, lines, level: int, full) -> list[Match]:
    # Only context before the first change and after the last one may go (counted in the full
    # hunk, so a pure insertion keeps at least one neighbour on each side of what it inserts).
    first = next((i for i, (k, _) in enumerate(full) if k != " "), len(full))
    last = next((i for i in range(len(full) - 1, -1, -1) if full[i][0] != " "), -1)
    lead = sum(1 for hi, _, _ in lines if hi < first)
    trail = sum(1 for hi, _, _ in lines if hi > last)
    for total in range(1, 2 * MAX_TRIM + 1):
        found: list[Match] = []
        for a in range(0, min(MAX_TRIM, lead, total) + 1):
            b = total - a
            if b > min(MAX_TRIM, trail) or a + b >= len(lines):
                continue
            part = lines[a:len(lines) - b]
            if sum(1 for _, _, t in part if t.strip()) < 2:
                continue
            for m in _find_aligned(index, part, level, full, nonblank_skips=1):
                # A trimmed line found a little away only matters when nothing kept on its side pins
                # the change: a matched non-blank context line between them puts any missing lines
                # beyond that line, where they change nothing about where the edit goes.
                matched = {hi for hi, _ in m.pairs}
                head_pinned = any(t.strip() and hi in matched for hi, _, t in lines[a:lead])
                tail_pinned = any(t.strip() and hi in matched for hi, _, t in lines[len(lines) - trail:len(lines) - b])
                if _trimmed_nearby(index, [] if head_pinned else lines[:a],
                                   [] if tail_pinned else lines[len(lines) - b:], m, level):
                    continue
                if not _distinctive(index, level, [full[hi][1] for hi, _ in m.pairs]):
                    continue
                if _whole_elsewhere(index, level, lines, m):
                    continue
                m.anchor -= a
                m.trimmed = (a, b)
                found.append(m)
        if found:
            return found
    return []


def _distinctive(index: FileIndex, level: int, texts: list[str]) -> bool:
    """What is left of a trimmed hunk: three non-blank lines, or two with one found nowhere else.

    Two common lines in a row (`out = []`, `for ...`) recur in a file; once the hunk's edges are
    gone they do not tell one copy from another.
    """
    kf = key_for(level)
    keys = [kf(t) for t in texts if t.strip()]
    return len(keys) >= 3 or any(len(index.positions(level, k)) == 1 for k in keys)


def _whole_elsewhere(index: FileIndex, level: int, lines, m: Match, gap: int = 2) -> bool:
    """Does the untrimmed hunk fit elsewhere with a line or two lost? Then that place explains the
    trimmed lines as well as this one explains them away, and neither is a safe guess."""
    kf = key_for(level)
    want = [kf(t) for _, _, t in lines if t.strip()]
    keys = index.keys(level)
    for p in index.positions(level, want[0]) if want else []:
        if m.start - len(lines) <= p <= m.end:
            continue
        it = iter(keys[p:p + len(lines) + gap])
        if all(any(k == w for k in it) for w in want):
            return True
    return False


def _trimmed_nearby(index: FileIndex, head, tail, m: Match, level: int, gap: int = 6) -> bool:
    """Are the trimmed-off context lines in the file a little away from the match?

    Then they were not wrong, lines are missing between them and the change, and where the change
    goes relative to those missing lines is unknown.
    """
    keys = index.keys(level)
    kf = key_for(level)

    def block_at(want: list[str], lo: int, hi: int) -> bool:
        want = [w for w in want if w]
        if not want:
            return False
        it = iter(keys[max(0, lo):min(len(keys), hi)])
        return all(any(k == w for k in it) for w in want)  # in order, gaps allowed

    head_keys = [kf(t) for _, _, t in head]
    tail_keys = [kf(t) for _, _, t in tail]
    if head_keys and block_at(head_keys, m.start - len(head) - gap, m.start):
        return True
    return bool(tail_keys) and block_at(tail_keys, m.end, m.end + len(tail) + gap)


def _find_aligned(index: FileIndex, lines, level: int, full, *, nonblank_skips: int) -> list[Match]:
    """Align the hunk to the file allowing missing/extra blank lines (and a few non-blank ones).

    A file line the hunk lacks is only skipped between two context lines that are adjacent in
    the hunk: anywhere near a + or - line it would make the edit's place a guess.
    """
    keys = index.keys(level)
    kf = key_for(level)
    want = [kf(t) for _, _, t in lines]
    # Blank context lines at the edges (before the first change, after the last) carry no anchor.
    first = next((x for x, (k, _) in enumerate(full) if k != " "), len(full))
    last = max((x for x, (k, _) in enumerate(full) if k != " "), default=-1)
    lo, hi = 0, len(lines)
    while lo < hi and lines[lo][1] == " " and not want[lo] and lines[lo][0] < first:
        lo += 1
    while hi > lo and lines[hi - 1][1] == " " and not want[hi - 1] and lines[hi - 1][0] > last:
        hi -= 1
    if lo >= hi:
        return []
    lines, want = lines[lo:hi], want[lo:hi]
    if len(lines) > 300:
        return []  # the search recurses per line; hunks this long are matched as blocks or not at all
    out = []
    for s in index.positions(level, want[0]):
        res = align(keys, lines, want, s, full, nonblank_skips)
        if res is None:
            continue
        steps, end, skipped = res
        pairs = [(h, f) for h, f, extra in steps if not extra]
        extras = [(h, f) for h, f, extra in steps if extra]
        side = {k for _, k, _ in lines}
        if (loose_insertion(full, pairs, side) or not anchored(full, pairs, side)
                or blank_slide(full, pairs, side)):
            continue
        if skipped and not enough_matched(index, level, lines, want, pairs, extras):
            continue
        mt = Match(s, end, level, pairs, s - lo, extras=extras)
        mt.indent = indent_map([(full[hi_][1], index.lines[fi]) for hi_, fi in pairs])
        if mt.indent is None:
            continue
        out.append(mt)
    return out

