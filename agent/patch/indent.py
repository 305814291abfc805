"""Indentation drift: the shift from a hunk's indentation to the file's, and which added lines need it.

A model that re-typed the context (tabs for spaces, four spaces for two, the whole hunk dedented)
matches at the "indentation" level. Its added lines may be written in that same drifted style, or
already in the file's own (copied from the file). Each added line is judged on its own, from the
evidence the hunk gives; a line that could be either is refused, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass


def indent_of(s: str) -> str:
    return s[: len(s) - len(s.lstrip(" \t"))]


def _width(ind: str, tab: int) -> int:
    return len(ind.expandtabs(tab))


@dataclass
class IndentMap:
    """A uniform indentation shift (possibly tabs <-> spaces) from the hunk's lines to the file's."""

    delta: int
    tab: int
    file_tabs: bool
    identity: bool

    def apply(self, line: str) -> str:
        if self.identity or not line.strip():
            return line
        ind = indent_of(line)
        w = max(0, _width(ind, self.tab) + self.delta)
        new = ("\t" * (w // self.tab) + " " * (w % self.tab)) if self.file_tabs else " " * w
        return new + line[len(ind):]


def indent_map(pairs: list[tuple[str, str]]) -> IndentMap | None:
    """The uniform shift mapping hunk indentation to file indentation, or None if there is none."""
    pairs = [(h, f) for h, f in pairs if h.strip() and f.strip()]
    if all(indent_of(h) == indent_of(f) for h, f in pairs):
        return IndentMap(0, 8, False, True)
    file_tabs = any("\t" in indent_of(f) for _, f in pairs)
    for tab in (4, 8, 2):
        deltas = {_width(indent_of(f), tab) - _width(indent_of(h), tab) for h, f in pairs}
        if len(deltas) == 1:
            return IndentMap(deltas.pop(), tab, file_tabs, False)
    return None


DRIFTED, AS_IS = "drifted", "as-is"


class UnsureIndent(ValueError):
    """An added line could be in the hunk's drifted style or already in the file's."""


def added_texts(full: list[tuple[str, str]], pairs: list[tuple[int, int]], file_lines: list[str],
                imap: IndentMap) -> dict[int, str]:
    """The text to write for each added line (by hunk index), re-indented only where drifted.

    Where the hunk's context starts its indentation with tabs and the file with spaces (or the
    other way round), each added line shows by its own first character which style it is in:
    lines in the file's style are left alone. Within one kind of character (the hunk shifted by
    a level) nothing tells "context re-typed, added lines copied" from "whole hunk re-typed": the
    two give the same diff. The engine takes the hunk as typed in one style there, which is what
    models do (see the benchmark's indent-shift kind). Raises UnsureIndent naming an added line
    whose style neither its own indentation nor the hunk's other added lines show.
    """
    matched = [(indent_of(full[h][1]), indent_of(file_lines[f])) for h, f in pairs
               if full[h][1].strip() and file_lines[f].strip()]
    hunk_lead = {h[0] for h, _ in matched if h}
    file_lead = {f[0] for _, f in matched if f}
    by_char = bool(hunk_lead and file_lead) and not hunk_lead & file_lead
    out: dict[int, str] = {}
    verdicts: dict[int, str | None] = {}
    for x, (kind, text) in enumerate(full):
        if kind != "+":
            continue
        if imap.apply(text) == text:
            out[x] = text
        elif not by_char:
            verdicts[x] = DRIFTED
        else:
            lead = indent_of(text)[:1]
            verdicts[x] = DRIFTED if lead in hunk_lead else AS_IS if lead in file_lead else None
    decided = {v for v in verdicts.values() if v}
    for x, v in verdicts.items():
        if v is None and len(decided) == 1:
            v = next(iter(decided))  # the hunk's other added lines all show one style: this one shares it
        if v is None:
            raise UnsureIndent(full[x][1])
        out[x] = imap.apply(full[x][1]) if v == DRIFTED else full[x][1]
    return out
