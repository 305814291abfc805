"""SDK clients per tier, and the two wire adapters (Responses, Chat Completions).

The `openai` import (over a second) happens only in make_client, i.e. on a tier's first call.

Prompt layout, the same for both APIs, kept stable for provider prompt caching:
    1. instructions (system prompt)               never changes in a session
    2. tools                                      sorted by name, fixed per phase
    3. items, in order                            only ever appended to ... until compaction:
       after it, items[0] is the compaction marker message holding the pinned context (intent,
       plan, steps, feedback, failures) as it was at that compaction, then the compacted summary
       and the recent items kept verbatim. Later pin changes are appended as ordinary messages
       (agent.model.compaction.pin_updates), so the prefix stays byte-stable until the next one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from agent.core.conversation import Conversation, ToolSpec
from agent.errors import ConfigError
from agent.model.tiers import Tier, azure_api_version, azure_endpoint, resolve_key

ENTRA_SCOPE = "https://cognitiveservices.azure.com/.default"

# Compaction marker: an ordinary user message (valid for every API, survives session save/resume).
MARKER = "[agent: earlier conversation compacted]"
PINNED_ORDER = ("intent", "plan", "steps", "step", "feedback", "failures")


def make_client(tier: Tier, env: Mapping[str, str] | None = None, *, timeout: float = 600.0) -> Any:
    """The SDK client for a tier; max_retries=0 because retry.py does the retrying."""
    import openai

    from agent.model.deadline import http_client

    common: dict[str, Any] = {"max_retries": 0, "timeout": timeout, "http_client": http_client()}
    if tier.provider == "azure":
        credential: dict[str, Any]
        if tier.auth == "entra":
            credential = {"azure_ad_token_provider": _entra_token_provider()}
        else:
            credential = {"api_key": resolve_key(tier, env)}
        version = azure_api_version(tier, env)
        endpoint = azure_endpoint(tier, env)
        if version:
            # Classic: /openai/deployments/NAME/chat/completions?api-version=..., /openai/responses?...
            if tier.base_url:
                return openai.AzureOpenAI(base_url=tier.base_url, api_version=version, **credential, **common)
            return openai.AzureOpenAI(azure_endpoint=endpoint, api_version=version, **credential, **common)
        base = tier.base_url or f"{endpoint}/openai/v1/"
        key = credential.get("api_key") or credential["azure_ad_token_provider"]
        return openai.OpenAI(base_url=base, api_key=key, **common)
    kwargs: dict[str, Any] = {"api_key": resolve_key(tier, env), **common}
    if tier.base_url:
        kwargs["base_url"] = tier.base_url
    return openai.OpenAI(**kwargs)


def _entra_token_provider() -> Any:
    try:
        from azure.identity import DefaultAzureCredential, get_bearer_token_provider
    except ImportError:
        raise ConfigError(
            "auth = \"entra\" needs azure-identity: pip install 'agent[azure]' (or use key auth with "
            "AZURE_OPENAI_API_KEY)"
        ) from None
    return get_bearer_token_provider(DefaultAzureCredential(), ENTRA_SCOPE)


# -- prompt pieces -------------------------------------------------------------------------------


def render_pinned(pinned: Mapping[str, str]) -> str:
    """The marker line, then prompts/pinned.md with the pinned entries in a fixed order."""
    from agent.core import prompts

    keys = [k for k in PINNED_ORDER if k in pinned] + sorted(k for k in pinned if k not in PINNED_ORDER)
    body = "\n\n".join(f"## {key}\n{pinned[key]}" for key in keys)
    try:
        text = prompts.render("pinned.md", pinned=body)
    except OSError:  # prompts missing from a broken install: still never lose the pinned text
        text = body
    return f"{MARKER}\n{text}"


def is_marker(item: Mapping[str, Any]) -> bool:
    content = item.get("content")
    return item.get("type") == "message" and isinstance(content, str) and content.startswith(MARKER)


def input_items(conversation: Conversation) -> list[dict[str, Any]]:
    """The items to send. A compaction marker carries the pinned context frozen when it was made;
    only a bare marker (sessions saved before that) is expanded into the current pinned context."""
    items = conversation.items
    if items and is_marker(items[0]) and items[0].get("content") == MARKER:
        head = {"type": "message", "role": "user", "content": render_pinned(conversation.pinned)}
        return [head, *items[1:]]
    return list(items)


def _sorted_tools(tools: list[ToolSpec]) -> list[ToolSpec]:
    return sorted(tools, key=lambda t: t.name)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


# -- Responses ------------------------------------------------------------------------------------


def responses_request(tier: Tier, conversation: Conversation, tools: list[ToolSpec], *, effort: str | None,
                      session_id: str, reasoning_ok: bool) -> dict[str, Any]:
    req: dict[str, Any] = {
        "model": tier.model,
        "instructions": conversation.instructions,
        "input": [_responses_item(i) for i in input_items(conversation)],
        "store": False,
    }
    if tools:
        req["tools"] = [{"type": "function", "name": t.name, "description": t.description,
                         "parameters": t.parameters, "strict": t.strict} for t in _sorted_tools(tools)]
    if effort is not None and reasoning_ok:
        reasoning: dict[str, Any] = {"effort": effort}
        if tier.reasoning_summary:
            reasoning["summary"] = "auto"
        req["reasoning"] = reasoning
        req["include"] = ["reasoning.encrypted_content"]
    if tier.provider != "openai-compatible":
        req["prompt_cache_key"] = session_id
    if tier.max_output_tokens:
        req["max_output_tokens"] = tier.max_output_tokens
    return req


def _responses_item(item: dict[str, Any]) -> dict[str, Any]:
    if item.get("type") == "reasoning" and not item.get("encrypted_content"):
        # Without encrypted content (a reasoning model that wasn't asked for it) the item can't be
        # resolved under store=false; send only the summary so nothing 404s.
        return {k: v for k, v in item.items() if k in ("type", "id", "summary")}
    return item


# -- Chat Completions -----------------------------------------------------------------------------


def chat_messages(conversation: Conversation) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [{"role": "system", "content": conversation.instructions}]
    for item in input_items(conversation):
        kind = item.get("type", "message")
        if kind == "message":
            role = item.get("role", "user")
            if role == "developer":
                role = "user"  # not every local server knows "developer"; one system message only
            elif role == "system":
                role = "user"
            messages.append({"role": role, "content": _text(item.get("content"))})
        elif kind == "function_call":
            call = {"id": item["call_id"], "type": "function",
                    "function": {"name": item["name"], "arguments": item.get("arguments") or "{}"}}
            last = messages[-1]
            if last["role"] == "assistant" and "tool_calls" in last:
                last["tool_calls"].append(call)
            elif last["role"] == "assistant" and not last.get("tool_calls"):
                last["tool_calls"] = [call]
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            output = item.get("output")
            messages.append({"role": "tool", "tool_call_id": item["call_id"],
                             "content": output if isinstance(output, str) else json.dumps(output)})
        # reasoning and compaction items have no Chat Completions form: dropped
    return messages


def chat_request(tier: Tier, conversation: Conversation, tools: list[ToolSpec], *, effort: str | None,
                 session_id: str, reasoning_ok: bool, stream: bool = True) -> dict[str, Any]:
    req: dict[str, Any] = {"model": tier.model, "messages": chat_messages(conversation)}
    strict = tier.provider != "openai-compatible"
    if tools:
        req["tools"] = [{"type": "function", "function": {
            "name": t.name, "description": t.description, "parameters": t.parameters,
            **({"strict": True} if strict and t.strict else {})}} for t in _sorted_tools(tools)]
    if effort is not None and reasoning_ok:
        req["reasoning_effort"] = effort
    if tier.provider != "openai-compatible":
        req["prompt_cache_key"] = session_id
    if tier.max_output_tokens:
        req["max_completion_tokens"] = tier.max_output_tokens
    if stream:
        req["stream"] = True
        req["stream_options"] = {"include_usage": True}
    return req


def prompt_size_source(request: dict[str, Any]) -> dict[str, Any]:
    """What of a request counts towards the prompt (for chars/4 estimates)."""
    keys = ("instructions", "input", "tools", "messages")
    return {k: request[k] for k in keys if k in request}
