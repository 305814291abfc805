"""`[tool.agent.mcp_servers.<name>]` and `[[tool.agent.hooks]]` read into plain data, with one-line
errors naming the key (documented in docs/extensions.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from agent.errors import ConfigError

APPROVALS = ("always", "ask", "never")
HOOK_EVENTS = ("pre_tool", "post_tool", "step_end", "session_end")
SERVER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*(_[A-Za-z0-9-]+)*")  # no "__": it separates name and tool
DEFAULT_STARTUP_TIMEOUT = 30.0
DEFAULT_CALL_TIMEOUT = 120.0
DEFAULT_HOOK_TIMEOUT = 30.0

_SERVER_KEYS = {"command", "args", "env", "env_passthrough", "cwd", "url", "headers_env", "enabled_tools",
                "disabled_tools", "startup_timeout", "call_timeout", "required", "approve", "tool_approve",
                "enabled"}
_HOOK_KEYS = {"event", "match", "command", "timeout", "sandbox"}


@dataclass(frozen=True)
class ServerConfig:
    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    env_passthrough: tuple[str, ...] = ()  # names copied from our environment (secrets the server needs)
    cwd: str | None = None  # relative to the worktree; default the worktree
    url: str | None = None
    headers_env: dict[str, str] = field(default_factory=dict)  # header name -> env var holding its value
    enabled_tools: tuple[str, ...] | None = None
    disabled_tools: tuple[str, ...] = ()
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT
    call_timeout: float = DEFAULT_CALL_TIMEOUT
    required: bool = False
    approve: str = "always"
    tool_approve: dict[str, str] = field(default_factory=dict)  # tool -> always|ask|never

    @property
    def transport(self) -> str:
        return "http" if self.url else "stdio"

    def approval_for(self, tool: str) -> str:
        return self.tool_approve.get(tool, self.approve)

    def offers(self, tool: str) -> bool:
        """Whether the tool is offered at all (enabled, not disabled, not approve = "never")."""
        if self.enabled_tools is not None and tool not in self.enabled_tools:
            return False
        return tool not in self.disabled_tools and self.approval_for(tool) != "never"


@dataclass(frozen=True)
class HookConfig:
    event: str
    command: tuple[str, ...]
    match: str | None = None  # tool-name glob (pre_tool/post_tool); None matches every tool
    timeout: float = DEFAULT_HOOK_TIMEOUT
    sandbox: bool = True  # False is honoured from user config only (see agent.extensions.hooks)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: must be a list of strings")
    return tuple(value)


def _str_table(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ConfigError(f"{where}: must be a table of strings")
    return dict(value)


def _seconds(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"{where}: must be a number of seconds > 0")
    return float(value)


def _approval(value: Any, where: str) -> str:
    if value not in APPROVALS:
        raise ConfigError(f"{where}: must be one of {', '.join(APPROVALS)}")
    return value


def parse_server(name: str, raw: Any) -> ServerConfig | None:
    """One server table; None when `enabled = false`."""
    where = f"mcp_servers.{name}"
    if not SERVER_NAME.fullmatch(name):
        raise ConfigError(f"{where}: a server name is letters, digits, '-' and single '_'")
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table")
    raw = {k.replace("-", "_"): v for k, v in raw.items()}
    unknown = sorted(set(raw) - _SERVER_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown setting {unknown[0]!r}; allowed: {', '.join(sorted(_SERVER_KEYS))}")
    if raw.get("enabled", True) is False:
        return None
    command, url = raw.get("command"), raw.get("url")
    if (command is None) == (url is None):
        raise ConfigError(f"{where}: give either command (a stdio server) or url (streamable HTTP)")
    if command is not None and (not isinstance(command, str) or not command):
        raise ConfigError(f"{where}.command: must be a program name or path (arguments go in args)")
    if url is not None and (not isinstance(url, str) or not re.match(r"https?://", url)):
        raise ConfigError(f"{where}.url: must be an http:// or https:// URL")
    tool_approve = _str_table(raw.get("tool_approve", {}), f"{where}.tool_approve")
    for tool, value in tool_approve.items():
        _approval(value, f"{where}.tool_approve.{tool}")
    return ServerConfig(
        name=name, command=command, url=url,
        args=_strings(raw.get("args", []), f"{where}.args"),
        env=_str_table(raw.get("env", {}), f"{where}.env"),
        env_passthrough=_strings(raw.get("env_passthrough", []), f"{where}.env_passthrough"),
        cwd=raw.get("cwd"),
        headers_env=_str_table(raw.get("headers_env", {}), f"{where}.headers_env"),
        enabled_tools=None if raw.get("enabled_tools") is None else _strings(raw["enabled_tools"], f"{where}.enabled_tools"),
        disabled_tools=_strings(raw.get("disabled_tools", []), f"{where}.disabled_tools"),
        startup_timeout=_seconds(raw.get("startup_timeout", DEFAULT_STARTUP_TIMEOUT), f"{where}.startup_timeout"),
        call_timeout=_seconds(raw.get("call_timeout", DEFAULT_CALL_TIMEOUT), f"{where}.call_timeout"),
        required=bool(raw.get("required", False)),
        approve=_approval(raw.get("approve", "always"), f"{where}.approve"),
        tool_approve=tool_approve,
    )


def parse_servers(raw: Any) -> list[ServerConfig]:
    if not isinstance(raw, dict):
        raise ConfigError("mcp_servers: must be a table of servers")
    servers = [parse_server(name, table) for name, table in sorted(raw.items())]
    return [s for s in servers if s is not None]


def parse_hook(index: int, raw: Any) -> HookConfig:
    where = f"hooks[{index}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table ([[tool.agent.hooks]])")
    unknown = sorted(set(raw) - _HOOK_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown setting {unknown[0]!r}; allowed: {', '.join(sorted(_HOOK_KEYS))}")
    event = raw.get("event")
    if event not in HOOK_EVENTS:
        raise ConfigError(f"{where}.event: must be one of {', '.join(HOOK_EVENTS)}")
    command = _strings(raw.get("command"), f"{where}.command (an argv list, no shell)")
    if not command:
        raise ConfigError(f"{where}.command: must not be empty")
    match = raw.get("match")
    if match is not None and (not isinstance(match, str) or not match):
        raise ConfigError(f"{where}.match: must be a tool-name glob such as 'apply_diff' or 'mcp__docs__*'")
    sandbox = raw.get("sandbox", True)
    if not isinstance(sandbox, bool):
        raise ConfigError(f"{where}.sandbox: must be true or false")
    return HookConfig(event=event, command=command, match=match, sandbox=sandbox,
                      timeout=_seconds(raw.get("timeout", DEFAULT_HOOK_TIMEOUT), f"{where}.timeout"))


def parse_hooks(raw: Any) -> list[HookConfig]:
    if not isinstance(raw, list):
        raise ConfigError("hooks: must be an array of tables ([[tool.agent.hooks]])")
    return [parse_hook(i, h) for i, h in enumerate(raw)]
