"""The declared schema of every setting: its type, what is allowed, and one line of help.

One place validates every layer (user config, [tool.agent], .agent.toml, AGENT_* variables, flags)
before anything else happens, and reports every problem at once, one line each, naming the file,
the key as written there, and what is allowed. docs/configuration.md is checked against SETTINGS
by a test, so adding a setting means: a Config field, an entry here, a row there (and, when it
runs commands or directs credentials, its name in agent.config.trust.NEEDS_TRUST).

A small hand-written schema rather than pydantic: `python -X importtime -c "import pydantic"`
measured 90-220 ms here, and building one small model several hundred ms more, on a path every
command takes (this module imports in a few ms); and we want our own one-line messages anyway.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")  # = agent.model.tiers.EFFORT_ORDER
ROLES = ("plan", "edit", "fix", "summarize")
TIERS = ("instant", "thinking", "pro")
PROVIDERS = ("openai", "azure", "openai-compatible")


class Invalid(Exception):
    """A value that is not allowed: the message says what is."""


@dataclass(frozen=True)
class Kind:
    """A value's type: `check` returns the value (normalised) or raises Invalid(what is allowed)."""

    allowed: str
    check: Callable[[Any], Any]


@dataclass(frozen=True)
class Setting:
    kind: Kind
    help: str
    # Nested tables: the key's own entries (Table) or entries keyed freely (Entries).
    table: dict[str, Setting] | None = None
    entries: Setting | None = None
    entry_names: tuple[str, ...] | None = None  # allowed entry names for `entries`, None = any


def _type_name(value: Any) -> str:
    return {bool: "true/false", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)


def integer(minimum: int | None = None) -> Kind:
    allowed = "an integer" + (f" >= {minimum}" if minimum is not None else "")

    def check(v):
        if isinstance(v, bool) or not isinstance(v, int):
            if isinstance(v, str) and re.fullmatch(r"[+-]?\d+", v.strip()):  # from the environment
                v = int(v)
            else:
                raise Invalid(allowed)
        if minimum is not None and v < minimum:
            raise Invalid(allowed)
        return v
    return Kind(allowed, check)


def number(above: float | None = None, minimum: float | None = None, maximum: float | None = None) -> Kind:
    parts = [f"> {above:g}" if above is not None else "", f">= {minimum:g}" if minimum is not None else "",
             f"<= {maximum:g}" if maximum is not None else ""]
    allowed = " ".join(["a number", " and ".join(p for p in parts if p)]).strip()

    def check(v):
        if isinstance(v, str):
            try:
                v = float(v)
            except ValueError:
                raise Invalid(allowed) from None
        if isinstance(v, bool) or not isinstance(v, int | float) or v != v:  # NaN
            raise Invalid(allowed)
        if (above is not None and v <= above) or (minimum is not None and v < minimum) or (
                maximum is not None and v > maximum):
            raise Invalid(allowed)
        return float(v)
    return Kind(allowed, check)


def boolean() -> Kind:
    def check(v):
        if isinstance(v, bool):
            return v
        if isinstance(v, str) and v.strip().lower() in ("1", "true", "0", "false"):  # from the environment
            return v.strip().lower() in ("1", "true")
        raise Invalid("true or false")
    return Kind("true or false", check)


def text(choices: tuple[str, ...] | None = None, pattern: str | None = None, what: str = "a string") -> Kind:
    allowed = f"one of {', '.join(choices)}" if choices else what

    def check(v):
        if not isinstance(v, str) or not v.strip():
            raise Invalid(allowed if choices else f"{what} (not empty)")
        if choices and v not in choices:
            raise Invalid(allowed)
        if pattern and not re.fullmatch(pattern, v):
            raise Invalid(allowed)
        return v
    return Kind(allowed, check)


def strings() -> Kind:
    def check(v):
        if not isinstance(v, list) or not all(isinstance(s, str) for s in v):
            raise Invalid("a list of strings")
        return v
    return Kind("a list of strings", check)


def any_of(*kinds: Kind) -> Kind:
    allowed = " or ".join(k.allowed for k in kinds)

    def check(v):
        for kind in kinds:
            try:
                return kind.check(v)
            except Invalid:
                continue
        raise Invalid(allowed)
    return Kind(allowed, check)


def _table_kind(allowed: str = "a table") -> Kind:
    def check(v):
        if not isinstance(v, dict):
            raise Invalid(allowed)
        return v
    return Kind(allowed, check)


def table(help: str, fields: dict[str, Setting], allowed: str = "a table") -> Setting:
    return Setting(_table_kind(allowed), help, table=fields)


def entries(help: str, entry: Setting, names: tuple[str, ...] | None = None, allowed: str = "a table") -> Setting:
    return Setting(_table_kind(allowed), help, entries=entry, entry_names=names)


EFFORT = text(EFFORTS)
URL = text(pattern=r"https?://\S+", what="an http:// or https:// URL")
ENV_NAME = text(pattern=r"[A-Za-z_][A-Za-z0-9_]*", what="an environment variable name")


def _effort_table() -> Setting:
    """`effort = "high"` sets every role; `effort = { plan = "high" }` sets one."""
    roles = {role: Setting(EFFORT, f"reasoning effort for the {role} role") for role in ROLES}
    allowed = f"one of {', '.join(EFFORTS)}, or a table of {', '.join(ROLES)}"

    def check(v):
        if isinstance(v, str) and v in EFFORTS:
            return dict.fromkeys(ROLES, v)
        if isinstance(v, dict):
            return v
        raise Invalid(allowed)
    return Setting(Kind(allowed, check), "reasoning effort per role (or one effort for every role)", table=roles)


_TIER = {
    "provider": Setting(text(PROVIDERS), "who serves this tier"),
    "model": Setting(text(), "model name (or Azure deployment)"),
    "api": Setting(text(("responses", "chat")), "wire API"),
    "base_url": Setting(URL, "endpoint for this tier"),
    "endpoint": Setting(URL, "Azure resource endpoint"),
    "api_key_env": Setting(ENV_NAME, "the variable holding this tier's key"),
    "api_version": Setting(text(), "Azure API version"),
    "auth": Setting(text(("key", "entra")), "Azure authentication"),
    "reasoning_effort": Setting(EFFORT, "this tier's effort"),
    "efforts": Setting(strings(), "efforts the model supports"),
    "context_window": Setting(integer(1), "context window in tokens"),
    "family": Setting(text(), "preset and price lookup name"),
    "preset": Setting(text(("ollama", "lmstudio", "vllm", "llamacpp")), "local server preset"),
    "reasoning_summary": Setting(boolean(), "ask for reasoning summaries"),
    "compaction": Setting(text(("auto", "responses", "summary")), "how this tier compacts"),
    "max_output_tokens": Setting(integer(1), "output cap per call"),
}

_ROLE = Setting(any_of(text(TIERS), _table_kind("a table with tier and effort")), "the role's tier and effort",
                table={"tier": Setting(text(TIERS), "which tier serves the role"),
                       "effort": Setting(EFFORT, "the role's effort")})

_PRICE = table("USD per 1M tokens", {
    "input": Setting(number(minimum=0), "input tokens"),
    "cached_input": Setting(number(minimum=0), "cached input tokens"),
    "output": Setting(number(minimum=0), "output tokens"),
    "checked": Setting(text(), "when the price was last checked"),
})

_COMPACTION = {
    "threshold": Setting(number(minimum=0.1, maximum=1.0), "share of the window that triggers compaction"),
    "keep_recent": Setting(number(minimum=0, maximum=1.0), "share of the window kept verbatim"),
    "method": Setting(text(("auto", "responses", "summary")), "how to compact"),
    "context_window": Setting(integer(1), "override the context window"),
    "enabled": Setting(boolean(), "compact at all"),
}

_APPROVE = text(("always", "ask", "never"))
_SECONDS = number(above=0)
_MCP_SERVER = table("one MCP server (agent.extensions; docs/extensions.md)", {
    "command": Setting(text(what="a program"), "the stdio server's program"),
    "args": Setting(strings(), "its arguments"),
    "env": entries("variables set for it", Setting(text(what="a string"), "a value")),
    "env_passthrough": Setting(strings(), "names of variables copied from your environment"),
    "cwd": Setting(text(what="a path"), "its directory, relative to the worktree"),
    "url": Setting(URL, "a streamable HTTP server's URL"),
    "headers_env": entries("HTTP headers, each from an environment variable", Setting(ENV_NAME, "a variable")),
    "enabled_tools": Setting(strings(), "only these tools are offered"),
    "disabled_tools": Setting(strings(), "these tools are not offered"),
    "startup_timeout": Setting(_SECONDS, "seconds to start and list its tools"),
    "call_timeout": Setting(_SECONDS, "seconds for one call"),
    "required": Setting(boolean(), "a failure ends the run"),
    "approve": Setting(_APPROVE, "always, ask or never, for every tool"),
    "tool_approve": entries("approval per tool", Setting(_APPROVE, "always, ask or never")),
    "enabled": Setting(boolean(), "false: not started"),
})


def _hooks_kind() -> Kind:
    allowed = "an array of tables ([[tool.agent.hooks]]) with event, command and optional match, timeout, sandbox"

    def check(v):
        from agent.errors import ConfigError
        from agent.extensions.config import parse_hooks

        try:
            parse_hooks(v)
        except ConfigError as exc:
            raise Invalid(f"{allowed} ({exc})") from None
        return v
    return Kind(allowed, check)


_COMMAND = any_of(text(what="a command"), strings())
_SANDBOX = {  # agent.sandbox.settings reads these
    "mode": Setting(text(("auto", "bwrap", "off")), "auto (bubblewrap), bwrap, or off (not contained)"),
    "network": Setting(boolean(), "network for test runs (default false)"),
    "install_network": Setting(boolean(), "network for dependency installs (default true)"),
    "writable": Setting(strings(), "more host paths made writable"),
    "env_passthrough": Setting(strings(), "variable names (globs) kept although they look like credentials"),
    "home_passthrough": Setting(strings(), "paths under $HOME shown read-only, e.g. .cache/pip"),
}


# Every top-level setting. Others add entries here (and a Config field, and a docs row).
SETTINGS: dict[str, Setting] = {
    "model": Setting(text(), "model name for every tier, unless models.* says otherwise"),
    "api": Setting(text(("responses", "chat")), "responses (OpenAI) or chat (Chat Completions servers)"),
    "provider": Setting(text(PROVIDERS), "who serves the model"),
    "base_url": Setting(URL, "OpenAI-compatible endpoint the key is sent to"),
    "api_key_env": Setting(ENV_NAME, "the environment variable holding the API key"),
    "effort": _effort_table(),
    "test_command": Setting(_COMMAND, "command that runs the tests (default: detected); split once, never a shell + args"),
    "setup_command": Setting(_COMMAND, "installs what the tests need when a step changes a dependency manifest "
                                       "(replaces detection; runs sandboxed)"),
    "sandbox": table("how test runs and installs are contained ([security.md](security.md))", _SANDBOX),
    "test_timeout": Setting(number(above=0), "seconds before a test run is killed"),
    "test_strategy": Setting(text(("affected-first", "full")),
                             "at finish_step, the affected tests first, then the full suite; or only the full suite"),
    "max_attempts": Setting(integer(1), "tries per step at passing the tests"),
    "max_steps": Setting(integer(1), "at most this many plan steps"),
    "max_turns": Setting(integer(1), "model turns per attempt"),
    "request_deadline": Setting(number(above=0), "seconds for one model request, the whole streamed answer included"),
    "retry_budget": Setting(number(above=0), "seconds for one model call with all its retries and waits"),
    "max_cost": Setting(number(above=0), "stop (exit 5) before spending more USD than this"),
    "max_tokens": Setting(integer(1), "stop (exit 5) before using more tokens than this"),
    "syntax_check": Setting(boolean(), "refuse edits that break the syntax"),
    "baseline_tests": Setting(boolean(), "run the tests once before any change"),
    "keep_failed": Setting(boolean(), "keep a failing step's uncommitted changes in the worktree"),
    "system_prompt": Setting(text(what="a file path"), "file replacing prompts/system.md"),
    "models": entries("per-tier model settings", table("one tier", _TIER), names=TIERS),
    "roles": entries("which tier and effort serve each role", _ROLE, names=ROLES),
    "prices": entries("prices per model name", _PRICE),
    "compaction": table("when and how to compact the conversation", _COMPACTION),
    "mcp_servers": entries("MCP servers whose tools the model may call (docs/extensions.md)", _MCP_SERVER),
    "hooks": Setting(_hooks_kind(), "commands run around tool calls, steps and the session (docs/extensions.md)"),
    "mcp_allow_ask": Setting(boolean(), "without a terminal, run MCP tools whose approve is ask (else refused)"),
}


@dataclass
class Problems:
    """Every problem found in one go: one line each."""

    lines: list[str] = field(default_factory=list)

    def add(self, where: str, key: str, message: str) -> None:
        line = f"{where}: {key}: {message}" if key else f"{where}: {message}"
        # A key or value from a cloned repository must not reach the terminal as escape codes.
        self.lines.append("".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in line))


def _suggest(key: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(key, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def validate_table(values: dict[str, Any], where: str, problems: Problems, prefix: str = "",
                   settings: dict[str, Setting] | None = None) -> dict[str, Any]:
    """The valid part of one layer, keys normalised ('-' -> '_'); every problem goes to `problems`."""
    settings = SETTINGS if settings is None else settings
    clean: dict[str, Any] = {}
    for raw_key, value in values.items():
        key = raw_key.replace("-", "_")
        name = f"{prefix}{raw_key}"
        setting = settings.get(key)
        if setting is None:
            known = ", ".join(settings) if len(settings) <= 8 else "see docs/configuration.md"
            problems.add(where, name, f"unknown setting{_suggest(key, list(settings))}; allowed: {known}")
            continue
        checked = check_value(setting, value, where, name, problems)
        if checked is not BAD:
            clean[key] = checked
    return clean


BAD = object()


def check_value(setting: Setting, value: Any, where: str, name: str, problems: Problems) -> Any:
    try:
        value = setting.kind.check(value)
    except Invalid as exc:
        problems.add(where, name, f"{show(value)} is not allowed: must be {exc}")
        return BAD
    if isinstance(value, dict) and setting.table is not None:
        return validate_table(value, where, problems, f"{name}.", setting.table)
    if isinstance(value, dict) and setting.entries is not None:
        out = {}
        for entry, inner in value.items():
            if setting.entry_names is not None and entry not in setting.entry_names:
                problems.add(where, f"{name}.{entry}", f"unknown entry; allowed: {', '.join(setting.entry_names)}")
                continue
            checked = check_value(setting.entries, inner, where, f"{name}.{entry}", problems)
            if checked is not BAD:
                out[entry] = checked
        return out
    return value


def show(value: Any) -> str:
    if isinstance(value, str | int | float | bool):
        shown = repr(value) if not isinstance(value, bool) else str(value).lower()
        return shown if len(shown) <= 60 else shown[:57] + "..."
    return _type_name(value)


def dotted_keys(values: dict[str, Any], prefix: str = "") -> list[str]:
    """Every leaf key of a (validated) layer, dotted: ['max_attempts', 'models.pro.model', ...]."""
    out = []
    for key, value in values.items():
        if isinstance(value, dict) and value:
            out.extend(dotted_keys(value, f"{prefix}{key}."))
        else:
            out.append(f"{prefix}{key}")
    return out
