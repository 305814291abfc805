"""The rich console every command prints through, and the two helpers all views share: text
made safe to show (`shown`), and a heading line (`rule`)."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.markup import escape

from agent.cli.safe import neutralise


def shown(text: object) -> str:
    """Text from the model (or anyone but us) as console markup: control characters made visible
    (agent.cli.safe), rich markup escaped."""
    return escape(neutralise(text))


UNWRAPPED = 1_000_000  # columns of a console that is not a terminal: lines are never wrapped


def make_console(stderr: bool = False) -> Console:
    """On a terminal, its width; into a pipe or file (CI logs), lines as long as they are, so
    branch names, paths and URLs are never split or cut with "…". No emoji codes: `:fire:` in a
    model's text stays as written."""
    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return Console(stderr=stderr, highlight=False, soft_wrap=False, emoji=False)
    return Console(stderr=stderr, highlight=False, soft_wrap=True, width=UNWRAPPED, emoji=False)


def rule(console: Console, title: str) -> None:
    """A heading line: the terminal's width on a terminal, short in a log."""
    if console.width < UNWRAPPED:
        console.rule(title)
    else:
        console.print(f"── {title} ──")
