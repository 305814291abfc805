"""apply_patch: plan every file's change in memory, then write all of it or nothing."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from agent.atomic import write_bytes
from agent.errors import PathEscape, ToolError
from agent.patch.formats import parse_any
from agent.patch.parse import FilePatch
from agent.patch.place import apply_hunks
from agent.patch.report import ALREADY, APPLIED, REJECTED, FileResult, HunkResult, PatchResult
from agent.patch.syntax import new_syntax_error
from agent.patch.textio import NotText, TextFile
from agent.workspace.paths import confine

# The largest diff apply_patch reads. Applying is linear in the diff (5 MB in a few seconds), so this
# bounds time and memory, not a slow path: a model that sends more is almost surely pasting a file
# it should write in pieces. Pass max_bytes to change it (`agent patch apply --max-diff-mb`).
MAX_DIFF_BYTES = 8 * 1024 * 1024


class _Overlay:
    """The working tree as the patch would leave it: planned contents over what is on disk."""

    def __init__(self, root: Path):
        self.root = root.resolve()
        self.data: dict[Path, bytes | None] = {}
        self.modes: dict[Path, int] = {}

    def read(self, path: Path) -> bytes | None:
        if path in self.data:
            return self.data[path]
        return path.read_bytes() if path.is_file() else None

    def exists(self, path: Path) -> bool:
        return self.read(path) is not None

    def mode(self, path: Path) -> int:
        if path in self.modes:
            return self.modes[path]
        return stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o644

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


def apply_patch(root: Path, diff_text: str, *, check: bool = False, syntax_check: bool = True,
                max_bytes: int = MAX_DIFF_BYTES) -> PatchResult:
    root = Path(root)
    if not root.is_dir():
        raise ToolError(f"patch root {root} is not a directory")
    result = PatchResult(check=check)
    size = len((diff_text or "").encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        result.error = (f"the diff is {_size(size)}, over the {_size(max_bytes)} limit, so "
                        "nothing was read or applied. Send big changes as several smaller diffs, e.g. one "
                        "per file or a new file in parts.")
        return result
    patches = parse_any(diff_text or "")
    if not patches:
        result.error = ("no edit found. Send a unified diff (--- a/path, +++ b/path, then @@ hunks of lines "
                        "starting with ' ', '-' or '+'), an apply_patch envelope (*** Begin Patch, "
                        "*** Update File: path, ...), or SEARCH/REPLACE blocks (the path on its own line, "
                        "then <<<<<<< SEARCH, =======, >>>>>>> REPLACE).")
        return result
    overlay = _Overlay(root)
    for fp in patches:
        result.files.append(_plan_file(overlay, fp, syntax_check))
    if not result.ok or check:
        return result
    result.changed_paths = _commit(overlay)
    for fr in result.files:  # written: each file says so (it stays "not-applied" for --check)
        fr.status = APPLIED
    return result


_NO_NAME = {
    "unified": "no file name: the hunks need '--- a/path' and '+++ b/path' header lines before them",
    "search-replace": "no file name: put the file's path on its own line right before the SEARCH/REPLACE "
                      "block (or its opening fence)",
    "apply_patch": "no file name: '*** Update File:', '*** Add File:' and '*** Delete File:' need a path",
}


def _size(n: int) -> str:
    return f"{n / 1048576:.1f} MB" if n >= 1048576 else f"{n / 1024:.1f} KB"


def _plan_file(ov: _Overlay, fp: FilePatch, syntax_check: bool) -> FileResult:
    fr = FileResult(path=fp.path, action="modify")
    fr.hunks = [HunkResult(h.index, h.header) for h in fp.hunks]
    try:
        _plan(ov, fp, fr, syntax_check)
    except PathEscape as e:
        fr.error = f"refused: {e.message}"
    except NotText as e:
        fr.error = f"refused: {fr.path} is a {e} - the patch engine only edits text files"
    if fr.error or not fr.ok:
        fr.status = REJECTED
    return fr


def _candidates(ov: _Overlay, raw: str, prefix: str, prefer_strip: bool) -> list[Path]:
    names = [raw]
    if raw.startswith(prefix) and len(raw) > len(prefix):
        names = [raw[len(prefix):], raw] if prefer_strip else [raw, raw[len(prefix):]]
    # Every reading of the name must stay inside the root: one that escapes refuses the file,
    # rather than falling back to another reading that happens to be inside.
    return [confine(ov.root, name) for name in names]


def _resolve_existing(ov: _Overlay, raw: str, prefix: str, prefer_strip: bool) -> Path | None:
    cands = _candidates(ov, raw, prefix, prefer_strip)
    return next((p for p in cands if ov.exists(p)), None)


def _plan(ov: _Overlay, fp: FilePatch, fr: FileResult, syntax_check: bool) -> None:
    """Plan one file's change into the overlay, or set fr.error. Four phases, each of which may
    refuse: what the patch is (_refusal), which files it names (_locate), the new content
    (_new_content), and the syntax guard; only then is the overlay written (_stage)."""
    fr.error = _refusal(fp)
    if fr.error:
        return
    located = _locate(ov, fp, fr)
    if located is None:
        return
    src, dst = located
    if fp.delete_all:  # apply_patch `*** Delete File`: no hunks to check the content against
        ov.data[src] = None
        return
    content = _new_content(ov, fp, fr, src, dst)
    if content is None:
        return
    tf, before_bytes, new_bytes, after_text, changed = content
    if syntax_check and new_bytes != before_bytes:
        before_text = tf.text() if before_bytes is not None else None
        err = new_syntax_error(fr.path, before_text, after_text, changed)
        if err:
            fr.error = err
            return
    _stage(ov, fp, fr, src, dst, new_bytes)


def _refusal(fp: FilePatch) -> str | None:
    """Why this kind of file patch is refused outright, if it is."""
    if fp.old_path is None and fp.new_path is None:
        return _NO_NAME.get(fp.fmt, _NO_NAME["unified"])
    if fp.binary:
        return "refused: binary patches are not supported; only text diffs can be applied"
    if "120000" in (fp.old_mode, fp.new_mode):
        return "refused: symlink changes are not supported"
    if not fp.hunks and not fp.rename and fp.old_path and fp.new_path and not fp.new_mode:
        return "no hunks: expected @@ hunk headers followed by ' ', '-' and '+' lines"
    return None


def _locate(ov: _Overlay, fp: FilePatch, fr: FileResult) -> tuple[Path | None, Path | None] | None:
    """The source and destination files (confined to the root) and fr.action / fr.path; None when
    the file is missing, the rename target exists or the destination is a directory (fr.error)."""
    prefixed = fp.git or ((fp.old_path or "a/").startswith("a/") and (fp.new_path or "b/").startswith("b/"))
    src = dst = None
    if fp.old_path is not None:
        src = _resolve_existing(ov, fp.old_path, "a/", prefixed)
    if fp.new_path is not None:
        dst = _resolve_existing(ov, fp.new_path, "b/", prefixed)
        if dst is None:
            dst = _candidates(ov, fp.new_path, "b/", prefixed)[0]
    if src is None and fp.old_path is not None:
        if fp.new_path is not None and dst is not None and ov.exists(dst) and fp.old_path != fp.new_path:
            src = dst  # renamed already: apply the hunks where the file is now
        else:
            fr.error = _missing_file(ov, fp.old_path)
            return None
    if src is not None:
        fr.path = ov.rel(dst if dst is not None else src)
        if dst is not None and src != dst:
            fr.action, fr.old_path = "rename", ov.rel(src)
        elif dst is None:
            fr.action = "delete"
        elif not fp.hunks and fp.new_mode and fp.new_mode != fp.old_mode:
            fr.action = "mode"
    else:
        fr.action, fr.path = "create", ov.rel(dst)
    if fr.action == "rename" and ov.exists(dst):
        fr.error = f"cannot rename {fr.old_path} to {fr.path}: {fr.path} already exists"
        return None
    if dst is not None and dst.is_dir():
        fr.error = f"{fr.path} is a directory"
        return None
    return src, dst


def _new_content(ov: _Overlay, fp: FilePatch, fr: FileResult, src: Path | None, dst: Path | None):
    """(text file before, bytes before, bytes after, text after, changed ranges), or None when the
    plan ends here: refused (fr.error), already applied, or a deletion staged in the overlay."""
    before_bytes = ov.read(src) if src is not None else None
    if before_bytes is None and fr.action == "create" and ov.exists(dst):
        _create_over_existing(ov, fp, fr, dst)
        return None
    if before_bytes is None:  # create
        text = _new_file_text(fp)
        if text is None:
            return _reject_all(fr, "a new file's hunk can only contain '+' lines")
        for h in fr.hunks:
            h.status, h.level, h.line = APPLIED, "exact", 1
        return TextFile.from_text(""), None, text.encode("utf-8"), text, None
    tf = TextFile.decode(before_bytes)
    after = apply_hunks(tf, fp.hunks, fr)
    if after is None:
        return None
    if fr.action == "delete":
        if after.lines:
            fr.error = ("the diff deletes the file (+++ /dev/null) but its hunks do not remove all of "
                        f"it ({len(after.lines)} lines would remain)")
            return None
        ov.data[src] = None
        return None
    try:
        new_bytes = after.encode()
    except UnicodeEncodeError as e:
        fr.error = f"the new text cannot be written in the file's encoding ({tf.encoding}): {e.reason}"
        return None
    return tf, before_bytes, new_bytes, after.text(), after.changed


def _create_over_existing(ov: _Overlay, fp: FilePatch, fr: FileResult, dst: Path) -> None:
    """A diff that creates a file that exists: already applied when the content is the same, else refused."""
    tf = TextFile.decode(ov.read(dst))
    new = _new_file_text(fp)
    if new is not None and tf.text().replace("\r\n", "\n") == new:
        for h in fr.hunks:
            h.status, h.line = ALREADY, 1
        return
    fr.error = (f"{fr.path} already exists, but the diff creates it (--- /dev/null). To change it, "
                f"diff against its current content instead.")


def _stage(ov: _Overlay, fp: FilePatch, fr: FileResult, src: Path | None, dst: Path, new_bytes: bytes) -> None:
    """Write the planned change into the overlay: the new bytes, a rename's removal, the mode."""
    if src is not None and src != dst:
        ov.data[src] = None
        ov.modes.setdefault(dst, ov.mode(src))
    ov.data[dst] = new_bytes
    if fp.new_mode and len(fp.new_mode) >= 3:
        cur = ov.mode(src if src is not None else dst) if fr.action != "create" else 0o644
        want = cur | ((cur & 0o444) >> 2) if int(fp.new_mode[-3:], 8) & 0o111 else cur & ~0o111
        ov.modes[dst] = want


def _new_file_text(fp: FilePatch) -> str | None:
    lines: list[str] = []
    no_eol = False
    for h in fp.hunks:
        if any(k == "-" or (k == " " and t) for k, t in h.lines):
            return None
        lines.extend(t for k, t in h.lines if k == "+")
        no_eol = h.new_no_eol
    if not lines:
        return ""
    return "\n".join(lines) + ("" if no_eol else "\n")


def _reject_all(fr: FileResult, reason: str) -> None:
    for h in fr.hunks:
        h.status, h.reason = REJECTED, reason


def _missing_file(ov: _Overlay, raw: str) -> str:
    name = Path(raw).name
    similar = []
    for dirpath, dirnames, filenames in os.walk(ov.root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        if name in filenames:
            similar.append(Path(dirpath, name).relative_to(ov.root).as_posix())
        if len(similar) >= 5:
            break
    hint = f" Files with that name: {', '.join(similar)}." if similar else ""
    return f"{raw}: no such file. To create a file use '--- /dev/null'.{hint}"


def _commit(ov: _Overlay) -> list[str]:
    """Write every planned change; if any write fails, put back what was already written."""
    changed: list[str] = []
    undo: list[tuple[Path, bytes | None, int | None]] = []
    made_dirs: list[Path] = []
    try:
        for path in sorted(set(ov.data) | set(ov.modes)):
            data = ov.data.get(path, path.read_bytes() if path.is_file() else None)
            old = path.read_bytes() if path.is_file() else None
            old_mode = stat.S_IMODE(path.stat().st_mode) if old is not None else None
            mode = ov.modes.get(path, old_mode)
            if data == old and mode == old_mode:
                continue
            undo.append((path, old, old_mode))
            if data is None:
                path.unlink()
            else:
                made_dirs.extend(_mkdirs(path.parent))
                write_bytes(path, data, mode=mode if mode is not None else 0o644)
            changed.append(ov.rel(path))
    except OSError as e:
        for path, old, old_mode in reversed(undo):
            if old is None:
                path.unlink(missing_ok=True)
            else:
                write_bytes(path, old, mode=old_mode or 0o644)
        for d in reversed(made_dirs):
            with _quiet():
                d.rmdir()
        raise ToolError(f"could not write the patch ({e}); nothing was changed") from e
    return changed


def _mkdirs(d: Path) -> list[Path]:
    made = []
    while not d.exists():
        made.append(d)
        d = d.parent
    for p in reversed(made):
        p.mkdir()
    return list(reversed(made))


class _quiet:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return exc[0] is not None and issubclass(exc[0], OSError)
