"""Asking the person to trust what a repository brings: its config (`[t]rust [i]gnore [q]uit`,
one key), and, at `agent apply`, a branch that changes hooks, executables or git drivers.

Called by `agent run` after the config is loaded and validated, before any session exists. Only
a person at a terminal is asked (and only when nothing is remembered for this exact content);
`--yes` and runs without a terminal ignore those settings (one warning line, emitted by the
session; the result lists them as `ignored_settings`) unless --trust-repo-config is given.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

from agent.config.trust import TrustStore, user_config_dir
from agent.errors import ConfigError, Rejected, UsageError


def settle_trust(config, *, yes: bool, reload: Callable[[bool], object], interactive: bool | None = None):
    """The config to run with: unchanged, or reloaded with the repository's settings trusted."""
    request = config.repo_trust
    if request is None or request.state != "undecided":
        return config
    if interactive is None:
        interactive = not yes and sys.stdin.isatty()
    if not interactive:
        return config
    choice = ask(request)
    store = TrustStore(user_config_dir())
    if choice == "q":
        raise Rejected("stopped before the run: the repository's config was not trusted",
                       hint="run again and choose [i]gnore to run without those settings")
    if choice == "i":
        store.remember(request, "ignore")
        return config
    trusted = reload(True)
    if trusted.repo_trust is None or trusted.repo_trust.digest != request.digest:
        raise ConfigError("the repository's config changed while you were deciding; run again to see it")
    store.remember(request, "trust")
    return trusted


def note_ignored(config):
    """For commands that only show config (models, doctor): one line on stderr saying which
    repository settings are not in effect, so the person is not left guessing."""
    if config.ignored_settings:
        print(f"note: not using {', '.join(config.ignored_settings)} from the repository's config "
              "(untrusted: `agent run` at a terminal asks; or set AGENT_TRUST_REPO_CONFIG=1)", file=sys.stderr)
    return config


def ask(request) -> str:
    from agent.cli.ui import read_key

    out = sys.stderr
    print("This repository's config asks for settings that run commands or direct your credentials:", file=out)
    for source, found in request.settings.items():
        for key, value in found.items():
            print(f"  {source}: {key} = {_show(value)}", file=out)
    print("They are used only if you trust this exact content (asked again when it changes).", file=out)
    while True:
        print("[t]rust [i]gnore [q]uit: ", end="", file=out, flush=True)
        key = read_key().lower()
        print(key, file=out)
        if key in ("t", "i", "q"):
            return key
        print("press t, i or q", file=out)


def _show(value) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else json.dumps(value)
    text = "".join(ch if ch.isprintable() else "?" for ch in text)  # no terminal escapes from a repo
    return text if len(text) <= 200 else text[:197] + "..."


def confirm_hook_changes(branch: str, changes: list[str], *, allow: bool) -> None:
    """Before `agent apply` merges: list what could run code on the person's machine later; ask
    at a terminal, refuse without one unless --allow-hook-changes."""
    if not changes:
        return
    out = sys.stderr
    print(f"{branch} changes what your own git or shell may run later:", file=out)
    for line in changes:
        print(f"  {_printable(line)}", file=out)
    if allow:
        return
    if not sys.stdin.isatty():
        raise UsageError(f"not merging {branch}: it changes hooks, executables or git drivers "
                         f"({len(changes)} listed above)", hint="review them, then pass --allow-hook-changes")
    from agent.cli.ui import read_key

    while True:
        print("merge anyway? [y]es [n]o: ", end="", file=out, flush=True)
        key = read_key().lower()
        print(key, file=out)
        if key == "y":
            return
        if key in ("n", "q"):
            raise Rejected(f"not merged: {branch} changes hooks, executables or git drivers")


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text)
