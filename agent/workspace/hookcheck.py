"""What a session's branch would bring into the person's checkout that can run code later.

Our own git commands run without hooks, but the person's own git (their next commit, checkout,
merge) does not: a hook the model added under `.githooks/` or `.husky/`, a file it made
executable, or a `.gitattributes` line naming a filter/diff/merge driver would run on their
machine. `agent apply` lists these and asks before merging (refuses without a terminal unless
--allow-hook-changes).
"""

from __future__ import annotations

import re
from pathlib import Path

from agent.workspace.git import out, run_git, zsplit

HOOK_DIRS = (".githooks", ".husky")
_DRIVER = re.compile(r"(?:^|\s)(filter|diff|merge)=\S+")


def configured_hooks_path(root: Path) -> str | None:
    """The person's core.hooksPath, relative to the repository when it is inside it (ours, given
    on the command line to switch hooks off, is not theirs)."""
    proc = run_git(root, "config", "--show-scope", "--get-all", "core.hooksPath", check=False)
    values = [line.split("\t", 1)[1] for line in out(proc).splitlines()
              if "\t" in line and not line.startswith("command")]
    if not values:
        return None
    path = Path(values[-1]).expanduser()
    if path.is_absolute():
        try:
            path = path.resolve().relative_to(root.resolve())
        except ValueError:
            return None  # outside the repository: the branch cannot change it
    return path.as_posix().strip("/") or None


def hook_changes(root: Path, head: str, tip: str) -> list[str]:
    """One line per change between merge-base(head, tip) and tip that could run code later."""
    base = out(run_git(root, "merge-base", head, tip)).strip()
    raw = zsplit(run_git(root, "diff", "--raw", "-z", "--no-renames", "--no-ext-diff", "--no-textconv",
                         base, tip).stdout)
    hook_dirs = [*HOOK_DIRS, *([p] if (p := configured_hooks_path(root)) else [])]
    lines: list[str] = []
    for meta, path in zip(raw[0::2], raw[1::2], strict=False):
        old_mode, new_mode, _old, _new, status = meta.lstrip(":").split()[:5]
        what = {"A": "added", "D": "deleted", "M": "changed", "T": "changed"}.get(status[0], "changed")
        if any(path == d or path.startswith(d + "/") for d in hook_dirs):
            lines.append(f"hook location: {path} ({what})")
        if new_mode == "100755" and old_mode != "100755":
            lines.append(f"becomes executable: {path}")
        if Path(path).name == ".gitattributes" and status[0] != "D":
            lines.extend(f"{path}: {line}" for line in _driver_lines(root, base, tip, path))
    return lines


def _driver_lines(root: Path, base: str, tip: str, path: str) -> list[str]:
    """Added .gitattributes lines that name a filter, diff or merge driver."""
    diff = out(run_git(root, "diff", "--no-ext-diff", "--no-textconv", "-U0", base, tip, "--", path))
    return [f"adds {line[1:].strip()!r}" for line in diff.splitlines()
            if line.startswith("+") and not line.startswith("+++") and _DRIVER.search(line[1:])]
