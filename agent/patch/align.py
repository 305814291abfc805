"""The aligned search's depth-first walk and the checks that keep a loose alignment from guessing.

An alignment pairs hunk lines with file lines while allowing blank lines (and a few non-blank
ones) to be missing on either side; the checks refuse any alignment that leaves where added lines
go open to more than one reading.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # match imports this module
    from agent.patch.match import FileIndex


def enough_matched(index: FileIndex, level: int, lines, want, pairs, extras) -> bool:
    """After a non-blank skip, is enough of the hunk matched to trust the place?

    At least two non-blank hunk lines must match. When only two do and a non-blank file line sits
    between them (the hunk lost a line), that pattern alone is weak evidence, so one of the two must
    also occur nowhere else in the file: that line fixes the place by itself, the other confirms it.
    """
    matched_hi = {h for h, _ in pairs}
    matched = [w for (hi, _, _), w in zip(lines, want, strict=True) if w and hi in matched_hi]
    if len(matched) < 2:
        return False
    keys = index.keys(level)
    if len(matched) == 2 and any(keys[f] for _, f in extras):
        return any(len(index.positions(level, w)) == 1 for w in matched)
    return True


def added_runs(full, side_kinds: set[str]):
    """(start, end) of each run of added lines in the hunk (indices into `full`)."""
    x = 0
    while x < len(full):
        if full[x][0] == " " or full[x][0] in side_kinds:
            x += 1
            continue
        y = x
        while y < len(full) and full[y][0] != " " and full[y][0] not in side_kinds:
            y += 1
        yield x, y
        x = y


def loose_insertion(full, pairs: list[tuple[int, int]], side_kinds: set[str]) -> bool:
    """Do kept file lines sit between the matched neighbours of some run of added lines?

    Then the hunk does not say whether the added lines go before or after them.
    """
    at = dict(pairs)
    matched = sorted(at)
    for x, y in added_runs(full, side_kinds):
        before = [h for h in matched if h < x]
        after = [h for h in matched if h >= y]
        if before and after and at[after[0]] - at[before[-1]] > 1:
            return True
    return False


def blank_slide(full, pairs: list[tuple[int, int]], side_kinds: set[str]) -> bool:
    """Do added lines sit between blank lines (context or removed) on both sides, in a run whose
    length the hunk got wrong?

    `X, "", "", +A, "", Y` against two blank lines in the file: one hunk blank is spurious (or one
    is lost), and whether A goes after the first or the second is a guess. With blanks on one side
    only, the non-blank line on the other side pins A, as it does everywhere else.
    """
    at = dict(pairs)

    def blank(h: int) -> bool:
        return full[h][0] in side_kinds and not full[h][1].strip()

    x = 0
    while x < len(full):
        if full[x][0] in side_kinds:
            x += 1
            continue
        y = x
        while y < len(full) and full[y][0] not in side_kinds:
            y += 1
        b, a = x - 1, y
        while b >= 0 and blank(b):
            b -= 1
        while a < len(full) and blank(a):
            a += 1
        before, after = x - 1 - b, a - y
        x = y
        if not before or not after:
            continue
        if b < 0 or a >= len(full) or b not in at or a not in at:
            return True  # nothing to count the blanks against
        if at[a] - at[b] - 1 != before + after or any(h not in at for h in range(b + 1, a) if blank(h)):
            return True
    return False


def anchored(full, pairs: list[tuple[int, int]], side_kinds: set[str]) -> bool:
    """Is every run of added lines pinned on one side by a non-blank line, through matched lines
    that are consecutive in the file? Blank lines alone slide too easily to pin anything."""
    at = dict(pairs)

    def chain(h: int, step: int) -> bool:
        prev = None
        while 0 <= h < len(full) and h in at:
            if prev is not None and at[h] != prev + step:
                return False
            if full[h][1].strip():
                return True
            prev, h = at[h], h + step
        return False

    return all(chain(x - 1, -1) or chain(y, 1) for x, y in added_runs(full, side_kinds))


def align(keys: list[str], lines, want: list[str], start: int, full, budget: int):
    """Depth-first alignment; direct matches first, then blank skips, then non-blank skips."""
    n, m = len(keys), len(lines)
    side_kinds = {k for _, k, _ in lines}
    # changes[x]: how many lines of the other side (+ for the old side) precede full-hunk line x
    changes = [0]
    for k, _ in full:
        changes.append(changes[-1] + (k != " " and k not in side_kinds))
    steps = [0]

    def go(i: int, j: int, last, skipped: int, blanks: int, pairs: list):
        steps[0] += 1
        if steps[0] > 2000:  # pathological blank-line soup: give up rather than search forever
            return None
        if j == m:
            return pairs, i, skipped
        hi, kind, _ = lines[j]
        if i < n and keys[i] == want[j]:
            res = go(i + 1, j + 1, (hi, kind), skipped, blanks,
                     [*pairs, (hi, i, False)])
            if res:
                return res
        extra = [(hi, i, True)] if i < n else []
        options = []
        # A file line the hunk lacks, kept as it is: only after a matched line, with nothing added
        # between the two (else where the added lines go is a guess) and not inside a run of
        # removed lines (would it go too?).
        if (i < n and last is not None and (kind == " " or last[1] == " ")
                and changes[hi] == changes[last[0] + 1]):
            options.append((not keys[i], i + 1, j, extra))
        # A context line of the hunk that the file lacks: dropped.
        if kind == " " and j > 0 and (not want[j] or j + 1 < m):
            options.append((not want[j], i, j + 1, []))
        for blank, ni, nj, ext in sorted(options, key=lambda o: not o[0]):
            if blank and blanks < 3:
                res = go(ni, nj, last, skipped, blanks + 1, [*pairs, *ext])
            elif not blank and skipped < budget:
                res = go(ni, nj, last, skipped + 1, blanks, [*pairs, *ext])
            else:
                continue
            if res:
                return res
        return None

    return go(start, 0, None, 0, 0, [])


def blank_run_guess(full, pairs: list[tuple[int, int]], start: int, file_lines: list[str]) -> tuple[int, int] | None:
    """Does a run of added lines land in a run of blank file lines at a place the hunk does not pin?

    Blank lines are interchangeable, so only counts can say where in a run of L blank file lines
    the added lines go: hb hunk blank lines (context or removed) right before them, ha right after.
    A hunk that lost lines shows fewer blanks (the place is anywhere from hb to L - ha: pinned only
    if hb + ha == L); one that gained blanks shows more (pinned only if one side shows none, and
    the non-blank line there holds the added lines). Anything else is a coin toss, even when a
    non-blank line touches the added lines in the hunk: a blank line between them may be the one
    lost. Returns (blanks the hunk shows, blanks the file has) for such a guess, else None.
    """
    at = dict(pairs)
    matched = sorted(at)
    n = len(file_lines)

    def blank(h: int) -> bool:  # unmatched non-blank lines are not in the file: they separate nothing
        return full[h][0] != "+" and (not full[h][1].strip() or h not in at)

    x = 0
    while x < len(full):
        if full[x][0] != "+":
            x += 1
            continue
        y = x
        while y < len(full) and full[y][0] == "+":
            y += 1
        added = [t for _, t in full[x:y]]
        before = [h for h in matched if h < x]
        g = at[before[-1]] + 1 if before else start  # the added lines go right before file line g
        s, e = g, g
        while s > 0 and not file_lines[s - 1].strip():
            s -= 1
        while e < n and not file_lines[e].strip():
            e += 1
        b, a = x - 1, y
        while b >= 0 and blank(b):
            b -= 1
        while a < len(full) and blank(a):
            a += 1
        hb = sum(1 for h in range(b + 1, x) if not full[h][1].strip())
        ha = sum(1 for h in range(y, a) if not full[h][1].strip())
        run, k = e - s, g - s
        x = y
        if not run and not hb + ha:
            continue  # non-blank lines on both sides: loose_insertion and anchored judge those
        if run and len(set(added) | set(file_lines[s:e])) == 1:
            continue  # only blank lines into a blank run: every place gives the same text
        if hb + ha == run and k == hb:
            continue
        # More blanks than the file has: some are spurious, and the side showing none holds the
        # added lines, if the file's run ends at the hunk's non-blank line on the other side (else
        # lines lost on the side showing none explain it as well).
        closed_b = b >= 0 and at.get(b) == s - 1
        closed_a = a < len(full) and at.get(a) == e
        if hb + ha > run and ((ha == 0 and k == run and closed_b) or (hb == 0 and k == 0 and closed_a)):
            continue
        return hb + ha, run
    return None


def blank_removal_guess(full, pairs: list[tuple[int, int]], file_lines: list[str]) -> tuple[int, int] | None:
    """Do removed blank lines (with nothing added there) come from a blank run the hunk does not pin?

    Which blank line of one run goes makes no difference; which run it comes from does. The run is
    pinned when the hunk's non-blank lines on both sides hold it, or when the hunk shows exactly as
    many blank lines there as the file has. Returns (blanks the hunk shows, blanks the file has).
    """
    at = dict(pairs)
    x = 0
    while x < len(full):
        if full[x][0] == " ":
            x += 1
            continue
        y = x
        while y < len(full) and full[y][0] != " ":
            y += 1
        run_lines = full[x:y]
        x, y0 = y, x
        if any(k == "+" or t.strip() for k, t in run_lines) or y0 not in at:
            continue
        b, a = y0 - 1, y
        while b >= 0 and full[b][0] != "+" and not full[b][1].strip():
            b -= 1
        while a < len(full) and full[a][0] != "+" and not full[a][1].strip():
            a += 1
        s = e = at[y0]
        while s > 0 and not file_lines[s - 1].strip():
            s -= 1
        while e < len(file_lines) and not file_lines[e].strip():
            e += 1
        shown = a - b - 1
        inside = all(s <= at[h] < e for h in range(b + 1, a) if h in at)
        closed = b >= 0 and at.get(b) == s - 1 and a < len(full) and at.get(a) == e
        if not inside or not (closed or shown == e - s):
            return shown, e - s
    return None
