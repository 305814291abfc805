"""Showing a step's diff to a person: a per-file summary first, then the diff, through a pager
on a terminal when it is longer than the screen (as git does)."""

from __future__ import annotations

import os
import shlex
import subprocess

from rich.console import Console
from rich.syntax import Syntax

from agent.cli.console import UNWRAPPED, shown
from agent.cli.safe import neutralise

DEFAULT_PAGER = "less -FRX"  # git's: quit if it fits, keep colours, leave the text on the screen


def diff_stat(diff: str) -> list[tuple[str, int, int]]:
    """(path, lines added, lines removed) per file of a git diff, in order."""
    files: list[list] = []
    for line in diff.splitlines():
        if line.startswith("diff --git "):
            path = line.rsplit(" b/", 1)[-1] if " b/" in line else line[len("diff --git "):]
            files.append([path, 0, 0])
        elif files and line.startswith("+") and not line.startswith("+++ "):
            files[-1][1] += 1
        elif files and line.startswith("-") and not line.startswith("--- "):
            files[-1][2] += 1
    return [(p, a, r) for p, a, r in files]


def show_stat(console: Console, diff: str) -> None:
    stat = diff_stat(diff)
    width = max((len(p) for p, _, _ in stat), default=0)
    for path, added, removed in stat:
        console.print(f"  {shown(path.ljust(width))} | [green]+{added}[/] [red]-{removed}[/]")


def show_diff(console: Console, diff: str) -> None:
    """The per-file summary, then the diff: coloured on a terminal, paged when it does not fit;
    plain lines into a pipe or file."""
    text = neutralise(diff)
    show_stat(console, diff)
    if console.width >= UNWRAPPED:
        console.print(text, markup=False, highlight=False)
        return
    syntax = Syntax(text, "diff", theme="ansi_dark", word_wrap=True)
    if console.is_interactive and text.count("\n") > console.height - 8 and _page(console, syntax):
        return
    console.print(syntax)


def _page(console: Console, renderable) -> bool:
    """Show `renderable` through $AGENT_PAGER / $PAGER (default less -FRX); False when there is
    none to run, so the caller prints it instead."""
    command = os.environ.get("AGENT_PAGER") or os.environ.get("PAGER") or DEFAULT_PAGER
    with console.capture() as captured:
        console.print(renderable)
    try:
        proc = subprocess.Popen(shlex.split(command), stdin=subprocess.PIPE, stdout=console.file)
    except (OSError, ValueError):
        return False
    try:
        proc.communicate(captured.get().encode("utf-8", "replace"))
    except (BrokenPipeError, KeyboardInterrupt):  # the person quit the pager early
        proc.wait()
    return True
