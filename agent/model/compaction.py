"""Compaction helpers: when to compact, where to cut, and how to summarize without the API's help.

When the prompt nears `threshold` of the tier's context window, the items are split into an old
part and a recent tail. The old part is replaced by either the Responses API's compaction
(`responses.compact`: the user messages plus one opaque compaction item) or, elsewhere, a summary
written by the instant tier. The result is

    [marker] + compacted head + recent tail (verbatim)

where the marker holds the conversation's pinned context (intent, plan, steps and status,
feedback, failures) frozen as it was at this compaction, so those are never lost however often
this runs; pins that change later are appended as one message per change (pin_updates), never
re-rendered into the head, so the prefix stays byte-stable and cached until the next compaction.
Repository maps are taken out of everything folded and everything kept (without_maps): they are
large, cheap to make again, and stale soon.

Settings (`[tool.agent.compaction]`): threshold (0.85), keep_recent (0.15 of the window kept
verbatim), method ("auto" | "responses" | "summary"), context_window (overrides every tier's,
e.g. for tests), enabled (true).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from agent.core import prompts
from agent.errors import ConfigError
from agent.model.providers import MARKER, is_marker
from agent.model.usage import estimate_tokens

TOOL_OUTPUT_LIMIT = 1_500  # characters of each old tool output shown to the summarizer


@dataclass(frozen=True)
class CompactionSettings:
    # 0.85 / 0.15: with a 12k window one compaction per ~10k tokens of new context and a cached
    # share over 80% on both APIs (bench/context_bench.py); 0.8 / 0.25 compacted half again as often.
    threshold: float = 0.85
    keep_recent: float = 0.15
    method: str = "auto"
    context_window: int | None = None
    enabled: bool = True

    @classmethod
    def from_config(cls, table: dict[str, Any] | None) -> CompactionSettings:
        table = dict(table or {})
        unknown = set(table) - {"threshold", "keep_recent", "method", "context_window", "enabled"}
        if unknown:
            raise ConfigError(f"compaction: unknown setting(s) {', '.join(sorted(unknown))}")
        s = cls(
            threshold=float(table.get("threshold", cls.threshold)),
            keep_recent=float(table.get("keep_recent", cls.keep_recent)),
            method=str(table.get("method", "auto")),
            context_window=int(table["context_window"]) if table.get("context_window") else None,
            enabled=bool(table.get("enabled", True)),
        )
        if not 0.1 <= s.threshold <= 1.0:
            raise ConfigError("compaction.threshold must be between 0.1 and 1.0 (a share of the context window)")
        if not 0.0 <= s.keep_recent < s.threshold:
            raise ConfigError("compaction.keep_recent must be at least 0 and below compaction.threshold")
        if s.method not in ("auto", "responses", "summary"):
            raise ConfigError("compaction.method must be 'auto', 'responses' or 'summary'")
        return s


def marker_item(pinned: dict[str, str] | None = None) -> dict[str, Any]:
    """The head of a compacted conversation: the pinned context frozen as it is now."""
    from agent.model.providers import render_pinned

    return {"type": "message", "role": "user", "content": render_pinned(pinned) if pinned is not None else MARKER}


def pin_updates(conversation) -> dict[str, Any] | None:
    """After a compaction: one message with the pinned entries that changed since they were last
    sent (appended, so nothing before it changes), or None when nothing changed."""
    sent = conversation.pinned_sent
    if sent is None:
        return None
    now = conversation.pinned
    changed = [k for k in now if sent.get(k) != now[k]]
    cleared = [k for k in sent if k not in now]
    if not changed and not cleared:
        return None
    body = "\n\n".join([*(f"## {k}\n{now[k]}" for k in changed), *(f"## {k}\n(cleared)" for k in cleared)])
    conversation.pinned_sent = dict(now)
    return {"type": "message", "role": "user", "content": prompts.render("pinned_update.md", pinned=body)}


PIN_UPDATE_HEAD = "Context preserved across compaction, updated"  # prompts/pinned_update.md
MAP_HEADER = "Repository map (most relevant first):"  # how agent.core.loop introduces the map
MAP_OMITTED = "[repository map omitted when the conversation was compacted; call repo_map for a fresh one]"


def without_maps(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items with every repository map taken out (a map is the last part of the prompt that
    carries it, or the whole output of a repo_map call): maps are large, cheap to make again and
    stale soon, so none is kept verbatim across a compaction."""
    map_calls = {i.get("call_id") for i in items if i.get("type") == "function_call" and i.get("name") == "repo_map"}
    out = []
    for item in items:
        content = item.get("content")
        if item.get("type") == "message" and isinstance(content, str) and content.startswith(PIN_UPDATE_HEAD):
            continue  # superseded: the new head holds the pinned context as it is now
        if item.get("type") == "message" and isinstance(content, str) and MAP_HEADER in content:
            item = {**item, "content": content[:content.index(MAP_HEADER)] + MAP_OMITTED}
        elif item.get("type") == "function_call_output" and item.get("call_id") in map_calls:
            item = {**item, "output": MAP_OMITTED}
        out.append(item)
    return out


def head_start(items: list[dict[str, Any]]) -> int:
    """Index of the first item that compaction may fold (after an earlier marker, if any)."""
    return 1 if items and is_marker(items[0]) else 0


def choose_cut(items: list[dict[str, Any]], keep_tokens: int, ratio: float = 1.0) -> int | None:
    """The earliest index where the tail fits in keep_tokens and the cut splits nothing that must
    stay together (a call from its output, a reasoning item from what follows it). None when no
    cut would fold anything."""
    start = head_start(items)
    n = len(items)
    suffix = [0] * (n + 1)
    for i in range(n - 1, -1, -1):
        suffix[i] = suffix[i + 1] + int(estimate_tokens(items[i]) * ratio)
    open_calls: set[str] = set()
    candidates: list[int] = []
    for i in range(start, n):
        item = items[i]
        if item.get("type") == "function_call":
            open_calls.add(item.get("call_id", ""))
        elif item.get("type") == "function_call_output":
            open_calls.discard(item.get("call_id", ""))
        cut = i + 1
        if open_calls or item.get("type") == "reasoning":
            continue
        if cut < n and items[cut].get("type") == "function_call_output":
            continue
        candidates.append(cut)
    for cut in candidates:
        if suffix[cut] <= keep_tokens:
            return cut
    return candidates[-1] if candidates else None


def transcript(items: list[dict[str, Any]], limit_chars: int | None = None) -> str:
    """Old items as plain text for the summarizer (long tool outputs abridged, reasoning dropped)."""
    lines: list[str] = []
    for item in items:
        kind = item.get("type", "message")
        if kind == "message":
            content = item.get("content")
            if not isinstance(content, str):
                content = "".join(p.get("text", "") for p in content or [] if isinstance(p, dict))
            lines.append(f"[{item.get('role', 'user')}] {content}")
        elif kind == "function_call":
            lines.append(f"[tool call {item.get('name')}] {item.get('arguments', '')}")
        elif kind == "function_call_output":
            out = item.get("output")
            out = out if isinstance(out, str) else json.dumps(out)
            if len(out) > TOOL_OUTPUT_LIMIT:
                out = out[:TOOL_OUTPUT_LIMIT] + f"\n... ({len(out) - TOOL_OUTPUT_LIMIT} more characters)"
            lines.append(f"[tool result] {out}")
    text = "\n".join(lines)
    if limit_chars is not None and len(text) > limit_chars:
        # Keep the newest part: what was about to happen matters more than the first reads.
        text = "... (earliest part omitted)\n" + text[-limit_chars:]
    return text


def summary_item(summary: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": prompts.render("compacted.md", summary=summary.strip())}
