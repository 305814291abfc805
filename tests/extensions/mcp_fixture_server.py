"""A real MCP stdio server written with the SDK, started by the agent in the tests.

    python mcp_fixture_server.py MODE

MODE: normal (lookup, add, shout, die, big, secret), crash (exits at start), hang (never answers
the handshake), many (50 tools), marker FILE (normal, and writes FILE when started), http PORT
(normal plus whoami, over streamable HTTP on 127.0.0.1:PORT).
"""

from __future__ import annotations

import os
import sys
import time

mode = sys.argv[1] if len(sys.argv) > 1 else "normal"
if mode == "crash":
    print("fixture server: cannot connect to the docs index", file=sys.stderr)
    sys.exit(3)
if mode == "marker":  # proves the agent started it: writes the file named by argv[2]
    with open(sys.argv[2], "w") as marker:
        marker.write("started\n")
if mode == "hang":
    time.sleep(3600)

from mcp.server.mcpserver import MCPServer  # noqa: E402 - after the modes that never import it

server = MCPServer("fixture")

if mode == "many":
    def _make(i: int):
        def tool(text: str) -> str:
            return f"tool {i:02d}: {text}"
        tool.__name__ = f"tool_{i:02d}"
        tool.__doc__ = f"Fixture tool number {i}."
        return tool

    for i in reversed(range(50)):  # registered out of order: the agent sorts
        server.tool(name=f"tool_{i:02d}")(_make(i))
else:
    @server.tool()
    def lookup(topic: str) -> str:
        """Look a topic up in the team's documentation."""
        return f"The docs say: {topic} uses argon2id with time_cost=3 (cwd {os.path.basename(os.getcwd())})"

    @server.tool()
    def add(a: int, b: int, note: str | None = None) -> str:
        """Add two numbers."""
        return f"{a + b}" + (f" ({note})" if note else "")

    @server.tool()
    def shout(text: str, times: int = 1) -> str:
        """Upper-case a text, optionally repeated."""
        return " ".join([text.upper()] * times)

    @server.tool()
    def die() -> str:
        """Exit the server process at once."""
        os._exit(7)

    @server.tool()
    def big() -> str:
        """A very long answer."""
        return "x" * 100_000

    @server.tool()
    def secret() -> str:
        """Whether the server sees the person's API key."""
        return "key=" + os.environ.get("OPENAI_API_KEY", "<none>") + " team=" + os.environ.get("TEAM", "<none>")

    if mode == "http":
        from mcp.server.mcpserver import Context

        @server.tool()
        def whoami(ctx: Context) -> str:
            """The X-Team-Token header of this request."""
            request = getattr(ctx.request_context, "request", None)
            return "token=" + (request.headers.get("x-team-token", "<none>") if request is not None else "<no request>")

if mode == "http":
    server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
else:
    server.run()
