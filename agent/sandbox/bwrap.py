"""bubblewrap: the argv that runs a command read-only but for the session's own directories, with
no network, in a new PID namespace that dies with the agent.

    /                       read-only (the person's checkout and git directory included)
    /tmp, /run, /dev/shm    private, empty (tmpfs); /dev minimal, /proc of the new PID namespace
    $HOME                   private, empty (tmpfs); tool directories under it (a venv, pyenv,
                            ~/.local) are shown read-only again so the person's `python` still runs
    the worktree            writable (its `.git` pointer file read-only: git state stays outside)
    scratch/, env/          writable: the session's reports and installed dependencies
    `writable = [...]`      writable (trusted config only)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from agent.errors import SandboxUnavailable
from agent.sandbox import Sandbox, home_dir

INSTALL_HINT = ("install bubblewrap (`sudo apt-get install bubblewrap`, `sudo dnf install bubblewrap`) "
                "or pass --sandbox off to run tests unconfined")
_MASKED = ("/tmp", "/run", "/dev/shm")
_XDG = ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR")
_TOOL_VARS = ("VIRTUAL_ENV", "CONDA_PREFIX", "PYENV_ROOT", "CARGO_HOME", "RUSTUP_HOME", "GOROOT", "NVM_DIR",
              "VOLTA_HOME", "PNPM_HOME")
_probed: dict[str, str | None] = {}


def executable() -> str | None:
    """The bubblewrap binary: $AGENT_BWRAP, else `bwrap` on PATH."""
    named = os.environ.get("AGENT_BWRAP")
    if named:
        return named if os.access(named, os.X_OK) else None
    return shutil.which("bwrap")


def base_args(network: bool) -> list[str]:
    args = ["--unshare-all", "--die-with-parent", "--new-session"]
    if network:
        args.append("--share-net")
    args += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for path in _MASKED:
        args += ["--tmpfs", path]
    return args


def probe() -> str:
    """The bwrap path when a sandbox runs here (checked once per process), else SandboxUnavailable."""
    binary = executable()
    key = binary or ""
    if key in _probed:
        if _probed[key] is None:
            return key
        raise SandboxUnavailable(_probed[key] or "")
    problem = _probe(binary)
    _probed[key] = problem
    if problem is not None:
        raise SandboxUnavailable(problem)
    return key


def _probe(binary: str | None) -> str | None:
    if not sys.platform.startswith("linux"):
        return f"no sandbox for {sys.platform} yet: pass --sandbox off to run tests unconfined"
    if binary is None:
        return f"bubblewrap (bwrap) is not installed: {INSTALL_HINT}"
    try:
        proc = subprocess.run([binary, *base_args(False), "--", "true"], capture_output=True, timeout=30,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap cannot start ({exc}): {INSTALL_HINT}"
    if proc.returncode != 0:
        why = (proc.stderr or b"").decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
        return (f"bubblewrap cannot run here ({why[0]}; are unprivileged user namespaces disabled?): "
                f"allow them (sysctl kernel.unprivileged_userns_clone=1) or pass --sandbox off to run tests unconfined")
    return None


def version() -> str:
    binary = executable()
    try:
        out = subprocess.run([binary or "bwrap", "--version"], capture_output=True, text=True, timeout=10).stdout
    except OSError:
        return "?"
    return out.strip().rsplit(" ", 1)[-1] or "?"


def _under(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


class BwrapSandbox(Sandbox):
    def __init__(self, kind, scratch, env_dir, settings, key_names, *, worktree: Path, repo_root: Path,
                 git_common_dir: Path):
        super().__init__(kind, scratch, env_dir, settings, key_names)
        self.worktree, self.repo_root, self.git_common_dir = worktree, repo_root, git_common_dir
        self.binary = probe()

    def describe(self) -> str:
        net = "network on" if self.settings.network else "no network"
        return f"bwrap: read-only filesystem but the worktree, {net}, private $HOME and /tmp"

    def wrap(self, argv: list[str], *, cwd: Path, env: dict[str, str], network: bool = False
             ) -> tuple[list[str], dict[str, str]]:
        clean = self.scrub_env(env)
        home = home_dir(env)
        masked = [Path(p) for p in _MASKED]
        args = [self.binary, *base_args(network or self.settings.network)]
        if home is not None and not any(_under(Path(p), home) for p in ("/usr", "/bin", "/etc")):
            args += ["--tmpfs", str(home)]
            masked.append(home)
        for path in self._readable(argv, env, home, masked):
            args += ["--ro-bind", path, path]
        writable = self._writable(home)
        args += ["--bind", writable[0], writable[0]]  # the worktree
        dotgit = self.worktree / ".git"
        if dotgit.exists():  # the pointer to the git directory: a test must not redirect the agent's git
            args += ["--ro-bind", str(dotgit), str(dotgit)]
        for path in writable[1:]:  # scratch, env, `writable = [...]`: after, so nothing above hides them
            args += ["--bind", path, path]
        if home is None:
            args += ["--dir", "/tmp/home"]
        args += ["--chdir", str(cwd), "--", *argv]
        for name in _XDG:
            clean.pop(name, None)  # they name the person's own directories
        clean.update(HOME=str(home or "/tmp/home"), TMPDIR="/tmp")
        return args, clean

    def _writable(self, home: Path | None) -> list[str]:
        paths = [self.worktree, self.scratch, self.env_dir]
        for entry in self.settings.writable:
            path = Path(os.path.expanduser(entry)) if entry.startswith("~") else Path(entry)
            path = path if path.is_absolute() else self.repo_root / path
            if path.exists():
                paths.append(path)
        return [str(p) for p in paths]

    def _readable(self, argv: list[str], env: dict[str, str], home: Path | None, masked: list[Path]) -> list[str]:
        """What must stay visible under the masked directories: the repository (read-only) and the
        tools the command runs (its interpreter, the PATH, the person's venv)."""
        wanted = [self.repo_root, self.git_common_dir]
        for entry in env.get("PATH", "").split(os.pathsep) + env.get("PYTHONPATH", "").split(os.pathsep):
            if entry:
                wanted.append(Path(entry))
        wanted += [Path(env[v]) for v in _TOOL_VARS if env.get(v)]
        program = shutil.which(argv[0], path=env.get("PATH")) if argv else None
        if program:
            wanted += [Path(program).parent, Path(os.path.realpath(program)).parent]
        # Files the (trusted) command line names, e.g. a hook's script: readable, never writable.
        wanted += [Path(a) for a in argv[1:] if a.startswith("/") and "\n" not in a]
        if home is not None:
            wanted += [home / rel for rel in self.settings.home_passthrough]
        wanted += [Path(p) for p in _local_index_paths(env)]
        out: list[Path] = []
        for path in wanted:
            if not path.is_absolute():
                continue
            if path.name in ("bin", "sbin", "shims") and path.parent != Path("/") and path.is_dir():
                path = path.parent
            for candidate in dict.fromkeys([path, Path(os.path.realpath(path))]):
                if not candidate.exists() or candidate in masked:
                    continue
                if any(_under(candidate, m) for m in masked) and not any(_under(candidate, o) for o in out):
                    out = [o for o in out if not _under(o, candidate)] + [candidate]
        return [str(p) for p in out]


def _local_index_paths(env: dict[str, str]) -> list[str]:
    """Local wheel directories and file:// indexes pip is told about (an install must see them)."""
    out = []
    for name in ("PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL"):
        for item in env.get(name, "").split():
            item = item.removeprefix("file://")
            if item.startswith("/"):
                out.append(item)
    return out
