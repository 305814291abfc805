"""Turn ranked files into map text that fits a token budget.

Each file's block is rendered and counted once, then blocks are taken in rank order until the
budget is spent; the first block that does not fit is cut down to its best-ranked definitions.
Only the final text is counted again, as a check, so the cost is one pass whatever the budget.

Tokens are counted with tiktoken's o200k_base when its BPE file is already on disk (tiktoken
downloads it on first use, and we never want a network call inside the agent), otherwise with
a characters-per-token ratio calibrated against o200k_base on map text (see bench/repomap_bench.py).
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

# Map text averages 4.0 characters per o200k_base token on Django's maps (bench/repomap_bench.py)
# but 3.7-3.8 on smaller projects' (bench/repomap_rank_bench.py counts them); 3.6 so that the
# estimate errs a little high, never over budget.
CHARS_PER_TOKEN = 3.6
_O200K_URL = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"


def tokenizer_on_disk() -> bool:
    """Whether o200k_base can load without the network (cheap: one stat, nothing imported)."""
    cache_dir = (os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ.get("DATA_GYM_CACHE_DIR")
                 or os.path.join(tempfile.gettempdir(), "data-gym-cache"))
    return os.path.isfile(os.path.join(cache_dir, hashlib.sha1(_O200K_URL.encode()).hexdigest()))


@cache
def _encoder():
    """tiktoken's o200k_base if it can load without the network, else None."""
    if not tokenizer_on_disk():
        return None
    try:
        import tiktoken

        return tiktoken.get_encoding("o200k_base")
    except Exception:  # any failure just means: estimate instead
        return None


def count_tokens(text: str) -> int:
    enc = _encoder()
    if enc is not None:
        return len(enc.encode_ordinary(text))
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def tokenizer_name() -> str:
    return "o200k_base" if _encoder() is not None else f"estimate ({CHARS_PER_TOKEN} chars/token)"


@dataclass
class FileView:
    """One file as the renderer sees it: its definitions and how much each matters."""

    path: str
    rank: float
    defs: list[tuple] = field(default_factory=list)  # (name, kind, line, depth, signature)
    scores: list[float] = field(default_factory=list)  # one per def


def _lines(view: FileView, keep: list[int]) -> list[str]:
    lines = [view.path + (":" if view.defs else "")]
    for i in keep:
        d = view.defs[i]
        lines.append("  " * (d[3] + 1) + d[4])
    if len(keep) < len(view.defs):
        lines.append(f"  … {len(view.defs) - len(keep)} more")
    return lines


def _with_parents(view: FileView, chosen: set[int]) -> list[int]:
    """The chosen definitions plus the classes around them, in source order."""
    keep = set(chosen)
    for i in chosen:
        depth = view.defs[i][3]
        for j in range(i - 1, -1, -1):
            if depth == 0:
                break
            if view.defs[j][3] < depth:
                keep.add(j)
                depth = view.defs[j][3]
    return sorted(keep)


def _cut(view: FileView, left: int) -> list[int] | None:
    """The best-ranked definitions of a file (with their classes) that fit in `left` tokens."""
    header = count_tokens(view.path + ":\n")
    if header + 4 > left:
        return None
    chosen: set[int] = set()
    spent = header + 4  # the "… N more" line
    for i in sorted(range(len(view.defs)), key=lambda i: -view.scores[i]):
        cost = count_tokens("  " * (view.defs[i][3] + 1) + view.defs[i][4] + "\n")
        if spent + cost > left:
            break
        chosen.add(i)
        spent += cost
    keep = _with_parents(view, chosen)
    while keep and count_tokens("\n".join(_lines(view, keep)) + "\n") > left:
        keep.pop()  # the parents pushed it over: drop the last
    return keep


FILE_CAP = (64, 0.12, 192)  # tokens one file may take: at least, share of the budget, at most
PINNED_CAP = 2  # times that for a file the task names


def fit(views: Iterable[FileView], budget: int,
        pinned: int = 0) -> tuple[str, list[tuple[FileView, list[int]]]]:
    """The map text within `budget` tokens, and which definitions of which files it shows.

    One file may take at most FILE_CAP's share of the budget, within its bounds (the first
    `pinned` files, those the task names, PINNED_CAP times that), so a 300-method module cannot
    crowd out the rest of the map: a dozen files with their best definitions tell the model
    more than four files in full, and a bigger budget buys more files rather than longer ones.
    """
    out: list[str] = []
    shown: list[tuple[FileView, list[int]]] = []
    left = budget
    for n, view in enumerate(views):
        if left < 4:
            break
        every = list(range(len(view.defs)))
        block = "\n".join(_lines(view, every)) + "\n"
        cost = count_tokens(block)
        low, share, high = FILE_CAP
        cap = max(min(int(budget * share), high), low) * (PINNED_CAP if n < pinned else 1)
        if cost <= min(left, cap):
            keep = every
        elif not view.defs:
            continue  # a shorter path further down may still fit
        else:
            keep = _cut(view, min(left, cap))
            if keep is None:
                break
            block = "\n".join(_lines(view, keep)) + "\n"
            cost = count_tokens(block)
            if cap >= left:
                out.append(block)
                shown.append((view, keep))
                break  # the budget, not the cap, cut this file: the map is full
        out.append(block)
        shown.append((view, keep))
        left -= cost
    text = "".join(out)
    # Blocks counted apart can differ by a token or so from the whole; trim if that tipped it.
    while out and count_tokens(text) > budget:
        out.pop()
        shown.pop()
        text = "".join(out)
    return text, shown
