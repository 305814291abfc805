"""Place every hunk of one file by content, then build the new text; any rejection keeps the file."""

from __future__ import annotations

from agent.patch.align import blank_removal_guess, blank_run_guess
from agent.patch.indent import UnsureIndent, added_texts
from agent.patch.match import CONTIGUOUS, LEVELS, FileIndex, Located, Match, key_for, locate
from agent.patch.numbered import MixedNumbers, strip_line_numbers
from agent.patch.parse import Hunk
from agent.patch.report import (
    ALREADY,
    APPLIED,
    REJECTED,
    FileResult,
    HunkResult,
    candidates_text,
    closest_region,
    level_name,
)
from agent.patch.textio import TextFile

_ALIGNED = LEVELS.index("blank-lines")


def apply_hunks(tf: TextFile, hunks: list[Hunk], fr: FileResult) -> TextFile | None:
    index = FileIndex(tf.lines)
    placed: list[tuple[Match, Hunk, HunkResult]] = []
    offset = 0
    cursor = 0  # where the previous hunk ended: apply_patch anchors are searched from there
    for hunk, hr in zip(hunks, fr.hunks, strict=True):
        if not _strip_numbers(hunk, hr, tf.lines):
            continue
        if not hunk.old_lines and (hunk.anchors or hunk.at_eof):
            m = _insertion_at_anchor(index, hunk, cursor)
            if m is None:
                hr.status = REJECTED
                hr.reason = "no match: its @@ anchor line is not in the file (after the previous hunk)"
                hr.detail = "Give the anchor line exactly as the file has it, or a few unchanged context lines."
                continue
            hr.level, hr.line, cursor = level_name(0), m.start + 1, m.end
            placed.append((m, hunk, hr))
            continue
        expected = []
        if hunk.old_start is not None:
            base = hunk.old_start - 1 if hunk.old_len else hunk.old_start
            expected = [base, base + offset]
        slack = len(hunk.old_lines) - hunk.old_len if hunk.old_len is not None else 0
        loc = locate(index, hunk.lines, expected, slack=slack)
        if loc.ambiguous and (hunk.anchors or hunk.at_eof):
            loc = _narrow(index, hunk, loc, cursor)
        has_plus = any(k == "+" and t.strip() for k, t in hunk.lines)
        if loc.match is not None and (loc.level < _ALIGNED or not has_plus):
            pass
        elif has_plus and not loc.ambiguous:
            done = locate(index, hunk.lines, expected, side="new", max_level=_ALIGNED - 1)
            if done.match is not None or done.candidates:
                hr.status, hr.level = ALREADY, level_name(done.level)
                hr.line = (done.match or done.candidates[0]).start + 1
                continue
        if loc.match is None:
            hr.status = REJECTED
            old = hunk.old_lines
            if loc.ambiguous:
                hr.reason = f"ambiguous: the context matches {len(loc.candidates)} places equally well"
                hr.detail = candidates_text(index, sorted(m.start for m in loc.candidates), len(old))
            elif not [t for t in old if t.strip()]:
                hr.reason = "no context: the hunk has no context or '-' lines to find its place by"
                hr.detail = "Include a few unchanged lines around the change as context (' ' lines)."
            else:
                hr.reason = "no match: its context and '-' lines are not in the file"
                hr.detail = closest_region(index, old)
            continue
        m = loc.match
        if _loose_edge(hunk, m, len(tf.lines)):
            hr.status = REJECTED
            hr.reason = ("uncertain: the added lines at the hunk's edge have no context to pin them, and "
                         "the header counts do not show that no context is missing")
            hr.detail = ("Give a few unchanged lines on both sides of the added lines.\n"
                         + closest_region(index, hunk.old_lines))
            continue
        # Blank-line placement is a guess only when lines may be lost: not for a SEARCH text or an
        # apply_patch chunk found as one contiguous block (the format says it is all there).
        guess = None if hunk.whole and m.level < CONTIGUOUS else (
            blank_run_guess(hunk.lines, m.pairs, m.start, tf.lines)
            or blank_removal_guess(hunk.lines, m.pairs, tf.lines))
        if guess is not None:
            hr.status = REJECTED
            hr.reason = (f"uncertain: the hunk shows {guess[0]} blank line(s) around added lines where "
                         f"the file has {guess[1]}, so where the change goes among blank lines is unknown")
            hr.detail = ("Include the blank lines around the added lines as context, exactly as many as "
                         "the file has, and the unchanged non-blank line on each side.\n"
                         + closest_region(index, hunk.old_lines))
            continue
        if m.indent is not None and not m.indent.identity:
            try:
                m.added = added_texts(hunk.lines, m.pairs, tf.lines, m.indent)
            except UnsureIndent as e:
                hr.status = REJECTED
                hr.reason = ("uncertain: the hunk's context is indented differently from the file, and "
                             f"added line {e.args[0].strip()[:60]!r} could be in either style")
                hr.detail = ("Copy the context lines exactly as the file has them (same tabs or spaces) "
                             "and indent the added lines the same way.\n" + closest_region(index, hunk.old_lines))
                continue
        _keep_file_text(hunk, m, tf.lines)
        hr.level, hr.line, cursor = level_name(m.level), m.start + 1, m.end
        if hunk.old_start is not None:
            offset = m.anchor - (hunk.old_start - 1)
        placed.append((m, hunk, hr))
    if any(h.status == REJECTED for h in fr.hunks):
        return None
    placed.sort(key=lambda x: (x[0].start, x[0].end))
    for (a, _, ha), (b, _, hb) in zip(placed, placed[1:], strict=False):
        if b.start < a.end:
            for h in (ha, hb):
                h.status = REJECTED
                h.reason = f"overlap: hunks {ha.index} and {hb.index} change the same lines"
                h.detail = "Merge them into one hunk, or send them against the file as it is now."
            return None
    return _build(tf, placed)


def _keep_file_text(hunk: Hunk, m: Match, lines: list[str]) -> None:
    """A SEARCH/REPLACE line changed only in slips (indentation, trailing space, curly quotes): each
    part the model left as its search line had it is the file's, each part it changed is its own.
    A model copies its search text, slips and all, into the replacement; it means no change there.
    Besides the pairs the block's two sides line up as, an added line that is an exact copy of a
    removed line the model mis-copied is that line moved: it gets the file's text too."""
    if not hunk.copied:
        return
    at = dict(m.pairs)
    miscopied = {}
    for x, (kind, text) in enumerate(hunk.lines):
        if kind == "-" and x in at and lines[at[x]] != text:
            miscopied.setdefault(text, x)
    for plus, (kind, text) in enumerate(hunk.lines):
        minus = hunk.soft.get(plus)
        if minus is None and kind == "+":
            minus = miscopied.get(text)
        if minus is None or minus not in at:
            continue
        if lines[at[minus]] == hunk.lines[minus][1]:  # a faithful search line: the change is meant...
            if _parts(text)[:2] == _parts(lines[at[minus]])[:2] and _parts(text)[2]:
                m.added[plus] = lines[at[minus]]  # ...unless it only adds trailing whitespace
            continue
        old, new, here = (_parts(t) for t in (hunk.lines[minus][1], text, lines[at[minus]]))
        shifted = _parts(m.added.get(plus, text))
        # A part the search line got wrong is the file's: the model's copy of it is no evidence.
        # Trailing whitespace it may take away, never add (a slip copied from elsewhere).
        m.added[plus] = "".join((here[0] if old[0] == new[0] else shifted[0],
                                 new[1] if old[1] == here[1] else here[1],
                                 "" if not new[2] else here[2]))


def _parts(t: str) -> tuple[str, str, str]:
    """(indentation, text, trailing whitespace); a whitespace-only line is all trailing whitespace."""
    body = t.strip(" \t")
    if not body:
        return "", "", t
    lead = len(t) - len(t.lstrip(" \t"))
    return t[:lead], body, t[lead + len(body):]


def _strip_numbers(hunk: Hunk, hr: HunkResult, lines: list[str]) -> bool:
    try:
        strip_line_numbers(hunk, lines)
    except MixedNumbers as e:
        hr.status = REJECTED
        hr.reason = ("uncertain: the context carries read_file line numbers ('  12| '), and some added "
                     f"lines do too but not all (e.g. {e.args[0].strip()[:60]!r})")
        hr.detail = "Send the lines without the line-number prefixes read_file shows."
        return False
    return True


def _anchor_end(index: FileIndex, hunk: Hunk, cursor: int) -> int | None:
    """The file line of the hunk's last `@@` anchor, each found after the one before (from cursor)."""
    kf = key_for(2)
    at = cursor - 1
    for anchor in hunk.anchors:
        want = kf(anchor)
        at = next((p for p in index.positions(2, want) if p > at), None)
        if at is None:
            return None
    return at


def _insertion_at_anchor(index: FileIndex, hunk: Hunk, cursor: int) -> Match | None:
    """Where an apply_patch chunk of added lines only goes: after its anchor, or at the end of file."""
    n = len(index.lines)
    if hunk.anchors:
        at = _anchor_end(index, hunk, cursor)
        if at is None:
            return None
        if not hunk.at_eof:
            return Match(at + 1, at + 1, 0, [], at + 1)
    return Match(n, n, 0, [], n)


def _narrow(index: FileIndex, hunk: Hunk, loc: Located, cursor: int) -> Located:
    """Break a tie between equally good places with the hunk's apply_patch markers, as the format
    defines them: `*** End of File` means the place that ends the file; `@@ anchor` lines mean the
    first place after the anchors, each found after the one before."""
    cands = loc.candidates
    if hunk.at_eof:
        cands = [m for m in cands if m.end == len(index.lines)]
    if hunk.anchors:
        at = _anchor_end(index, hunk, cursor)
        after = sorted((m for m in cands if at is not None and m.start > at), key=lambda m: m.start)
        cands = after[:1]
    if len(cands) == 1:
        return Located(cands[0], loc.candidates, loc.level)
    return loc


def _loose_edge(hunk: Hunk, m: Match, n: int) -> bool:
    """Added lines at an edge of a hunk whose header says lines are missing, away from the file's edge.

    With no context on that side, only the missing lines could have said where they go. Without
    counts nothing says no line is missing, so the file's edge must hold them.
    """
    if not hunk.lines or len(hunk.old_lines) == hunk.old_len:
        return False
    return (hunk.lines[-1][0] == "+" and m.end < n) or (hunk.lines[0][0] == "+" and m.start > 0)


def _build(tf: TextFile, placed: list[tuple[Match, Hunk, HunkResult]]) -> TextFile:
    eol = tf.eol
    out_lines: list[str] = []
    out_ends: list[str] = []
    cur = 0
    n = len(tf.lines)
    final_nl = tf.final_newline
    changed: list[tuple[int, int, int, int]] = []

    def keep(i: int) -> None:
        out_lines.append(tf.lines[i])
        out_ends.append(tf.ends[i] or eol)

    for m, hunk, hr in placed:
        while cur < m.start:
            keep(cur)
            cur += 1
        at = dict(m.pairs)
        extras: dict[int, list[int]] = {}
        for hi, fi in m.extras:
            extras.setdefault(hi, []).append(fi)
        old_at, new_at = m.start, len(out_lines)
        for hi, (kind, text) in enumerate(hunk.lines):
            for fi in extras.get(hi, ()):  # file lines the hunk lacks stay right before this line
                while cur <= fi:
                    keep(cur)
                    cur += 1
            if kind == "+":
                out_lines.append(m.added.get(hi, text))
                out_ends.append(eol)
            elif hi in at:
                while cur < at[hi]:  # file lines the hunk's context skipped: kept as they are
                    keep(cur)
                    cur += 1
                if kind == " ":
                    keep(cur)
                cur += 1
        while cur < m.end:
            keep(cur)
            cur += 1
        changed.append((old_at, m.end, new_at, len(out_lines)))
        if m.end >= n:  # the hunk reaches the end: its \ No newline markers decide
            if hunk.new_no_eol:
                final_nl = False
            elif hunk.old_no_eol:
                final_nl = True
        hr.status = APPLIED
    while cur < n:
        keep(cur)
        cur += 1
    if out_lines:
        out_ends[-1] = (tf.ends[-1] or eol) if final_nl else ""
        if final_nl and not out_ends[-1]:
            out_ends[-1] = eol
    return TextFile(out_lines, out_ends, tf.encoding, eol, changed)
