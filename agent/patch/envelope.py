"""The `apply_patch` envelope (Codex-trained models) read into the same FilePatch/Hunk objects.

    *** Begin Patch
    *** Add File: path          then every line of the new file, each starting with '+'
    *** Delete File: path
    *** Update File: path
    *** Move to: new/path       (optional: a rename)
    @@ def handler():           (optional context anchors: the chunk comes after these lines)
     context
    -removed
    +added
    *** End of File             (optional: the chunk ends at the end of the file)
    *** End Patch

Hunks carry no line numbers: they are located by content like any other hunk, the anchors only
decide between equally good places.
"""

from __future__ import annotations

import re

from agent.patch.parse import FilePatch, Hunk, clean_path

BEGIN = "*** Begin Patch"
END = "*** End Patch"
_OP_RE = re.compile(r"^\*\*\* (Add|Update|Delete) File:\s*(.+?)\s*$")
_MOVE_RE = re.compile(r"^\*\*\* Move to:\s*(.+?)\s*$")
_EOF = "*** End of File"


def starts_envelope(line: str) -> bool:
    return line.rstrip() == BEGIN or bool(_OP_RE.match(line))


def read_envelope(lines: list[str], i: int) -> tuple[list[FilePatch], int]:
    """Read an envelope starting at lines[i]; returns its file patches and the index after it.

    It ends at `*** End Patch`, at a closing code fence, or at the end of the text (a model that
    forgot the end marker still meant the patch).
    """
    if lines[i].rstrip() == BEGIN:
        i += 1
    files: list[FilePatch] = []
    n = len(lines)
    while i < n:
        line = lines[i]
        if line.rstrip() == END:
            return files, i + 1
        if line.startswith(("```", "~~~")) or line.rstrip() == BEGIN:
            return files, i
        m = _OP_RE.match(line)
        if not m:
            i += 1  # prose between operations
            continue
        op, path = m.group(1), _path(m.group(2))
        i += 1
        if op == "Delete":
            files.append(FilePatch(path, None, delete_all=True, fmt="apply_patch"))
        elif op == "Add":
            fp, i = _read_add(lines, i, path)
            files.append(fp)
        else:
            fp = FilePatch(path, path, fmt="apply_patch")
            mv = _MOVE_RE.match(lines[i]) if i < n else None
            if mv:
                fp.new_path, fp.rename = _path(mv.group(1)), True
                i += 1
            i = _read_chunks(lines, i, fp)
            files.append(fp)
    return files, i


def _path(raw: str) -> str | None:
    return clean_path(raw.strip().strip("`'\""))


def _ends_op(line: str) -> bool:
    return (line.rstrip() in (END, BEGIN) or bool(_OP_RE.match(line))
            or line.startswith(("```", "~~~")))


def _read_add(lines: list[str], i: int, path: str | None) -> tuple[FilePatch, int]:
    body: list[str] = []
    while i < len(lines) and not _ends_op(lines[i]):
        body.append(lines[i])
        i += 1
    while body and not body[-1].strip():
        body.pop()  # blank lines before the next operation separate, they are not content
    fp = FilePatch(None, path, fmt="apply_patch")
    if all(ln.startswith("+") or not ln for ln in body):
        fp.hunks.append(Hunk([("+", ln[1:]) for ln in body], index=1, label="*** Add File"))
    else:  # kept as context: the engine then says a new file's lines must all be '+' lines
        fp.hunks.append(Hunk([(" ", ln) for ln in body], index=1, label="*** Add File"))
    return fp, i


def _read_chunks(lines: list[str], i: int, fp: FilePatch) -> int:
    anchors: list[str] = []
    body: list[tuple[str, str]] = []

    def flush(at_eof: bool = False) -> None:
        while body and body[-1][0] == "_":
            body.pop()  # an empty line (not even its ' ') before the next @@ separates chunks
        if body:
            lines_ = [(" " if k == "_" else k, t) for k, t in body]
            # A chunk's lines are contiguous in the file by the format's definition: the counts a
            # unified header would give are known (nothing is missing at its edges).
            hunk = Hunk(lines_, anchors=list(anchors), at_eof=at_eof, index=len(fp.hunks) + 1)
            hunk.old_len, hunk.new_len = len(hunk.old_lines), len(hunk.new_lines)
            hunk.whole = True
            fp.hunks.append(hunk)
        elif at_eof and anchors:
            fp.hunks.append(Hunk([], anchors=list(anchors), at_eof=True, index=len(fp.hunks) + 1))
        body.clear()
        anchors.clear()

    while i < len(lines) and not _ends_op(lines[i]):
        line = lines[i]
        i += 1
        if line.rstrip() == _EOF:
            flush(at_eof=True)
        elif line.startswith("@@"):
            if body:
                flush()
            anchor = line[2:].strip()
            if anchor.endswith("@@"):  # a unified-style header: `@@ -3,4 +3,5 @@ def f():`
                anchor = ""
            elif "@@" in anchor:
                anchor = anchor.split("@@")[-1].strip()
            if anchor:
                anchors.append(anchor)
        elif line[:1] in (" ", "-", "+"):
            body.append((line[0], line[1:]))
        elif not line.strip():
            body.append(("_", ""))
        else:
            body.append((" ", line))  # a context line that lost its leading space
    flush()
    return i
