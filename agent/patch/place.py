"""Place every hunk of one file by content, then build the new text; any rejection keeps the file."""

from __future__ import annotations

from agent.patch.align import blank_removal_guess, blank_run_guess
from agent.patch.indent import UnsureIndent, added_texts
from agent.patch.match import LEVELS, FileIndex, Match, locate
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
    for hunk, hr in zip(hunks, fr.hunks, strict=True):
        expected = []
        if hunk.old_start is not None:
            base = hunk.old_start - 1 if hunk.old_len else hunk.old_start
            expected = [base, base + offset]
        slack = len(hunk.old_lines) - hunk.old_len if hunk.old_len is not None else 0
        loc = locate(index, hunk.lines, expected, slack=slack)
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
        guess = (blank_run_guess(hunk.lines, m.pairs, m.start, tf.lines)
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
        hr.level, hr.line = level_name(m.level), m.start + 1
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
