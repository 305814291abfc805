"""What apply_patch did, per file and hunk, as text for the model/person and as JSON."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from agent.patch.match import LEVELS, FileIndex, key_for

APPLIED = "applied"
ALREADY = "already-applied"
REJECTED = "rejected"
SKIPPED = "not-applied"  # fine on its own, but another hunk or file failed


@dataclass
class HunkResult:
    index: int
    header: str
    status: str = SKIPPED
    level: str | None = None  # which matching level was needed
    line: int | None = None  # 1-based line in the original file where it applied
    reason: str | None = None  # why rejected: no-match / ambiguous / overlap / ...
    detail: str = ""  # closest region or candidate places, for the next attempt

    def to_dict(self) -> dict:
        return {"index": self.index, "header": self.header, "status": self.status, "level": self.level,
                "line": self.line, "reason": self.reason, "detail": self.detail or None}


@dataclass
class FileResult:
    path: str
    action: str  # modify / create / delete / rename / mode
    old_path: str | None = None
    hunks: list[HunkResult] = field(default_factory=list)
    error: str | None = None  # a file-level refusal (binary, path escape, syntax error, ...)
    status: str = SKIPPED

    @property
    def ok(self) -> bool:
        return self.error is None and all(h.status in (APPLIED, ALREADY) for h in self.hunks)

    def to_dict(self) -> dict:
        return {"path": self.path, "old_path": self.old_path, "action": self.action, "status": self.status,
                "ok": self.ok, "error": self.error, "hunks": [h.to_dict() for h in self.hunks]}


@dataclass
class PatchResult:
    files: list[FileResult] = field(default_factory=list)
    changed_paths: list[str] = field(default_factory=list)
    check: bool = False
    error: str | None = None  # the diff as a whole could not be used

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.files) and all(f.ok for f in self.files)

    def to_dict(self) -> dict:
        return {"ok": self.ok, "check": self.check, "error": self.error, "changed_paths": self.changed_paths,
                "files": [f.to_dict() for f in self.files]}

    def render(self) -> str:
        out: list[str] = []
        if self.error:
            out.append(f"Patch not applied: {self.error}")
        for f in self.files:
            name = f"{f.old_path} -> {f.path}" if f.old_path and f.old_path != f.path else f.path
            state = "ok" if f.ok else "FAILED"
            if f.ok and self.check:
                state = "ok (check only, not written)"
            elif f.ok and not self.ok:
                state = "ok on its own, not written because another part failed"
            out.append(f"{name}: {f.action} - {state}")
            if f.error:
                out.extend("  " + ln for ln in f.error.rstrip().split("\n"))
            written = not self.check and self.ok
            for h in f.hunks:
                out.append("  " + _hunk_line(h, written))
                if h.detail and h.status == REJECTED:
                    out.extend("    " + ln for ln in h.detail.rstrip().split("\n"))
        if self.ok:
            n = len(self.changed_paths)
            out.append("Checked: the patch applies cleanly." if self.check
                       else f"Applied: {n} file{'s' if n != 1 else ''} changed.")
        elif self.files or not self.error:
            out.append("Nothing was changed on disk: fix the rejected parts and send the whole diff again.")
        return "\n".join(out)


def _hunk_line(h: HunkResult, written: bool = True) -> str:
    where = f" at line {h.line}" if h.line else ""
    if h.status == APPLIED:
        how = "" if h.level == "exact" else f" (matched with level '{h.level}')"
        verb = "applied" if written else "applies"
        return f"hunk {h.index} {h.header}: {verb}{where}{how}{'' if written else ', not written'}"
    if h.status == ALREADY:
        return f"hunk {h.index} {h.header}: already applied{where} (its + lines are already there); skipped"
    if h.status == SKIPPED:
        return f"hunk {h.index} {h.header}: would apply{where}, not written"
    return f"hunk {h.index} {h.header}: REJECTED - {h.reason}"


def numbered(lines: list[str], start: int, end: int, mark: set[int] | None = None) -> str:
    """Lines [start, end) of a file with 1-based numbers; `mark` flags lines that differ."""
    width = len(str(max(end, 1)))
    out = []
    for i in range(max(0, start), min(end, len(lines))):
        flag = ">" if mark and i in mark else " "
        out.append(f"{flag}{i + 1:>{width}} | {lines[i]}")
    return "\n".join(out)


def closest_region(index: FileIndex, old: list[str]) -> str:
    """Where the file looks most like the hunk's old side, with the first line that differs."""
    lines = index.lines
    if not lines:
        return "The file is empty."
    if not old:
        return ""
    keys = index.keys(3)
    kf = key_for(3)
    want = [kf(t) for t in old]
    votes: dict[int, int] = {}
    for j, w in enumerate(want):
        if not w:
            continue
        for i in index.positions(3, w)[:200]:
            votes[i - j] = votes.get(i - j, 0) + 1
    if votes:
        best = max(votes, key=lambda s: (votes[s], -abs(s)))
        score = votes[best] / max(1, sum(1 for w in want if w))
    else:  # no line in common: fall back to fuzzy similarity of the text
        best, score = _fuzzy_best(keys, want), 0.0
    start = max(0, best)
    end = min(len(lines), best + len(old))
    if end <= start:
        end = min(len(lines), start + max(1, len(old)))
    mark = {start + j for j in range(end - start)
            if 0 <= best + j < len(lines) and j < len(want) and keys[best + j] != want[j] and best + j >= start}
    text = [f"Closest region of the current file (lines {start + 1}-{end}; '>' marks lines that differ "
            f"from the hunk's context/- lines):",
            numbered(lines, start - 2, end + 2, mark)]
    diff = _first_difference(lines, best, old)
    if diff:
        text.append(diff)
    if score < 0.5:
        text.append("(Weak resemblance: re-read the file before writing the hunk again.)")
    return "\n".join(text)


def _fuzzy_best(keys: list[str], want: list[str]) -> int:
    target = "\n".join(want)
    best, best_ratio = 0, -1.0
    step = max(1, len(keys) // 400)  # bounded work on very large files
    for s in range(0, max(1, len(keys) - len(want) + 1), step):
        r = difflib.SequenceMatcher(None, "\n".join(keys[s:s + len(want)]), target).quick_ratio()
        if r > best_ratio:
            best, best_ratio = s, r
    return best


def _first_difference(lines: list[str], best: int, old: list[str]) -> str:
    for j, want in enumerate(old):
        i = best + j
        if 0 <= i < len(lines) and lines[i] != want:
            return (f"First difference: the hunk expects {want!r} but line {i + 1} is {lines[i]!r}.")
    return ""


def candidates_text(index: FileIndex, starts: list[int], length: int) -> str:
    shown = ", ".join(str(s + 1) for s in starts[:8]) + (" ..." if len(starts) > 8 else "")
    parts = [f"The context matches equally well at lines {shown}. Add more distinctive context lines "
             f"(or fix the @@ line numbers) so only one place fits:"]
    for s in starts[:3]:
        parts.append(numbered(index.lines, s - 1, s + min(length, 6) + 1))
        parts.append("    ...")
    return "\n".join(parts[:-1])


def level_name(level: int | None) -> str | None:
    return None if level is None else LEVELS[level]
