"""The patch benchmark's other edit formats: the same (damaged) hunks written as a model would in
each format apply_diff takes.

    apply_patch      *** Begin Patch / *** Update File: path / @@ anchor / *** End of File / *** End Patch
    search-replace   the path, then one fenced <<<<<<< SEARCH / ======= / >>>>>>> REPLACE block per hunk
    numbered         a unified diff whose context and removed lines carry read_file's `  12| ` prefixes
    mixed            the hunks split among unified, apply_patch and SEARCH/REPLACE, in one text

Each renderer takes the benchmark's Diff after damage; `number_lines` runs before damage (the
numbers are read_file's, of the file as it was).
"""

from __future__ import annotations

import random
import re

FORMATS = ["apply_patch", "search-replace", "numbered", "mixed"]
# Damage kinds per format (patch_bench.DAMAGE names, plus format-specific ones handled here).
FORMAT_KINDS = {
    "apply_patch": ["clean", "trailing-ws", "indent-shift", "unicode-punct", "missing-context", "extra-context",
                    "fenced-prose", "no-end-marker", "combined"],
    "search-replace": ["clean", "trailing-ws", "indent-shift", "unicode-punct", "missing-context",
                       "extra-context", "fenced-prose", "combined"],
    "numbered": ["clean", "no-numbers", "line-numbers", "trailing-ws", "unicode-punct", "missing-context",
                 "fenced-prose", "blank-prefix-stripped", "combined"],
    "mixed": ["clean", "trailing-ws", "unicode-punct", "fenced-prose", "combined"],
}
COMBINABLE = {
    "apply_patch": ["trailing-ws", "indent-shift", "unicode-punct", "missing-context", "extra-context",
                    "fenced-prose", "no-end-marker"],
    "search-replace": ["trailing-ws", "indent-shift", "unicode-punct", "missing-context", "extra-context",
                       "fenced-prose"],
    "numbered": ["no-numbers", "line-numbers", "trailing-ws", "unicode-punct", "missing-context",
                 "fenced-prose", "blank-prefix-stripped"],
    "mixed": ["trailing-ws", "unicode-punct", "fenced-prose"],
}
OWN_DAMAGE = {"no-end-marker", "blank-prefix-stripped"}  # applied by the renderers, not to the Diff
_ANCHOR = re.compile(r"^\s*(async def|def|class|function|func|fn|pub fn|impl)\b")
_PROSE_BEFORE = "Sure! Here is the change you asked for:\n\n"
_PROSE_AFTER = "\nThis updates the file as requested; let me know if anything else is needed.\n"


def number_lines(d, before: str) -> None:
    """Give every context and removed line read_file's prefix for its line number in `before`."""
    width = max(4, len(str(len(before.split("\n")))))
    for h in d.hunks:
        num = h.old if h.old_len else h.old + 1
        for i, ln in enumerate(h.body):
            if ln[:1] in " -":
                h.body[i] = f"{ln[0]}{num:>{width}}| {ln[1:]}"
                num += 1


def add_trailing_ws(d, rng: random.Random) -> None:
    """trailing-ws for these formats only adds whitespace: stripping it from a removed line whose
    change was only that whitespace would turn the change into an identical SEARCH and REPLACE
    line, which says "no change" in those formats (it stays a -/+ pair in a unified diff)."""
    for h in d.hunks:
        for i, ln in enumerate(h.body):
            if ln[:1] in " -" and rng.random() < 0.5:
                h.body[i] = ln + rng.choice([" ", "  ", "\t", "   "])


def _strip_blank_prefixes(d) -> None:
    for h in d.hunks:
        h.body = [ln[0] + ln[1:].rstrip() if ln[:1] == " " else ln for ln in h.body]


def _anchor(before_lines: list[str], start: int) -> str:
    """The nearest def/class line above a hunk's first line, as a model would write after @@."""
    for i in range(min(start, len(before_lines)) - 1, max(-1, start - 200), -1):
        if _ANCHOR.match(before_lines[i]):
            return before_lines[i].strip()
    return ""


def _wrap(text: str, fenced: bool, fence: bool = True) -> str:
    if not fenced:
        return text
    body = f"```\n{text.rstrip(chr(10))}\n```\n" if fence else text
    return _PROSE_BEFORE + body + _PROSE_AFTER


def _body(h) -> list[str]:
    return [ln for ln in h.body if not ln.startswith("\\")]


def render_apply_patch(d, path: str, before: str, hunks=None, end_marker: bool = True) -> str:
    before_lines = before.split("\n")
    n_before = len(before.split("\n")) - (1 if before.endswith("\n") else 0)
    out = ["*** Begin Patch", f"*** Update File: {path}"]
    for h in d.hunks if hunks is None else hunks:
        anchor = _anchor(before_lines, h.old - 1)
        out.append(f"@@ {anchor}" if anchor else "@@")
        out.extend(_body(h))
        if h.old - 1 + h.old_len >= n_before and h.old_len:
            out.append("*** End of File")
    if end_marker:
        out.append("*** End Patch")
    return "\n".join(out) + "\n"


def render_search_replace(d, path: str, hunks=None) -> str:
    out = []
    for h in d.hunks if hunks is None else hunks:
        body = _body(h)
        search = [ln[1:] for ln in body if ln[:1] in " -"]
        replace = [ln[1:] for ln in body if ln[:1] in " +"]
        out += [path, "```", "<<<<<<< SEARCH", *search, "=======", *replace, ">>>>>>> REPLACE", "```", ""]
    return "\n".join(out)


def render_unified(d, hunks) -> str:
    return "\n".join([f"--- {d.old_path}", f"+++ {d.new_path}", *(h.render() for h in hunks)]) + "\n"


def render(fmt: str, d, path: str, before: str, kinds: list[str], rng: random.Random) -> str:
    if fmt == "apply_patch":
        text = render_apply_patch(d, path, before, end_marker="no-end-marker" not in kinds)
        return _wrap(text, d.fenced)
    if fmt == "search-replace":
        return _wrap(render_search_replace(d, path), d.fenced, fence=False)
    if fmt == "numbered":
        if "blank-prefix-stripped" in kinds:
            _strip_blank_prefixes(d)
        return _wrap(render_unified(d, d.hunks), d.fenced)
    parts = []  # mixed: runs of hunks, each run in a format picked at random
    i = 0
    while i < len(d.hunks):
        j = min(len(d.hunks), i + rng.randint(1, 3))
        pick = rng.choice(["unified", "apply_patch", "search-replace"])
        run = d.hunks[i:j]
        if pick == "unified":
            parts.append(render_unified(d, run))
        elif pick == "apply_patch":
            parts.append(render_apply_patch(d, path, before, run))
        else:
            parts.append(render_search_replace(d, path, run))
        i = j
    return _wrap("\n".join(parts), d.fenced, fence=False)
