"""Every edit format apply_diff takes, read into one list of FilePatch objects in document order.

Unified diffs (parse.py), the `apply_patch` envelope (envelope.py) and SEARCH/REPLACE blocks
(blocks.py) may come alone or mixed in one text. Envelopes and blocks are cut out first; whatever
text is left between them is read as unified diff. All of it then goes through the same engine.
"""

from __future__ import annotations

from agent.patch.blocks import path_line, read_block, starts_block
from agent.patch.envelope import read_envelope, starts_envelope
from agent.patch.parse import FilePatch, extract_diff, looks_like_diff, parse_tolerant


def parse_any(text: str) -> list[FilePatch]:
    lines = text.replace("\r\n", "\n").split("\n")
    found: list[tuple[int, list[FilePatch]]] = []
    rest_from = 0  # the first line not yet cut out as an envelope or block
    last_path: str | None = None
    blocks = 0

    def rest(upto: int) -> None:
        chunk = lines[rest_from:upto]
        if looks_like_diff(chunk):
            found.append((rest_from, parse_tolerant(extract_diff("\n".join(chunk)))))

    i = 0
    while i < len(lines):
        if starts_envelope(lines[i]):
            rest(i)
            patches, end = read_envelope(lines, i)
            found.append((i, patches))
            i = rest_from = max(end, i + 1)
            continue
        if starts_block(lines[i]):
            start, path = path_line(lines, i, rest_from)
            fp, end = read_block(lines, i, path or last_path, blocks + 1)
            if fp is not None:
                rest(start)
                blocks += 1
                last_path = path or last_path
                found.append((start, [fp]))
                i = rest_from = end
                continue
        i += 1
    rest(len(lines))
    found.sort(key=lambda f: f[0])
    return [fp for _, patches in found for fp in patches]
