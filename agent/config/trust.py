"""Trust for repository-supplied config.

A cloned repository's `[tool.agent]` / `.agent.toml` may name commands to run and places to send
the user's credentials. Settings that do either (NEEDS_TRUST) are used only after the person has
trusted that exact content; the decision is remembered per repository path and content digest in
the user's config directory (trusted-repos.json), so a change to those settings asks again.

Settings from the user's own config file, AGENT_* variables and flags are always trusted.
The prompt itself lives in the CLI (agent/cli/trust_prompt.py); this module only decides and
remembers.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Dotted names of settings that run commands, direct credentials or relax containment. A name
# covers everything below it ("sandbox" covers sandbox.network); "*" matches one level
# ("models.*.base_url"). Engineers adding such a setting add its name here.
NEEDS_TRUST: set[str] = {
    "test_command", "setup_command",  # commands run in the worktree
    "base_url", "endpoint", "provider", "api_key_env",  # where the user's key is sent
    "system_prompt",  # text that steers the model
    "max_turns",  # how much is spent per attempt
    "prices",  # a zero price would make --max-cost meaningless
    "mcp_servers", "hooks", "mcp_allow_ask",  # commands, and approval of their calls (issue 15)
    "sandbox",  # every sandbox setting: relaxations come from the user's config only
    "models.*.base_url", "models.*.endpoint", "models.*.provider", "models.*.api_key_env",
    "models.*.preset", "models.*.auth",
}

TRUST_ENV = "AGENT_TRUST_REPO_CONFIG"
STORE_FILE = "trusted-repos.json"


def needs_trust(dotted: str) -> bool:
    parts = dotted.split(".")
    for name in NEEDS_TRUST:
        pattern = name.split(".")
        if len(pattern) <= len(parts) and all(p in ("*", k) for p, k in zip(pattern, parts, strict=False)):
            return True
    return False


def user_config_dir(env: Mapping[str, str] | None = None) -> Path:
    """$XDG_CONFIG_HOME/agent, default ~/.config/agent."""
    env = os.environ if env is None else env
    xdg = env.get("XDG_CONFIG_HOME") or os.environ.get("XDG_CONFIG_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "agent"
    home = env.get("HOME") or os.environ.get("HOME") or str(Path.home())
    return Path(home) / ".config" / "agent"


def env_trusts(env: Mapping[str, str]) -> bool:
    return (env.get(TRUST_ENV) or "").strip().lower() in ("1", "true", "yes")


@dataclass
class RepoTrust:
    """What the repository's config asks to be trusted, and what was decided about it.

    state: "trusted" (flag, AGENT_TRUST_REPO_CONFIG or remembered), "ignored" (remembered ignore),
    "undecided" (nothing remembered for this content: ignored unless the person trusts it now).
    """

    repo: str
    settings: dict[str, dict[str, Any]]  # file (relative to the repo) -> {dotted key: value}
    digest: str
    state: str = "undecided"
    names: list[str] = field(default_factory=list)  # the dotted keys, sorted

    @property
    def trusted(self) -> bool:
        return self.state == "trusted"


def untrusted_settings(layers: list[tuple[str, dict[str, Any]]], repo_root: Path) -> dict[str, dict[str, Any]]:
    """{file relative to the repo: {dotted key: value}} for every setting in `layers` needing trust."""
    out: dict[str, dict[str, Any]] = {}
    for source, values in layers:
        found = {k: v for k, v in _leaves(values) if needs_trust(k)}
        if found:
            out[_relative(source, repo_root)] = found
    return out


def digest(settings: dict[str, dict[str, Any]]) -> str:
    blob = json.dumps(settings, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def strip_untrusted(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A copy of one layer without the settings that need trust."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if needs_trust(name):
            continue
        if isinstance(value, dict) and value:
            inner = strip_untrusted(value, f"{name}.")
            if inner:
                out[key] = inner
        else:
            out[key] = value
    return out


class TrustStore:
    """Decisions per repository path: {"repos": {path: {"digest", "decision", "settings", "at"}}}."""

    def __init__(self, directory: Path):
        self.path = Path(directory) / STORE_FILE

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"repos": {}}
        return data if isinstance(data, dict) and isinstance(data.get("repos"), dict) else {"repos": {}}

    def lookup(self, repo: str, content_digest: str) -> str | None:
        entry = self._load()["repos"].get(repo)
        if isinstance(entry, dict) and entry.get("digest") == content_digest:
            return entry.get("decision") if entry.get("decision") in ("trust", "ignore") else None
        return None

    def remember(self, request: RepoTrust, decision: str) -> None:
        data = self._load()
        data["repos"][request.repo] = {"digest": request.digest, "decision": decision,
                                       "settings": request.names, "at": time.strftime("%Y-%m-%dT%H:%M:%S")}
        from agent.atomic import write_json

        write_json(self.path, data, indent=1)  # 0o600: the person's decisions are theirs alone


def decide(layers: list[tuple[str, dict[str, Any]]], repo_root: Path, env: Mapping[str, str],
           trust_repo: bool | None) -> RepoTrust | None:
    """None when the repository's config needs no trust; else the request and its state."""
    settings = untrusted_settings(layers, repo_root)
    if not settings:
        return None
    repo = str(Path(repo_root).resolve())
    request = RepoTrust(repo=repo, settings=settings, digest=digest(settings),
                        names=sorted({k for found in settings.values() for k in found}))
    if trust_repo is not None:
        request.state = "trusted" if trust_repo else "ignored"
    elif env_trusts(env):
        request.state = "trusted"
    else:
        remembered = TrustStore(user_config_dir(env)).lookup(repo, request.digest)
        request.state = {"trust": "trusted", "ignore": "ignored"}.get(remembered or "", "undecided")
    return request


def _leaves(values: dict[str, Any], prefix: str = ""):
    for key, value in values.items():
        if isinstance(value, dict) and value:
            yield from _leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _relative(source: str, repo_root: Path) -> str:
    try:
        return Path(source).resolve().relative_to(Path(repo_root).resolve()).as_posix()
    except ValueError:
        return source
