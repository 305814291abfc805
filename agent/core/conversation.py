"""The conversation as the agent keeps it, independent of any provider.

Items are plain dicts shaped like the Responses API's input items, because that is the richest
format; the Chat Completions adapter in agent.model converts them (and drops reasoning items).

    {"type": "message", "role": "user" | "assistant", "content": str}
    {"type": "function_call", "call_id": str, "name": str, "arguments": str (JSON)}
    {"type": "function_call_output", "call_id": str, "output": str}
    {"type": "reasoning", ...}            # opaque, passed back verbatim to the Responses API

`pinned` holds what compaction must never lose (intent, approved plan, step status, the
person's feedback, the current step's failures); the model layer re-injects it verbatim.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Usage:
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.cached_input_tokens + other.cached_input_tokens,
            self.output_tokens + other.output_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
        )

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def to_dict(self) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "cached_input_tokens": self.cached_input_tokens,
            "output_tokens": self.output_tokens,
            "reasoning_tokens": self.reasoning_tokens,
        }


@dataclass
class ToolCall:
    call_id: str
    name: str
    arguments: str  # raw JSON text as the model wrote it

    def args(self) -> dict[str, Any]:
        """Parsed arguments; raises ValueError with a message fit to send back to the model."""
        try:
            value = json.loads(self.arguments or "{}")
        except json.JSONDecodeError as exc:
            raise ValueError(f"arguments of {self.name} are not valid JSON: {exc}") from None
        if not isinstance(value, dict):
            raise ValueError(f"arguments of {self.name} must be a JSON object")
        return value


@dataclass
class Turn:
    """One model response, already converted back into our terms."""

    text: str
    tool_calls: list[ToolCall]
    items: list[dict[str, Any]]  # to append to the conversation verbatim
    usage: Usage = field(default_factory=Usage)
    cost: float | None = None  # USD; None when the price is unknown
    model: str = ""
    tier: str = ""
    truncated: str | None = None  # why the reply was cut off (max_output_tokens, length, ...); None: whole


@dataclass
class ToolSpec:
    """A function tool with a JSON schema (provider-neutral); strict unless an MCP server's schema
    cannot be made strict."""

    name: str
    description: str
    parameters: dict[str, Any]
    strict: bool = True


@dataclass
class Conversation:
    instructions: str  # the system prompt: stable across the session for prompt caching
    items: list[dict[str, Any]] = field(default_factory=list)
    pinned: dict[str, str] = field(default_factory=dict)
    # The pinned entries as they were frozen into the compacted head (or last reported after it):
    # the model layer appends what changed since, so the head stays byte-stable between compactions.
    pinned_sent: dict[str, str] | None = None

    def add_user(self, text: str) -> None:
        self.items.append({"type": "message", "role": "user", "content": text})

    def add_turn(self, turn: Turn) -> None:
        self.items.extend(turn.items)

    def add_tool_output(self, call_id: str, output: str) -> None:
        self.items.append({"type": "function_call_output", "call_id": call_id, "output": output})

    def pin(self, key: str, text: str | None) -> None:
        if text is None:
            self.pinned.pop(key, None)
        else:
            self.pinned[key] = text

    def to_dict(self) -> dict[str, Any]:
        return {"instructions": self.instructions, "items": self.items, "pinned": self.pinned,
                "pinned_sent": self.pinned_sent}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Conversation:
        sent = d.get("pinned_sent")
        return cls(d["instructions"], list(d.get("items", [])), dict(d.get("pinned", {})),
                   dict(sent) if sent is not None else None)
