"""Consume a streamed response (Responses or Chat Completions) into a Turn.

A turn only exists once its completion arrives: a stream that ends early, or fails mid-way,
raises BrokenStream and everything read so far is thrown away, so no tool call from a partial
stream can reach the loop (the retry asks again from scratch).

A reply the provider cut off (Responses `status: incomplete`, Chat `finish_reason: length` or
`content_filter`) is a whole turn with `truncated` set to the reason: the loop runs none of its
calls and tells the model. A reply over MAX_REPLY_CHARS is stopped there and treated the same.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from agent.core.conversation import ToolCall, Turn, Usage
from agent.errors import BrokenStream, ContextTooLong

MAX_REPLY_CHARS = 8_000_000  # one model reply (text, reasoning and tool arguments); far above 128k tokens


class ReplyTooLarge(Exception):
    """Raised inside a stream's consumer; carries the turn to use instead (cut off, no calls)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"over {limit:,} characters")
        self.turn = Turn(text="", tool_calls=[], items=[
            {"type": "message", "role": "assistant", "content": f"(reply stopped: over {limit:,} characters)"}],
            truncated=f"the reply was over {limit:,} characters")


class Progress:
    """model_progress events, throttled to about 10 per second (a new tool is sent at once)."""

    def __init__(self, emit: Callable[..., Any], tier: str, interval: float = 0.1,
                 clock: Callable[[], float] = time.monotonic, max_chars: int | None = None) -> None:
        self._max_chars = max_chars
        self._emit = emit
        self._tier = tier
        self._interval = interval
        self._clock = clock
        self._last = 0.0
        self._chars = 0
        self._reasoning = ""
        self._reported_tokens = -1

    @property
    def output_tokens(self) -> int:
        return (self._chars + 3) // 4

    def text(self, delta: str) -> None:
        self._chars += len(delta)
        self._check_size()
        self._maybe_flush()

    def reasoning(self, delta: str) -> None:
        self._chars += len(delta)
        self._check_size()
        if len(self._reasoning) < 20_000:  # what the UI shows per flush; the rest is counted only
            self._reasoning += delta
        self._maybe_flush()

    def _check_size(self) -> None:
        if self._max_chars is not None and self._chars > self._max_chars:
            raise ReplyTooLarge(self._max_chars)

    def tool(self, name: str) -> None:
        self._flush(tool=name)

    def finish(self) -> None:
        if self._reasoning or self.output_tokens != self._reported_tokens:
            self._flush()

    def _maybe_flush(self) -> None:
        if self._clock() - self._last >= self._interval:
            self._flush()

    def _flush(self, tool: str | None = None) -> None:
        fields: dict[str, Any] = {"tier": self._tier, "output_tokens": self.output_tokens}
        if self._reasoning:
            fields["reasoning"] = self._reasoning
            self._reasoning = ""
        if tool:
            fields["tool"] = tool
        self._last = self._clock()
        self._reported_tokens = self.output_tokens
        self._emit("model_progress", **fields)


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _dump(obj: Any) -> dict[str, Any]:
    if isinstance(obj, dict):
        return dict(obj)
    # warnings=False: compacted output echoes input-shaped items the SDK's output types don't describe
    return obj.model_dump(mode="json", exclude_none=True, warnings=False)


# -- Responses ---------------------------------------------------------------------------------


def responses_usage(usage: Any) -> Usage:
    return Usage(
        input_tokens=_get(usage, "input_tokens", 0) or 0,
        cached_input_tokens=_get(_get(usage, "input_tokens_details"), "cached_tokens", 0) or 0,
        output_tokens=_get(usage, "output_tokens", 0) or 0,
        reasoning_tokens=_get(_get(usage, "output_tokens_details"), "reasoning_tokens", 0) or 0,
    )


def responses_turn(response: Any) -> Turn:
    """A completed Responses object (streamed or not) as a Turn."""
    items: list[dict[str, Any]] = []
    texts: list[str] = []
    calls: list[ToolCall] = []
    for out in _get(response, "output", []) or []:
        kind = _get(out, "type")
        if kind == "message":
            text = "".join(_get(part, "text", "") or "" for part in _get(out, "content", []) or []
                           if _get(part, "type") == "output_text")
            texts.append(text)
            # Kept in the simple input form the rest of the agent reads (content is a string).
            items.append({"type": "message", "role": "assistant", "content": text})
        elif kind == "function_call":
            item = _dump(out)
            items.append(item)
            calls.append(ToolCall(item["call_id"], item["name"], item.get("arguments") or ""))
        else:  # reasoning (with encrypted_content), compaction, ...: passed back verbatim
            items.append(_dump(out))
    truncated = None
    if _get(response, "status") == "incomplete":
        truncated = str(_get(_get(response, "incomplete_details"), "reason", "") or "incomplete")
    return Turn(text="".join(texts), tool_calls=calls, items=items,
                usage=responses_usage(_get(response, "usage")), model=_get(response, "model", "") or "",
                truncated=truncated)


def consume_responses(events: Iterable[Any], progress: Progress) -> Turn:
    completed = None
    for event in events:
        kind = _get(event, "type", "")
        if kind == "response.output_text.delta":
            progress.text(_get(event, "delta", ""))
        elif kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
            progress.reasoning(_get(event, "delta", ""))
        elif kind == "response.function_call_arguments.delta":
            progress.text(_get(event, "delta", ""))
        elif kind == "response.output_item.added":
            item = _get(event, "item")
            if _get(item, "type") == "function_call":
                progress.tool(_get(item, "name", ""))
        elif kind == "response.completed":
            completed = _get(event, "response")
        elif kind in ("response.failed", "error"):
            err = _get(_get(event, "response"), "error") or event
            message = _get(err, "message", "") or "the response failed"
            if "context" in str(_get(err, "code", "")) or "context_length" in message:
                raise ContextTooLong(message)
            raise BrokenStream(message)
        elif kind == "response.incomplete":
            # Cut off (max_output_tokens, content_filter): a whole turn, marked truncated.
            completed = _get(event, "response")
    if completed is None:
        raise BrokenStream("the stream ended before response.completed")
    progress.finish()
    return responses_turn(completed)


# -- Chat Completions ----------------------------------------------------------------------------


def chat_usage(usage: Any) -> Usage:
    return Usage(
        input_tokens=_get(usage, "prompt_tokens", 0) or 0,
        cached_input_tokens=_get(_get(usage, "prompt_tokens_details"), "cached_tokens", 0) or 0,
        output_tokens=_get(usage, "completion_tokens", 0) or 0,
        reasoning_tokens=_get(_get(usage, "completion_tokens_details"), "reasoning_tokens", 0) or 0,
    )


def chat_items(text: str, calls: list[ToolCall]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if text:
        items.append({"type": "message", "role": "assistant", "content": text})
    for call in calls:
        items.append({"type": "function_call", "call_id": call.call_id, "name": call.name,
                      "arguments": call.arguments})
    return items


def _fix_ids(calls: list[ToolCall], salt: int) -> list[ToolCall]:
    # Some local servers send no (or repeated) tool call ids; the loop needs unique ones.
    seen: set[str] = set()
    fixed = []
    for i, call in enumerate(calls):
        cid = call.call_id
        if not cid or cid in seen:
            cid = f"call_{salt}_{i}"
        seen.add(cid)
        fixed.append(ToolCall(cid, call.name, call.arguments))
    return fixed


def chat_turn(completion: Any, salt: int = 0) -> Turn:
    """A non-streamed ChatCompletion as a Turn."""
    choice = (_get(completion, "choices") or [None])[0]
    message = _get(choice, "message")
    text = _get(message, "content", "") or ""
    calls = [ToolCall(_get(tc, "id", "") or "", _get(_get(tc, "function"), "name", ""),
                      _get(_get(tc, "function"), "arguments", "") or "")
             for tc in _get(message, "tool_calls", []) or []]
    calls = _fix_ids(calls, salt)
    return Turn(text=text, tool_calls=calls, items=chat_items(text, calls),
                usage=chat_usage(_get(completion, "usage")), model=_get(completion, "model", "") or "",
                truncated=_chat_cut(_get(choice, "finish_reason")))


def _chat_cut(finish_reason: Any) -> str | None:
    """Why a Chat Completions reply was cut off, in the Responses API's words; None when whole."""
    return {"length": "max_output_tokens", "content_filter": "content_filter"}.get(str(finish_reason or ""))


def consume_chat(chunks: Iterable[Any], progress: Progress, salt: int = 0) -> Turn:
    text: list[str] = []
    calls: dict[int, dict[str, str]] = {}
    finished: str | None = None
    usage = None
    model = ""
    for chunk in chunks:
        model = _get(chunk, "model", "") or model
        if _get(chunk, "usage") is not None:
            usage = _get(chunk, "usage")
        for choice in _get(chunk, "choices", []) or []:
            delta = _get(choice, "delta")
            content = _get(delta, "content")
            if content:
                text.append(content)
                progress.text(content)
            thought = _get(delta, "reasoning_content") or _get(delta, "reasoning")
            if isinstance(thought, str) and thought:
                progress.reasoning(thought)
            for tc in _get(delta, "tool_calls", []) or []:
                index = _get(tc, "index", len(calls)) or 0
                slot = calls.setdefault(index, {"id": "", "name": "", "arguments": ""})
                fn = _get(tc, "function")
                if _get(tc, "id"):
                    slot["id"] = _get(tc, "id")
                if _get(fn, "name"):
                    slot["name"] += _get(fn, "name")
                    progress.tool(slot["name"])
                if _get(fn, "arguments"):
                    slot["arguments"] += _get(fn, "arguments")
                    progress.text(_get(fn, "arguments"))
            if _get(choice, "finish_reason"):
                finished = str(_get(choice, "finish_reason"))
    if not finished:
        raise BrokenStream("the stream ended before a finish_reason")
    progress.finish()
    tool_calls = _fix_ids([ToolCall(c["id"], c["name"], c["arguments"]) for _, c in sorted(calls.items())], salt)
    joined = "".join(text)
    return Turn(text=joined, tool_calls=tool_calls, items=chat_items(joined, tool_calls),
                usage=chat_usage(usage) if usage is not None else Usage(), model=model, truncated=_chat_cut(finished))
