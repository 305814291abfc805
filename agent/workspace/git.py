"""Running git: one small helper so every call gets the same clean environment.

Every git command the agent runs goes through here (a test greps for any that does not), and
each one runs
- with hooks off: `core.hooksPath` points at /dev/null, under which no file can exist, so no hook
  of any kind runs (post-checkout at worktree add, reference-transaction and post-commit at
  commit, post-merge at `agent apply`, pre-auto-gc, ...), whatever hooks directory the repository
  configures or the model committed; `-c` beats every config file and reaches git's own children
  (gc --auto) through GIT_CONFIG_PARAMETERS. core.fsmonitor, which runs a command too, is off;
- with an environment free of credentials (API keys, tokens, cloud credentials, agent sockets):
  our git commands are local and need none of them.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from agent.errors import WorkspaceError

# Variables that would redirect git away from the directory we name (set e.g. inside git hooks).
_REDIRECTS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY",
              "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_PREFIX")


# Options on every command: parseable paths, no colour, no hooks, no fsmonitor command.
SAFE_OPTIONS = ("-c", "core.quotepath=off", "-c", "color.ui=never", "-c", f"core.hooksPath={os.devnull}",
                "-c", "core.fsmonitor=false")

# Names that hold credentials (matched case-insensitively as substrings) and prefixes of whole families.
_SECRET_PARTS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "COOKIE")
_SECRET_PREFIXES = ("AWS_", "AZURE_", "OPENAI_", "ANTHROPIC_", "GOOGLE_", "GCLOUD_", "GITHUB_", "GITLAB_",
                    "SSH_", "GPG_", "GIT_ASKPASS", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT",
                    "GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_")


def is_secret_name(name: str) -> bool:
    upper = name.upper()
    return any(part in upper for part in _SECRET_PARTS) or upper.startswith(_SECRET_PREFIXES)


def without_credentials(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if not is_secret_name(k)}


def git_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in without_credentials(dict(os.environ)).items() if k not in _REDIRECTS}
    # Parseable messages, no pager/editor/credential prompts: nothing here is interactive.
    env.update(LC_ALL="C", LANGUAGE="C", GIT_TERMINAL_PROMPT="0", GIT_EDITOR="true",
               GIT_PAGER="cat", GIT_MERGE_AUTOEDIT="no")
    if extra:
        env.update(extra)
    return env


def run_git(cwd: Path, *args: str, env: dict[str, str] | None = None, check: bool = True,
            input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run `git -C cwd args...`; on failure (check=True) raise WorkspaceError with git's message."""
    cmd = ["git", *SAFE_OPTIONS, *args]
    env = without_credentials(env) if env else git_env()  # a caller's own env is scrubbed too
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=env, input=input,
                              stdin=None if input is not None else subprocess.DEVNULL,
                              capture_output=True)
    except FileNotFoundError:
        raise WorkspaceError("git is not installed or not on PATH") from None
    except NotADirectoryError:
        raise WorkspaceError(f"{cwd}: not a directory") from None
    if check and proc.returncode != 0:
        raise WorkspaceError(f"git {args[0]} failed: {message(proc)}")
    return proc


def run_git_with_credentials(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    """A git command that talks to a remote (a fleet worker's clone and push): hooks stay off, but
    the worker's own git credentials (ssh agent, credential helper, askpass) are left in place.
    Model keys never reach a remote URL: the fleet passes none to git."""
    env = {k: v for k, v in os.environ.items() if k not in _REDIRECTS}
    env.update(LC_ALL="C", LANGUAGE="C", GIT_TERMINAL_PROMPT="0", GIT_EDITOR="true", GIT_PAGER="cat")
    try:
        proc = subprocess.run(["git", *SAFE_OPTIONS, *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                              capture_output=True)
    except FileNotFoundError:
        raise WorkspaceError("git is not installed or not on PATH") from None
    if check and proc.returncode != 0:
        raise WorkspaceError(f"git {args[0]} failed: {message(proc)}")
    return proc


def start_git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start `git args...` in `cwd` with its stdout piped, for a caller that runs several at once
    or streams the output (stderr is dropped: read the exit code). Raises WorkspaceError when
    git cannot start."""
    cmd = ["git", *SAFE_OPTIONS, *args]
    try:
        return subprocess.Popen(cmd, cwd=cwd, env=without_credentials(env) if env else git_env(), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except FileNotFoundError:
        raise WorkspaceError("git is not installed or not on PATH") from None
    except NotADirectoryError:
        raise WorkspaceError(f"{cwd}: not a directory") from None


def out(proc: subprocess.CompletedProcess[bytes]) -> str:
    return proc.stdout.decode("utf-8", "replace")


def message(proc: subprocess.CompletedProcess[bytes]) -> str:
    """git's own error message, squeezed onto one line."""
    text = (proc.stderr or proc.stdout or b"").decode("utf-8", "replace").strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("hint:")]
    return "; ".join(lines)[:500] or f"exit code {proc.returncode}"


def zsplit(data: bytes) -> list[str]:
    return [p for p in data.decode("utf-8", "surrogateescape").split("\0") if p]
