"""Extensions: MCP servers as tools, and hooks around tools, steps and the session.

The run driver builds one `Extensions` (build_extensions) and hands it to the Loop, which gives
it to the ToolBox: the tool list offered is the built-ins plus `tool_specs()`, `mcp__*` calls
are routed to `call_tool`, every call is wrapped by `before_tool` / `after_tool`, and the loop and
driver call `step_end` / `session_end`. Nothing here imports the `mcp` SDK unless servers are
configured. Config shapes: agent.extensions.config; JSON shapes: docs/extensions.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from agent.core.conversation import ToolSpec
from agent.events import Event

MCP_PREFIX = "mcp__"


class Extensions:
    def __init__(self, emit: Callable[..., Any], *, hub=None, hooks=None, approver=None, allow_ask: bool = False):
        self.emit = emit
        self.hub = hub  # agent.extensions.mcp_client.McpHub, or None without servers
        self.hooks = hooks  # agent.extensions.hooks.Hooks, or None without hooks
        self.approver = approver
        self.allow_ask = allow_ask  # `approve = "ask"` without anyone to ask: allowed (else denied)
        self._always: set[str] = set()  # tools the person said [a]lways to in this session
        self.session: dict[str, Any] = {}
        self.step: dict[str, Any] | None = None

    def __bool__(self) -> bool:
        return self.hub is not None or self.hooks is not None

    def set_session(self, **fields: Any) -> None:
        """What the hooks' payloads say about the session (id, intent, branch, worktree, repo)."""
        self.session = dict(fields)

    def observe(self, event: Event) -> None:
        """An event sink: keeps the current step for the hooks' payloads."""
        if event.type == "step_started":
            self.step = {"index": event.data["index"], "total": event.data["total"], "title": event.data["title"]}

    # ------------------------------------------------------------------- MCP

    def tool_specs(self) -> list[ToolSpec]:
        return [t.spec for t in self.hub.tools()] if self.hub is not None else []

    def handles(self, name: str) -> bool:
        """Every mcp__ name is answered here (a withdrawn tool with a message saying so)."""
        return name.startswith(MCP_PREFIX) and self.hub is not None

    def call_tool(self, name: str, arguments: dict[str, Any]) -> tuple[str, bool]:
        tool = self.hub.find(name)
        if tool is None:
            return f"Error: there is no MCP tool named {name!r}.", False
        if tool.spec.name not in {t.spec.name for t in self.hub.tools()}:
            return f"Error: {name} is withdrawn: its MCP server {tool.server!r} is not running.", False
        refusal = self._approve(tool, arguments)
        if refusal:
            return f"Error: {refusal}", False
        return self.hub.call(tool, arguments)

    def _approve(self, tool, arguments: dict[str, Any]) -> str | None:
        """None when the call may go ahead, else why not."""
        policy = self.hub.server(tool.server).approval_for(tool.tool)
        name = tool.spec.name
        if policy == "always" or name in self._always:
            return None
        ask = getattr(self.approver, "review_tool", None)
        if getattr(self.approver, "interactive", False) and ask is not None:
            answer = ask(tool.server, tool.tool, _abridge(arguments))
            if answer == "always":
                self._always.add(name)
            approved = answer in ("approve", "always")
            reason = "" if approved else "the person refused this call"
            self.emit("mcp_tool_approval", name=name, server=tool.server, tool=tool.tool,
                      decision="approved" if approved else "denied", asked=True, reason=reason)
            return None if approved else f"{reason}; do not retry it, do the work another way or say what you need."
        reason = "" if self.allow_ask else (
            'it needs approval (approve = "ask") and nobody can be asked here '
            "(mcp_allow_ask = true or AGENT_MCP_ALLOW_ASK=1 allows it without asking)")
        self.emit("mcp_tool_approval", name=name, server=tool.server, tool=tool.tool,
                  decision="approved" if self.allow_ask else "denied", asked=False, reason=reason)
        return None if self.allow_ask else f"{name} was not run: {reason}."

    # ----------------------------------------------------------------- hooks

    def _payload(self, event: str, **extra: Any) -> dict[str, Any]:
        return {"event": event, "session": self.session, "step": self.step, **extra}

    def before_tool(self, name: str, arguments: dict[str, Any]) -> str | None:
        """None, or why a pre_tool hook refused the call (the model is told)."""
        if self.hooks is None:
            return None
        return self.hooks.pre_tool(self._payload("pre_tool", tool={"name": name, "arguments": arguments}))

    def after_tool(self, name: str, arguments: dict[str, Any], output: str, ok: bool) -> str:
        """The output, with what post_tool hooks add for the model."""
        if self.hooks is None:
            return output
        added = self.hooks.post_tool(self._payload("post_tool", tool={"name": name, "arguments": arguments},
                                                   result={"ok": ok, "output": output}))
        return output + "".join(f"\n\n[note from a post_tool hook]\n{text}" for text in added)

    def step_end(self, step: dict[str, Any]) -> None:
        if self.hooks is not None:
            self.hooks.notify("step_end", self._payload("step_end", step={**(self.step or {}), **step}))
        self.step = None

    def session_end(self, result: dict[str, Any]) -> None:
        if self.hooks is not None:
            keep = ("status", "exit_code", "session_id", "branch", "worktree", "commits", "files_changed", "message")
            self.hooks.notify("session_end", self._payload("session_end", result={k: result.get(k) for k in keep}))

    def close(self) -> None:
        if self.hub is not None:
            self.hub.close()


def _abridge(arguments: dict[str, Any], limit: int = 600) -> str:
    text = json.dumps(arguments, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_extensions(config, *, cwd: Path, emit: Callable[..., Any], approver=None, sandbox=None,
                     env: Mapping[str, str] | None = None, user_keys: frozenset[str] = frozenset()) -> Extensions:
    """Parse the config's servers and hooks and start the servers (required ones failing raise
    ExtensionError). `user_keys`: which of mcp_servers/hooks came from the person's own config,
    the only place `sandbox = false` on a hook is honoured."""
    from agent.extensions.config import parse_hooks, parse_servers

    servers = parse_servers(getattr(config, "mcp_servers", None) or {})
    hooks = parse_hooks(getattr(config, "hooks", None) or [])
    hub = hook_runner = None
    if hooks:
        from agent.extensions.hooks import Hooks

        hook_runner = Hooks(hooks, emit, cwd=cwd, sandbox=sandbox, env=env,
                            unsandboxed_ok=lambda hook: "hooks" in user_keys)
    if servers:
        from agent.extensions.mcp_client import McpHub

        hub = McpHub(servers, emit, cwd=cwd, env=env)
        hub.start()
    return Extensions(emit, hub=hub, hooks=hook_runner, approver=approver,
                      allow_ask=bool(getattr(config, "mcp_allow_ask", False)))


def doctor_rows(config, *, cwd: Path) -> list[dict[str, Any]]:
    """For `agent doctor`: one row per MCP server (started, listed, closed) with its tools, and
    one per server the repository's config names but that was not trusted (never started)."""
    from agent.errors import AgentError
    from agent.extensions.config import parse_servers

    rows: list[dict[str, Any]] = []
    servers = parse_servers(getattr(config, "mcp_servers", None) or {})
    if servers:
        from agent.extensions.mcp_client import McpHub

        hub = McpHub(servers, lambda *a, **k: None, cwd=cwd)
        try:
            hub.start()
        except AgentError:
            pass  # a required server failing is reported in its row like any other
        finally:
            hub.close()
        rows = [{"kind": "mcp_server", "tier": f"mcp {d['name']}", **d} for d in hub.describe()]
    ignored = sorted({key.split(".")[1] for key in getattr(config, "ignored_settings", None) or []
                      if key.startswith("mcp_servers.") and key.count(".") >= 2})
    rows += [{"kind": "mcp_server", "tier": f"mcp {name}", "name": name, "ok": True, "tools": [], "required": False,
              "problem": None, "transport": "", "skipped": "repository config not trusted: not started"}
             for name in ignored]
    return rows
