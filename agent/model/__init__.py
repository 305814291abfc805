"""The model layer: providers (OpenAI, Azure / Foundry, OpenAI-compatible), tiers, escalation, cost,
compaction. Importing this package is cheap: the `openai` SDK is imported on a tier's first call.

    model = build_model(config, bus.emit, session_id=sid)   # validates config, no network
    turn = model.respond(conversation, tools, role="edit")
    model.escalate("fix attempts used up")  /  model.end_step()
    model.usage, model.cost, model.compactions, model.truncations

    describe_tiers(config) -> [{tier, provider, model, api, base_url, effort, context_window, price}]
    doctor(config)         -> [{tier, provider, model, ok, problem}]   (talks to each tier once)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from agent.config import Config
from agent.errors import AgentError, ConfigError
from agent.model.prices import lookup, price_table
from agent.model.tiers import ROLES, TIERS, Tier, resolve_roles, validate

__all__ = ["build_model", "describe_tiers", "doctor"]


def build_model(config: Config, emit: Callable[..., Any], *, session_id: str,
                env: Mapping[str, str] | None = None):
    """A ModelSession for the loop. Raises ConfigError (one line, what to set) before any call."""
    from agent.model.compaction import CompactionSettings
    from agent.model.session import ModelSession

    tiers = validate(config, env)
    price_table(config.prices)
    CompactionSettings.from_config(config.compaction)
    _preload_sdk()
    return ModelSession(config, tiers, emit, session_id=session_id, env=env)


def _preload_sdk() -> None:
    """Import the openai SDK (over 1 s) in the background while the worktree, tests and repo map
    are set up, instead of on the first model call. An import already under way in this thread
    simply finishes first when the first call imports it too (Python's import lock)."""
    import sys
    import threading

    if "openai" not in sys.modules:
        threading.Thread(target=_import_openai, name="openai-preload", daemon=True).start()


def _import_openai() -> None:
    try:
        import openai  # noqa: F401
    except ImportError:
        pass  # the first call reports it


def describe_tiers(config: Config) -> list[dict[str, Any]]:
    """The resolved tiers as `agent models` shows them (no key checks, no network)."""
    from agent.model.compaction import CompactionSettings
    from agent.model.tiers import effort_for, resolve_tiers

    tiers = resolve_tiers(config)
    routes = resolve_roles(config)
    prices = price_table(config.prices)
    window_override = CompactionSettings.from_config(config.compaction).context_window
    rows = []
    for name in TIERS:
        tier = tiers[name]
        price = lookup(prices, tier)
        roles = [r for r in ROLES if routes[r].tier == name]
        rows.append({
            "tier": name, "provider": tier.provider, "model": tier.model, "api": tier.api,
            "base_url": tier.display_url(),
            "effort": tier.clamp_effort(tier.effort) if tier.effort else None,
            "role_efforts": {r: effort_for(routes[r], tier) for r in roles},
            "roles": roles,
            "context_window": window_override or tier.context_window or "unknown",
            "price": price.to_dict() if price else "unknown",
            "auth": _auth_line(tier),
        })
    return rows


def _auth_line(tier: Tier) -> str:
    if tier.provider == "azure" and tier.auth == "entra":
        return "Entra ID (azure-identity)"
    if tier.api_key_env:
        return f"key from ${tier.api_key_env}" + (" (optional: local server)" if tier.is_local else "")
    return "no key (local server)"


def doctor(config: Config, env: Mapping[str, str] | None = None, timeout: float = 30.0) -> list[dict[str, Any]]:
    """Check each distinct tier: configured, reachable, authenticated, and able to call a tool."""
    from agent.model.tiers import resolve_key, resolve_tiers

    try:
        tiers = resolve_tiers(config)
    except ConfigError as exc:
        return [{"tier": "config", "provider": "", "model": "", "ok": False, "problem": exc.message}]
    results: list[dict[str, Any]] = []
    seen: dict[tuple, dict[str, Any]] = {}
    for name in TIERS:
        tier = tiers[name]
        row = {"tier": name, "provider": tier.provider, "model": tier.model, "ok": True, "problem": None}
        if tier.identity in seen:
            row.update(ok=seen[tier.identity]["ok"], problem=seen[tier.identity]["problem"])
            results.append(row)
            continue
        try:
            resolve_key(tier, env)
            problem = _probe(tier, env, timeout)
        except AgentError as exc:
            problem = str(exc)
        row.update(ok=problem is None, problem=problem)
        seen[tier.identity] = row
        results.append(row)
    return results


def _probe(tier: Tier, env: Mapping[str, str] | None, timeout: float) -> str | None:
    """One tiny tool-call request; None when everything works, else a one-line problem."""
    from agent.core.conversation import Conversation, ToolSpec
    from agent.model import providers
    from agent.model.retry import RetryPolicy, classify, with_retries
    from agent.model.stream import chat_turn, responses_turn

    client = providers.make_client(tier, env, timeout=timeout)
    tool = ToolSpec("ping", "Answer the health check.", {
        "type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"],
        "additionalProperties": False})
    conv = Conversation("You are a health check. Call the ping tool with ok=true and say nothing else.")
    conv.add_user("ping")
    effort = tier.clamp_effort(tier.efforts[0] if tier.efforts else tier.effort)
    describe = {"provider": tier.provider, "model": tier.model, "url": tier.display_url(),
                "key_env": tier.api_key_env}

    def once(_limit: float):
        if tier.api == "responses":
            req = providers.responses_request(tier, conv, [tool], effort=effort, session_id="doctor",
                                              reasoning_ok=True)
            return responses_turn(client.responses.create(**req, tool_choice="required"))
        req = providers.chat_request(tier, conv, [tool], effort=effort, session_id="doctor",
                                     reasoning_ok=True, stream=False)
        return chat_turn(client.chat.completions.create(**req, tool_choice="required"))

    try:
        turn = with_retries(once, policy=RetryPolicy(max_tries=2, base_delay=0.5, request_deadline=timeout,
                                                     budget=2 * timeout + 1), describe=describe,
                            emit=lambda *a, **k: None)
    except AgentError as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - a doctor reports, it doesn't crash
        verdict, detail = classify(exc, **describe)
        return str(detail) if verdict == "raise" and detail is not exc else f"{type(exc).__name__}: {exc}"
    if not turn.tool_calls:
        return f"'{tier.model}' answered without calling the tool: tool calling may be unsupported"
    return None
