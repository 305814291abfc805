"""The sandbox every process that runs code from the worktree goes through: the baseline and step
test runs, dependency installs, and anything added later.

    make_sandbox(config, worktree=, session_dir=, repo_root=, git_common_dir=) -> Sandbox
    Sandbox.wrap(argv, cwd=, env=, network=False) -> (argv, env) to exec
    Sandbox.scrub_env(env) -> env without credentials (also for git and hooks)

With bubblewrap (`kind == "bwrap"`) the filesystem is read-only except the worktree, a private
/tmp and $HOME, and the session's scratch and environment directories; there is no network
unless asked; a new PID namespace dies with the agent. `kind == "off"` only scrubs the
environment, and only when the person passed `--sandbox off` (or trusted config says so).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from agent.errors import SandboxUnavailable
from agent.sandbox.environment import model_key_names, scrub
from agent.sandbox.settings import SandboxSettings, sandbox_settings

__all__ = ["Sandbox", "SandboxSettings", "SandboxUnavailable", "check_available", "make_sandbox", "sandbox_settings"]

SANDBOX_DIR = "sandbox"  # under the session directory: scratch/, env/


@dataclass
class Sandbox:
    """No containment but a scrubbed environment: what `--sandbox off` runs with."""

    kind: str
    scratch: Path  # private to the session; writable inside the sandbox at the same path
    env_dir: Path  # the session's own environment (dependencies a step adds)
    settings: SandboxSettings = field(default_factory=SandboxSettings)
    key_names: frozenset[str] = frozenset()

    def scrub_env(self, env) -> dict[str, str]:
        return scrub(env, key_names=self.key_names, passthrough=self.settings.env_passthrough)

    def wrap(self, argv: list[str], *, cwd: Path, env: dict[str, str], network: bool = False
             ) -> tuple[list[str], dict[str, str]]:
        return list(argv), self.scrub_env(env)

    def describe(self) -> str:
        return "off: tests run unconfined (environment scrubbed of credentials only)"


def make_sandbox(settings, *, worktree: Path, session_dir: Path, repo_root: Path, git_common_dir: Path) -> Sandbox:
    """The sandbox a session's processes run in. `settings` is the Config (its `sandbox` table
    with the --sandbox flag folded in). Raises SandboxUnavailable when the mode asks for a
    sandbox that cannot run here."""
    conf = sandbox_settings(settings)
    base = Path(session_dir) / SANDBOX_DIR
    scratch, env_dir = base / "scratch", base / "env"
    keys = frozenset(model_key_names(settings))
    if conf.mode == "off":
        for d in (scratch, env_dir):
            d.mkdir(parents=True, exist_ok=True)
        return Sandbox("off", scratch, env_dir, conf, keys)
    from agent.sandbox.bwrap import BwrapSandbox, probe

    probe()  # raises SandboxUnavailable
    for d in (scratch, env_dir):
        d.mkdir(parents=True, exist_ok=True)
    return BwrapSandbox("bwrap", scratch, env_dir, conf, keys, worktree=Path(worktree), repo_root=Path(repo_root),
                        git_common_dir=Path(git_common_dir))


def check_available(settings) -> str:
    """The sandbox kind a session with these settings would get ("bwrap" or "off"), or
    SandboxUnavailable; creates nothing. The CLI calls it before a session exists."""
    if sandbox_settings(settings).mode == "off":
        return "off"
    from agent.sandbox.bwrap import probe

    probe()
    return "bwrap"


def doctor_line(settings=None) -> dict:
    """`agent doctor`'s sandbox row (shaped like its tier rows): whether bubblewrap works here."""
    row = {"tier": "sandbox", "provider": "bwrap", "model": "", "ok": True, "problem": None}
    try:
        mode = sandbox_settings(settings).mode
    except Exception as exc:  # noqa: BLE001 - a bad table is what doctor reports
        return {**row, "ok": False, "problem": str(exc)}
    from agent.sandbox.bwrap import probe, version

    try:
        probe()
    except SandboxUnavailable as exc:
        if mode == "off":
            return {**row, "provider": "off", "model": f"(configured; bubblewrap unusable here: {exc})"}
        return {**row, "ok": False, "problem": str(exc)}
    if mode == "off":
        return {**row, "provider": "off", "model": f"(configured: test runs are NOT contained; bubblewrap {version()} works)"}
    return {**row, "model": f"bubblewrap {version()} works: test runs are contained (mode {mode})"}


def home_dir(env) -> Path | None:
    """The $HOME a sandbox hides, when there is one worth hiding."""
    home = env.get("HOME") or os.path.expanduser("~")
    path = Path(home)
    return path if path.is_absolute() and path != Path("/") and path.is_dir() else None


def session_sandbox(config, repo, session_id: str) -> Sandbox | None:
    """The sandbox of session `session_id` in `repo`, built before its worktree exists; None for
    a repository without a git directory (unit-test fakes)."""
    common = getattr(repo, "git_common_dir", None)
    if common is None:
        return None
    from agent.sessions.store import SessionStore

    return make_sandbox(config, worktree=repo.worktree_path(session_id), session_dir=SessionStore(Path(common)).dir(session_id),
                        repo_root=repo.root, git_common_dir=Path(common))


def announce(sandbox: Sandbox | None, events) -> None:
    """Say once when tests run unconfined."""
    if sandbox is not None and sandbox.kind == "off":
        events.emit("warning", message="sandbox off: test runs and installs are NOT contained (--sandbox off); "
                                       "only credentials are kept out of their environment")
