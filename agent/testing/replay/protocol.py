"""OpenAI wire objects: Responses and Chat Completions, whole and as SSE events.

Shapes follow the `openai` SDK's types (types/responses, types/chat) including fields the SDK
marks required that are easy to forget: `input_tokens_details.cache_write_tokens`, `logprobs`
on text deltas, `sequence_number` on every Responses event, `annotations` on output text.
The SDK's `responses.stream()` helper insists that items are added before their deltas and that
the done item keeps the added item's id, so every item gets its id up front.
"""

from __future__ import annotations

import base64
import json
import math
import time
from dataclasses import dataclass, field
from typing import Any

CHUNK = 12  # characters per streamed delta: small enough that tests see several deltas


def tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def pieces(text: str, size: int = CHUNK) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@dataclass
class Usage:
    input: int = 0
    cached: int = 0
    output: int = 0  # includes reasoning, as the real API counts it
    reasoning: int = 0

    def responses(self) -> dict[str, Any]:
        return {
            "input_tokens": self.input,
            "input_tokens_details": {"cached_tokens": self.cached, "cache_write_tokens": 0},
            "output_tokens": self.output,
            "output_tokens_details": {"reasoning_tokens": self.reasoning},
            "total_tokens": self.input + self.output,
        }

    def chat(self) -> dict[str, Any]:
        return {
            "prompt_tokens": self.input,
            "completion_tokens": self.output,
            "total_tokens": self.input + self.output,
            "prompt_tokens_details": {"cached_tokens": self.cached, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": self.reasoning,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }


@dataclass
class Reply:
    """One scripted answer with its ids already assigned (so streaming and final objects agree)."""

    number: int  # 1-based count of answered model requests: makes every id deterministic
    model: str
    text: str = ""
    reasoning: str = ""
    tool_calls: list[tuple[str, str, str]] = field(default_factory=list)  # (call_id, name, args)
    usage: Usage = field(default_factory=Usage)
    encrypted: bool = False  # the request asked for reasoning.encrypted_content
    truncated: str | None = None  # cut off: Responses status "incomplete" with this reason; Chat "length"
    created: int = field(default_factory=lambda: int(time.time()))

    @property
    def response_id(self) -> str:
        return f"resp_replay{self.number:04d}"


def canonical_prompt(kind: str, body: dict[str, Any]) -> str:
    """The prompt as one deterministic string: instructions/system, tools, then each input item.

    Items are appended one per line so a conversation that grows at the end keeps its earlier
    text as an exact prefix, which is what prompt caching rewards.
    """
    tools = body.get("tools") or []
    if kind == "chat":
        messages = list(body.get("messages") or [])
        system = []
        while messages and messages[0].get("role") in ("system", "developer"):
            system.append(messages.pop(0).get("content"))
        head, items = dumps(system), messages
    else:
        head = dumps(body.get("instructions"))
        items = body.get("input") or []
        if isinstance(items, str):
            items = [{"role": "user", "content": items}]
    return "\n".join([head, dumps(tools), *(dumps(item) for item in items)])


def encrypted_reasoning(reply: Reply) -> str:
    blob = dumps({"replay": reply.number, "summary": reply.reasoning})
    return base64.b64encode(blob.encode()).decode()


# -- Responses API ---------------------------------------------------------------------------


def _reasoning_item(reply: Reply, done: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": f"rs_replay{reply.number:04d}",
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": reply.reasoning}] if done else [],
    }
    if reply.encrypted:
        item["encrypted_content"] = encrypted_reasoning(reply)
    return item


def _message_item(reply: Reply, done: bool) -> dict[str, Any]:
    content = [{"type": "output_text", "text": reply.text, "annotations": [], "logprobs": []}]
    return {
        "id": f"msg_replay{reply.number:04d}",
        "type": "message",
        "role": "assistant",
        "status": "completed" if done else "in_progress",
        "content": content if done else [],
    }


def _call_item(reply: Reply, index: int, done: bool) -> dict[str, Any]:
    call_id, name, arguments = reply.tool_calls[index]
    return {
        "id": f"fc_replay{reply.number:04d}_{index + 1}",
        "type": "function_call",
        "status": "completed" if done else "in_progress",
        "call_id": call_id,
        "name": name,
        "arguments": arguments if done else "",
    }


def response_output(reply: Reply) -> list[dict[str, Any]]:
    output = []
    if reply.reasoning:
        output.append(_reasoning_item(reply, True))
    if reply.text:
        output.append(_message_item(reply, True))
    output.extend(_call_item(reply, i, True) for i in range(len(reply.tool_calls)))
    return output


def response_object(body: dict[str, Any], reply: Reply, done: bool = True) -> dict[str, Any]:
    reasoning = body.get("reasoning") or {}
    return {
        "id": reply.response_id,
        "object": "response",
        "created_at": reply.created,
        "completed_at": reply.created if done else None,
        "status": ("incomplete" if reply.truncated else "completed") if done else "in_progress",
        "background": False,
        "error": None,
        "incomplete_details": {"reason": reply.truncated} if done and reply.truncated else None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": None,
        "model": reply.model,
        "output": response_output(reply) if done else [],
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "prompt_cache_key": body.get("prompt_cache_key"),
        "reasoning": {"effort": reasoning.get("effort"), "summary": reasoning.get("summary")},
        "service_tier": "default",
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": body.get("text") or {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "top_p": body.get("top_p", 1.0),
        "truncation": body.get("truncation", "disabled"),
        "usage": reply.usage.responses() if done else None,
        "user": None,
        "metadata": body.get("metadata") or {},
    }


def response_events(body: dict[str, Any], reply: Reply) -> list[tuple[str, dict[str, Any]]]:
    """The full event sequence of a streamed response, in the order the real API sends it."""
    events: list[tuple[str, dict[str, Any]]] = []

    def emit(type_: str, **data: Any) -> None:
        events.append((type_, {"type": type_, "sequence_number": len(events), **data}))

    emit("response.created", response=response_object(body, reply, done=False))
    emit("response.in_progress", response=response_object(body, reply, done=False))
    index = 0
    if reply.reasoning:
        item_id = _reasoning_item(reply, False)["id"]
        at = {"item_id": item_id, "output_index": index, "summary_index": 0}
        emit("response.output_item.added", output_index=index, item=_reasoning_item(reply, False))
        emit("response.reasoning_summary_part.added", **at, part={"type": "summary_text", "text": ""})
        for piece in pieces(reply.reasoning):
            emit("response.reasoning_summary_text.delta", **at, delta=piece)
        emit("response.reasoning_summary_text.done", **at, text=reply.reasoning)
        emit("response.reasoning_summary_part.done", **at,
             part={"type": "summary_text", "text": reply.reasoning})
        emit("response.output_item.done", output_index=index, item=_reasoning_item(reply, True))
        index += 1
    if reply.text:
        item_id = _message_item(reply, False)["id"]
        at = {"item_id": item_id, "output_index": index, "content_index": 0}
        part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
        emit("response.output_item.added", output_index=index, item=_message_item(reply, False))
        emit("response.content_part.added", **at, part=part)
        for piece in pieces(reply.text):
            emit("response.output_text.delta", **at, delta=piece, logprobs=[])
        emit("response.output_text.done", **at, text=reply.text, logprobs=[])
        emit("response.content_part.done", **at, part={**part, "text": reply.text})
        emit("response.output_item.done", output_index=index, item=_message_item(reply, True))
        index += 1
    for i, (_call_id, _name, arguments) in enumerate(reply.tool_calls):
        item = _call_item(reply, i, False)
        at = {"item_id": item["id"], "output_index": index}
        emit("response.output_item.added", output_index=index, item=item)
        for piece in pieces(arguments):
            emit("response.function_call_arguments.delta", **at, delta=piece)
        emit("response.function_call_arguments.done", **at, arguments=arguments)
        emit("response.output_item.done", output_index=index, item=_call_item(reply, i, True))
        index += 1
    emit("response.incomplete" if reply.truncated else "response.completed", response=response_object(body, reply))
    return events


def compacted_response(body: dict[str, Any], number: int, usage: Usage) -> dict[str, Any]:
    """What /responses/compact returns: the user messages kept, then one opaque compaction item."""
    items = body.get("input") or []
    if isinstance(items, str):
        items = [{"type": "message", "role": "user", "content": items}]
    output: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        if item.get("role") == "user" and item.get("type", "message") == "message":
            content = item.get("content")
            if isinstance(content, str):
                content = [{"type": "input_text", "text": content}]
            output.append({"id": f"msg_cmp{number:04d}_{i}", "type": "message", "role": "user",
                           "status": "completed", "content": content})
    summary = dumps({"replay_compaction": number, "items": len(items)})
    output.append({"id": f"cmp_replay{number:04d}", "type": "compaction",
                   "encrypted_content": base64.b64encode(summary.encode()).decode()})
    return {"id": f"resp_cmp{number:04d}", "object": "response.compaction", "created_at": int(time.time()),
            "output": output, "usage": usage.responses()}


# -- Chat Completions ------------------------------------------------------------------------


def chat_completion(reply: Reply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None, "refusal": None,
                               "annotations": []}
    if reply.tool_calls:
        message["tool_calls"] = [
            {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
            for call_id, name, arguments in reply.tool_calls
        ]
    return {
        "id": f"chatcmpl-replay{reply.number:04d}",
        "object": "chat.completion",
        "created": reply.created,
        "model": reply.model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": _finish_reason(reply)}],
        "usage": reply.usage.chat(),
        "service_tier": "default",
        "system_fingerprint": None,
    }


def _finish_reason(reply: Reply) -> str:
    if reply.truncated:
        return "content_filter" if reply.truncated == "content_filter" else "length"
    return "tool_calls" if reply.tool_calls else "stop"


def chat_chunks(reply: Reply, include_usage: bool) -> list[dict[str, Any]]:
    """Streamed chunks: role first, content pieces, each tool call's header then its argument pieces,
    the finish reason, and (with stream_options.include_usage) a last chunk with no choices."""
    base = {"id": f"chatcmpl-replay{reply.number:04d}", "object": "chat.completion.chunk",
            "created": reply.created, "model": reply.model, "service_tier": "default",
            "system_fingerprint": None}
    extra = {"usage": None} if include_usage else {}
    chunks = []

    def chunk(delta: dict[str, Any], finish: str | None = None) -> None:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        chunks.append({**base, "choices": [choice], **extra})

    chunk({"role": "assistant", "content": "", "refusal": None})
    if reply.text:
        for piece in pieces(reply.text):
            chunk({"content": piece})
    for i, (call_id, name, arguments) in enumerate(reply.tool_calls):
        chunk({"tool_calls": [{"index": i, "id": call_id, "type": "function",
                               "function": {"name": name, "arguments": ""}}]})
        for piece in pieces(arguments):
            chunk({"tool_calls": [{"index": i, "function": {"arguments": piece}}]})
    chunk({}, _finish_reason(reply))
    if include_usage:
        chunks.append({**base, "choices": [], "usage": reply.usage.chat()})
    return chunks


# -- Errors and models -----------------------------------------------------------------------

_ERROR_TYPES = {400: "invalid_request_error", 401: "invalid_request_error", 403: "permission_denied",
                404: "invalid_request_error", 429: "requests"}


def error_body(status: int, message: str, code: str | None = None, type_: str | None = None,
               param: str | None = None) -> dict[str, Any]:
    default = _ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": type_ or default, "param": param, "code": code}}


def model_object(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 1700000000, "owned_by": "replay"}
