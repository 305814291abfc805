"""Aider-style SEARCH/REPLACE blocks read into the same FilePatch/Hunk objects.

    path/to/file.py
    ```python
    <<<<<<< SEARCH
    text that is in the file now
    =======
    what it becomes
    >>>>>>> REPLACE
    ```

The path is the line before the fence (or before the block; a block right after another one
reuses its path). The search text becomes the hunk's old side and the replacement its new side,
with their common lines as context, so the block is located like any hunk: it must match one place,
with the same tolerance levels. An empty SEARCH creates a new file.
"""

from __future__ import annotations

import difflib
import re

from agent.patch.indent import indent_of
from agent.patch.match import key_for
from agent.patch.parse import FilePatch, Hunk, clean_path

_SEARCH_RE = re.compile(r"^<{5,9} ?SEARCH\s*$")
_DIVIDER_RE = re.compile(r"^={5,9}\s*$")
_REPLACE_RE = re.compile(r"^>{5,9} ?REPLACE\s*$")
_FENCE_RE = re.compile(r"^(```+|~~~+)\s*[\w+.-]*\s*$")


def starts_block(line: str) -> bool:
    return bool(_SEARCH_RE.match(line))


def path_line(lines: list[str], i: int, floor: int) -> tuple[int, str | None]:
    """(index of the first line that belongs to the block, its path or None) for a block at lines[i].

    The path is the nearest non-blank line before the block's opening fence, or the first line
    inside the fence (both styles are common); nothing at or before `floor` is looked at.
    """
    start = i
    if start - 1 >= floor and _FENCE_RE.match(lines[start - 1]):
        start -= 1
    k = start - 1
    while k >= floor and not lines[k].strip():
        k -= 1
    if k < floor or _REPLACE_RE.match(lines[k]) or _FENCE_RE.match(lines[k]):
        return start, None
    path = _clean(lines[k])
    if path is None:
        return start, None
    if start == i and k - 1 >= floor and _FENCE_RE.match(lines[k - 1]):
        return k - 1, path  # ```\npath\n<<<<<<< SEARCH: the fence opens before the path
    return k, path


def _clean(raw: str) -> str | None:
    p = raw.strip().strip("*`'\":").strip()
    for lead in ("# ", "File: ", "file: ", "Path: ", "path: "):
        p = p.removeprefix(lead)
    p = p.strip().strip("*`'\":").strip()
    if not p or " " in p or p.startswith(("<", ">", "=")):
        return None
    return clean_path(p)


def read_block(lines: list[str], i: int, path: str | None, number: int) -> tuple[FilePatch | None, int]:
    """Read the block whose `<<<<<<< SEARCH` is lines[i]; (its file patch, index after it).

    None when the block never reaches its `>>>>>>> REPLACE` (then it is not a block at all).
    """
    j = i + 1
    search: list[str] = []
    while j < len(lines) and not _DIVIDER_RE.match(lines[j]):
        if _REPLACE_RE.match(lines[j]) or _SEARCH_RE.match(lines[j]):
            return None, i + 1
        search.append(lines[j])
        j += 1
    j += 1
    replace: list[str] = []
    while j < len(lines) and not _REPLACE_RE.match(lines[j]):
        if _SEARCH_RE.match(lines[j]) or _DIVIDER_RE.match(lines[j]):
            return None, i + 1
        replace.append(lines[j])
        j += 1
    if j >= len(lines):
        return None, i + 1
    j += 1
    if j < len(lines) and lines[j].strip() in ("```", "~~~", "````"):
        j += 1  # the block's closing fence
    label = f"SEARCH/REPLACE block {number}"
    if not any(s.strip() for s in search):
        fp = FilePatch(None, path, fmt="search-replace")
        fp.hunks.append(Hunk([("+", t) for t in replace], index=1, label=label))
        return fp, j
    fp = FilePatch(path, path, fmt="search-replace")
    # The block says exactly which lines go: nothing is missing at its edges, as counts would say.
    lines, soft = _as_hunk_lines(search, replace)
    fp.hunks.append(Hunk(lines, None, len(search), None, len(replace), index=1, label=label, soft=soft,
                         copied=True, whole=True))
    return fp, j


def _as_hunk_lines(search: list[str], replace: list[str]) -> tuple[list[tuple[str, str]], dict[int, int]]:
    """The block as hunk lines: lines common to both sides are context.

    Sides are compared ignoring trailing whitespace and unicode punctuation (not indentation): a
    model copies its own search text into the replacement, slips and all, and comparing exactly
    would pair repeated lines wrongly. Lines equal only that loosely become a -/+ pair, returned as
    `soft` (added line -> removed line): the engine keeps the file's text for such a line when
    the search line was a mis-copy of the file (a slip, not a change).
    """
    kf = key_for(3)

    def key(t: str) -> str:
        return indent_of(t) + kf(t)

    out: list[tuple[str, str]] = []
    soft: dict[int, int] = {}
    sm = difflib.SequenceMatcher(None, [key(t) for t in search], [key(t) for t in replace], autojunk=False)
    for op, a0, a1, b0, b1 in sm.get_opcodes():
        if op != "equal":
            out.extend(("-", t) for t in search[a0:a1])
            out.extend(("+", t) for t in replace[b0:b1])
            continue
        for old, new in zip(search[a0:a1], replace[b0:b1], strict=True):
            if old == new:
                out.append((" ", old))
            else:
                out.append(("-", old))
                soft[len(out)] = len(out) - 1
                out.append(("+", new))
    return out, soft
