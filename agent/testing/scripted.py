"""ScriptedModel: the replay server's script format, played in process (no HTTP, no SDK).

The loop, the toolbox and the run driver are tested with it directly and fast; the replay server
(agent.testing.replay) stays for what only the wire shows (SDK, streaming, faults, retries).

    from agent.testing.scripted import ScriptedModel
    model = ScriptedModel({"turns": [{"tool_calls": [{"name": "submit_plan", "arguments": {...}}]}]})
    loop = Loop(model, workspace, tests, approver, events, config, conversation=conv)

Per turn it honours `text`, `reasoning`, `tool_calls`, `usage`, `expect` (checked against the
conversation as the model would see it: instructions, pinned context, items, tool names) and
`truncated` (a reason: the reply counts as cut off), and
`error` (raised as the ModelError the model layer would raise after its retries). Unknown
per-wire keys (`break_stream`, `model`, `expect_model`) are accepted and ignored, so one script
serves both doubles. Ids are call_1, call_2, ... over the whole script, as the server numbers them.
"""

from __future__ import annotations

import json
from typing import Any

from agent.core.conversation import Conversation, ToolCall, ToolSpec, Turn, Usage
from agent.errors import ModelAuthError, ModelError, ModelNotFound
from agent.testing.replay.script import load_script


class ScriptMismatch(ModelError):
    """The conversation is not what the script expected at this turn (a test's assertion)."""


class ScriptedModel:
    """A Model (agent.core.seams.Model) that answers from a script; see the module docstring."""

    def __init__(self, script: dict[str, Any] | str, *, price_per_1k: float | None = None):
        self.script = load_script(script)
        self.turns: list[dict[str, Any]] = self.script["turns"]
        self.price_per_1k = price_per_1k  # USD per 1k tokens, None: cost unknown
        self.requests: list[dict[str, Any]] = []  # what each call saw: role, tools, conversation text
        self.escalations: list[str] = []
        self._next = 0
        self._calls = 0
        self._usage = Usage()
        self._step_usage = Usage()
        self._cost: float | None = 0.0 if price_per_1k is not None else None
        self._step_cost: float | None = self._cost

    # -- the Model protocol ---------------------------------------------------------------

    def respond(self, conversation: Conversation, tools: list[ToolSpec], role: str) -> Turn:
        if self._next >= len(self.turns):
            raise ScriptMismatch(f"script exhausted after {len(self.turns)} turns")
        index = self._next
        turn = self.turns[index]
        self._next += 1
        seen = _visible_text(conversation, tools)
        self.requests.append({"role": role, "tools": [t.name for t in tools], "text": seen})
        where = f"scripted turn {index + 1} of {len(self.turns)}"
        if "error" in turn:
            raise _error(turn["error"], where)
        for want in turn.get("expect", []):
            if want not in seen:
                raise ScriptMismatch(f"{where}: the conversation does not contain {want!r}")
        calls = []
        for call in turn.get("tool_calls", []):
            self._calls += 1
            calls.append(ToolCall(f"call_{self._calls}", call["name"], call["arguments"]))
        usage = _usage(turn, seen)
        cost = None if self.price_per_1k is None else usage.total_tokens / 1000 * self.price_per_1k
        self._account(usage, cost)
        items: list[dict[str, Any]] = []
        if turn.get("text"):
            items.append({"type": "message", "role": "assistant", "content": turn["text"]})
        items += [{"type": "function_call", "call_id": c.call_id, "name": c.name, "arguments": c.arguments}
                  for c in calls]
        return Turn(turn.get("text", ""), calls, items, usage=usage, cost=cost, model="scripted", tier="scripted",
                    truncated=turn.get("truncated"))

    def escalate(self, reason: str) -> str | None:
        self.escalations.append(reason)
        return None  # one tier: nothing stronger

    def tier_for(self, role: str) -> str:
        return "scripted"

    def end_step(self) -> None:
        self._step_usage = Usage()
        self._step_cost = 0.0 if self.price_per_1k is not None else None

    @property
    def usage(self) -> Usage:
        return self._usage

    @property
    def cost(self) -> float | None:
        return self._cost

    @property
    def step_usage(self) -> Usage:
        return self._step_usage

    @property
    def step_cost(self) -> float | None:
        return self._step_cost

    # -- for tests ------------------------------------------------------------------------

    @property
    def remaining(self) -> int:
        """Turns not yet played: a finished test usually wants 0."""
        return len(self.turns) - self._next

    def _account(self, usage: Usage, cost: float | None) -> None:
        self._usage = self._usage + usage
        self._step_usage = self._step_usage + usage
        if cost is not None:
            self._cost = (self._cost or 0.0) + cost
            self._step_cost = (self._step_cost or 0.0) + cost


def _visible_text(conversation: Conversation, tools: list[ToolSpec]) -> str:
    """Roughly the prompt a provider would get, flattened: what `expect` is matched against."""
    parts = [conversation.instructions, *conversation.pinned.values()]
    for item in conversation.items:
        for key in ("content", "output", "arguments", "name"):
            value = item.get(key)
            if isinstance(value, str):
                parts.append(value)
    parts += [t.name for t in tools]
    return "\n".join(parts)


def _usage(turn: dict[str, Any], seen: str) -> Usage:
    given = turn.get("usage", {})
    output = len(turn.get("text", "")) + sum(len(c["arguments"]) for c in turn.get("tool_calls", []))
    return Usage(
        input_tokens=given.get("input_tokens", -(-len(seen) // 4)),
        cached_input_tokens=given.get("cached_input_tokens", 0),
        output_tokens=given.get("output_tokens", -(-output // 4)),
        reasoning_tokens=given.get("reasoning_tokens", -(-len(turn.get("reasoning", "")) // 4)),
    )


def _error(err: dict[str, Any], where: str) -> ModelError:
    status = err["status"]
    message = err.get("message") or f"{where}: scripted error"
    kind = {401: ModelAuthError, 403: ModelAuthError, 404: ModelNotFound}.get(status, ModelError)
    return kind(f"{message} (HTTP {status}; {json.dumps(err.get('code'))})")
