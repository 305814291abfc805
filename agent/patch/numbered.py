"""Hunks whose lines carry read_file's line-number prefixes (`  12| text`), copied by the model.

read_file (agent/workspace/files.py) shows each line as `{n:>width}| {text}`, width at least 4.
The prefixes are stripped only when every context and removed line of the hunk has one (blank
lines may have lost theirs), the numbers rise, and each numbered line's text is what the file has
at that line number: then the prefixes are certainly not part of the text. Added lines lose theirs
only when all of them have one.
"""

from __future__ import annotations

import re

from agent.patch.match import key_for
from agent.patch.parse import Hunk

_NUMBERED = re.compile(r"^\s*(\d+)\|(?: (.*))?$")
_LOOSEST = key_for(3)  # whitespace and unicode punctuation folded, as the loosest block level


class MixedNumbers(ValueError):
    """Some added lines carry read_file line numbers and others do not."""


def strip_line_numbers(hunk: Hunk, file_lines: list[str]) -> bool:
    """Strip the prefixes in place when they agree with the file; True if it did.

    Raises MixedNumbers when the old side was numbered but only some added lines are.
    """
    numbered: list[tuple[int, int, str]] = []  # (hunk line index, line number, text)
    for x, (kind, text) in enumerate(hunk.lines):
        if kind == "+":
            continue
        m = _NUMBERED.match(text)
        if m is None:
            if text.strip():
                return False
            continue  # a blank line whose prefix went with the trailing whitespace
        numbered.append((x, int(m.group(1)), m.group(2) or ""))
    if not numbered:
        return False
    numbers = [n for _, n, _ in numbered]
    if any(b <= a for a, b in zip(numbers, numbers[1:], strict=False)):
        return False
    for _, n, text in numbered:
        if not 1 <= n <= len(file_lines) or _LOOSEST(file_lines[n - 1]) != _LOOSEST(text):
            return False
    added = [(x, _NUMBERED.match(t)) for x, (k, t) in enumerate(hunk.lines) if k == "+"]
    with_numbers = [(x, m) for x, m in added if m is not None]
    if with_numbers and len(with_numbers) != len(added):
        raise MixedNumbers(hunk.lines[next(x for x, m in added if m is None)][1])
    lines = list(hunk.lines)
    for x, _, text in numbered:
        lines[x] = (lines[x][0], text)
    for x, m in with_numbers:
        lines[x] = ("+", m.group(2) or "")
    hunk.lines = lines
    first = numbers[0] - sum(1 for k, _ in hunk.lines[:numbered[0][0]] if k != "+")
    hunk.old_start, hunk.old_len = max(1, first), len(hunk.old_lines)  # exact now: the file said so
    hunk.new_start, hunk.new_len = hunk.old_start, len(hunk.new_lines)
    return True
