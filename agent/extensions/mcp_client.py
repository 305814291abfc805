"""MCP servers as tools, through the official `mcp` SDK (imported here, lazily: only a run or
`agent doctor` with servers configured pays for it).

The SDK is async and our loop is not: one event loop runs in a daemon thread and holds one task
per server, which owns that server's transport and session for its whole life (anyio wants a
context entered and left in the same task); calls are submitted to it from the loop's thread.
Events are emitted only from the caller's thread, so sinks never see two threads.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.core.conversation import ToolSpec
from agent.errors import ExtensionError
from agent.extensions import schema as schemas
from agent.extensions.config import ServerConfig

MAX_OUTPUT_CHARS = 20_000  # an MCP result is capped like read_file's 100 kB answers, tighter: it is text we don't own
NAME_LIMIT = 64  # providers' limit on a function name
MAX_DESCRIPTION_CHARS = 1_000
MAX_TOOLS = 120  # MCP tools offered in all; with the built-ins under the providers' 128 functions
_BAD_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]")


def tool_name(server: str, tool: str) -> str:
    return f"mcp__{server}__{_BAD_NAME_CHARS.sub('_', tool)}"[:NAME_LIMIT]


@dataclass
class McpTool:
    server: str
    tool: str  # the server's own name for it
    spec: ToolSpec  # what the model sees (name mcp__<server>__<tool>)
    input_schema: dict[str, Any]  # the server's schema, to undo strict mode's nulls


@dataclass
class _Connection:
    config: ServerConfig
    stderr: Any = None
    session: Any = None
    tools: list[McpTool] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    stop: asyncio.Event | None = None
    error: str | None = None
    last_stderr: str = ""  # the tail of stderr, kept when the file is closed
    failed: bool = False  # reported (once) and its tools withdrawn

    def stderr_tail(self, lines: int = 5) -> str:
        try:
            self.stderr.seek(0)
            tail = [line.rstrip() for line in self.stderr.read().splitlines() if line.strip()][-lines:]
        except (OSError, ValueError, AttributeError):
            return self.last_stderr
        return (": " + " | ".join(tail))[:600] if tail else ""


class McpHub:
    """Every configured MCP server: started together, each within its startup_timeout."""

    def __init__(self, servers: list[ServerConfig], emit: Callable[..., Any], *, cwd: Path,
                 env: Mapping[str, str] | None = None):
        self.emit = emit
        self.cwd = cwd
        self.env = os.environ if env is None else env
        self._conns = {s.name: _Connection(s) for s in servers}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ life

    def start(self) -> None:
        """Start every server; report the ones that fail. Raises ExtensionError when a required
        one fails (the others are closed first)."""
        if not self._conns:
            return
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="mcp", daemon=True)
        self._thread.start()
        for conn in self._conns.values():
            conn.stop = asyncio.Event()  # not bound to a loop until first awaited (3.10+)
            asyncio.run_coroutine_threadsafe(self._serve(conn), self._loop)
        try:
            self._await_start()
        except BaseException:  # Ctrl-C while servers start: none may outlive the run
            self.close()
            raise
        fatal = [c for c in self._conns.values() if c.failed and c.config.required]
        if fatal:
            self.close()
            raise ExtensionError(f"the required MCP server {fatal[0].config.name!r} did not start: {fatal[0].error}",
                                 hint="fix its configuration, or set required = false")

    def _await_start(self) -> None:
        started, offered = time.monotonic(), 0
        for conn in self._conns.values():  # in name order: the tool budget goes to the first
            left = conn.config.startup_timeout - (time.monotonic() - started)
            if not conn.ready.wait(max(left, 0.0)):
                conn.error = conn.error or f"did not start within {conn.config.startup_timeout:g} s (startup_timeout)"
                self._stop(conn)
            if conn.session is None or conn.error:
                self._fail(conn, conn.error or "did not start", "start")
                continue
            offered += self._admit(conn, MAX_TOOLS - offered)

    def _admit(self, conn: _Connection, room: int) -> int:
        """Offer a started server's tools, as many as fit in the budget; how many were offered."""
        if len(conn.tools) > room:
            self.emit("warning", message=f"MCP server {conn.config.name}: only {max(room, 0)} of its "
                      f"{len(conn.tools)} tools are offered (at most {MAX_TOOLS} MCP tools in all; "
                      "choose them with enabled_tools)")
            conn.tools = conn.tools[:max(room, 0)]
        self.emit("mcp_server_started", name=conn.config.name, transport=conn.config.transport,
                  tools=[t.spec.name for t in conn.tools])
        return len(conn.tools)

    def close(self) -> None:
        if self._loop is None:
            return
        for conn in self._conns.values():
            self._stop(conn)
        deadline = time.monotonic() + 8.0  # the SDK's own shutdown is bounded (terminate, then kill)
        for conn in self._conns.values():
            conn.done.wait(max(deadline - time.monotonic(), 0.0))
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        self._loop = None

    def _stop(self, conn: _Connection) -> None:
        loop = self._loop
        if loop is not None and conn.stop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(conn.stop.set)

    async def _serve(self, conn: _Connection) -> None:
        """The task that owns one server's transport and session until told to stop."""
        from contextlib import AsyncExitStack

        from mcp import ClientSession

        # The server's stderr, kept for the reason when it fails (never on the person's terminal).
        conn.stderr = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115 - closed below
        try:
            async with AsyncExitStack() as stack:
                read, write = await stack.enter_async_context(self._transport(conn))
                session = await stack.enter_async_context(ClientSession(read, write))
                start = asyncio.ensure_future(self._handshake(conn, session))
                stop = asyncio.ensure_future(conn.stop.wait())
                await asyncio.wait({start, stop}, return_when=asyncio.FIRST_COMPLETED)
                if not start.done():
                    start.cancel()
                elif start.exception() is not None:
                    stop.cancel()  # never awaited now: cancelled, not left pending
                    raise start.exception()
                else:
                    conn.session = session
                    conn.ready.set()
                    await stop
        except BaseException as exc:  # noqa: BLE001 - whatever stopped a server is reported, not raised
            conn.error = conn.error or _describe(exc) + conn.stderr_tail()
        finally:
            conn.session = None
            conn.last_stderr = conn.stderr_tail()
            conn.stderr.close()
            conn.ready.set()
            conn.done.set()

    async def _handshake(self, conn: _Connection, session) -> None:
        from mcp import types

        await session.initialize()
        listed, cursor = [], None
        for _ in range(100):  # pages; bounded
            params = types.PaginatedRequestParams(cursor=cursor) if cursor else None
            page = await session.list_tools(params=params)
            listed.extend(page.tools)
            cursor = getattr(page, "next_cursor", None) or getattr(page, "nextCursor", None)
            if not cursor:
                break
        conn.tools = self._offered(conn.config, listed)

    def _transport(self, conn: _Connection):
        cfg = conn.config
        if cfg.url:
            from mcp.client.streamable_http import streamable_http_client
            from mcp.shared._httpx_utils import create_mcp_http_client

            headers = {h: self.env.get(var, "") for h, var in cfg.headers_env.items()}
            return streamable_http_client(cfg.url, http_client=create_mcp_http_client(headers=headers))
        from mcp.client.stdio import StdioServerParameters, get_default_environment, stdio_client

        env = {**get_default_environment(), **{k: self.env[k] for k in cfg.env_passthrough if k in self.env},
               **cfg.env}
        cwd = self.cwd / cfg.cwd if cfg.cwd else self.cwd
        params = StdioServerParameters(command=cfg.command, args=list(cfg.args), env=env, cwd=str(cwd))
        return stdio_client(params, errlog=conn.stderr)

    @staticmethod
    def _offered(cfg: ServerConfig, listed) -> list[McpTool]:
        tools: dict[str, McpTool] = {}
        for tool in listed:
            if not cfg.offers(tool.name):
                continue
            original = getattr(tool, "input_schema", None) or getattr(tool, "inputSchema", None) or {}
            params, strict = schemas.for_model(original)
            name = tool_name(cfg.name, tool.name)
            if name in tools:  # two tools sanitised to one name: keep the first, stably
                continue
            description = (tool.description or getattr(tool, "title", None) or tool.name).strip()
            if len(description) > MAX_DESCRIPTION_CHARS:  # a server's text in every request: bounded
                description = description[:MAX_DESCRIPTION_CHARS - 1] + "…"
            tools[name] = McpTool(cfg.name, tool.name, ToolSpec(name, f"[MCP {cfg.name}] {description}", params,
                                                                strict=strict), original)
        return [tools[n] for n in sorted(tools)]

    # ----------------------------------------------------------------- tools

    def tools(self) -> list[McpTool]:
        """The tools of every live server, sorted by name (a stable, cacheable prefix)."""
        self._notice_deaths()
        return sorted((t for c in self._conns.values() if not c.failed for t in c.tools), key=lambda t: t.spec.name)

    def find(self, name: str) -> McpTool | None:
        return next((t for c in self._conns.values() for t in c.tools if t.spec.name == name), None)

    def server(self, name: str) -> ServerConfig:
        return self._conns[name].config

    def call(self, tool: McpTool, arguments: dict[str, Any]) -> tuple[str, bool]:
        """Call a tool; (text for the model, ok). A dead server is reported once and its tools
        withdrawn; when it is required, the run ends (ExtensionError)."""
        conn = self._conns[tool.server]
        if conn.failed or conn.session is None or self._loop is None:
            self._notice_deaths()
            return f"Error: the MCP server {tool.server!r} is not running; its tools are withdrawn.", False
        args = schemas.drop_nulls(arguments, tool.input_schema)
        future = asyncio.run_coroutine_threadsafe(conn.session.call_tool(tool.tool, args), self._loop)
        try:
            result = future.result(timeout=conn.config.call_timeout)
        except TimeoutError:
            future.cancel()
            return f"Error: {tool.spec.name} gave no answer within {conn.config.call_timeout:g} s (call_timeout).", False
        except Exception as exc:  # noqa: BLE001 - the SDK's errors become text or a withdrawn server
            if _connection_lost(exc) or conn.done.is_set():
                conn.error = f"stopped during a call ({_describe(exc)}){conn.stderr_tail()}"
                self._fail(conn, conn.error, "run")
                return f"Error: the MCP server {tool.server!r} stopped; its tools are withdrawn.", False
            return f"Error: {tool.spec.name} failed: {_describe(exc)}", False
        return render_result(result)

    def _notice_deaths(self) -> None:
        for conn in self._conns.values():
            if not conn.failed and conn.done.is_set() and conn.ready.is_set() and conn.tools:
                self._fail(conn, conn.error or "exited", "run")

    def _fail(self, conn: _Connection, reason: str, phase: str) -> None:
        if conn.failed:
            return
        conn.failed = True
        self.emit("mcp_server_failed", name=conn.config.name, reason=reason, required=conn.config.required,
                  phase=phase)
        if phase == "run" and conn.config.required:
            raise ExtensionError(f"the required MCP server {conn.config.name!r} stopped: {reason}")

    def describe(self) -> list[dict[str, Any]]:
        """For `agent doctor`: each server, whether it started, its tools."""
        return [{"name": c.config.name, "transport": c.config.transport, "ok": not c.failed,
                 "problem": c.error if c.failed else None, "required": c.config.required,
                 "tools": [{"name": t.spec.name, "strict": t.spec.strict,
                            "approve": c.config.approval_for(t.tool)} for t in c.tools]}
                for c in self._conns.values()]


def render_result(result) -> tuple[str, bool]:
    """A CallToolResult as text for the model, capped."""
    parts: list[str] = []
    for block in getattr(result, "content", None) or []:
        kind = getattr(block, "type", "")
        if kind == "text":
            parts.append(block.text)
        elif kind == "resource":
            res = block.resource
            parts.append(getattr(res, "text", None) or f"[resource {getattr(res, 'uri', '')}: binary, not shown]")
        elif kind == "resource_link":
            parts.append(f"[resource link: {getattr(block, 'uri', '')}]")
        else:
            parts.append(f"[{kind or 'content'} ({getattr(block, 'mime_type', None) or getattr(block, 'mimeType', '')}):"
                         " not shown]")
    structured = getattr(result, "structured_content", None) or getattr(result, "structuredContent", None)
    if structured is not None and not any(parts):
        import json

        parts.append(json.dumps(structured, ensure_ascii=False, indent=1))
    text = "\n".join(parts) or "(no output)"
    if len(text) > MAX_OUTPUT_CHARS:
        text = text[:MAX_OUTPUT_CHARS] + f"\n[… {len(text) - MAX_OUTPUT_CHARS} more characters not shown]"
    is_error = bool(getattr(result, "is_error", None) or getattr(result, "isError", None))
    return (f"Error: {text}" if is_error else text), not is_error


def _connection_lost(exc: BaseException) -> bool:
    code = getattr(getattr(exc, "error", None), "code", None)
    return code == -32000 or isinstance(exc, ConnectionError | EOFError)  # CONNECTION_CLOSED


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_describe(e) for e in exc.exceptions[:3])
    if isinstance(exc, asyncio.CancelledError):
        return "stopped"
    if isinstance(exc, FileNotFoundError):
        return f"cannot start: {exc.filename or exc}: no such program"
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) < 300 else text[:297] + "..."
