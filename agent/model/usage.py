"""Usage and cost accounting per call, per step and per session, and the budget checks."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from agent.core.conversation import Usage
from agent.errors import BudgetExceeded
from agent.model.prices import Price

OUTPUT_ALLOWANCE = 1_000  # output tokens assumed for the next call when checking --max-cost


def estimate_tokens(payload: Any) -> int:
    """chars/4 of what we send: cheap, provider-neutral, and close enough for budgets/compaction."""
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False, default=str)
    return (len(text) + 3) // 4


@dataclass
class Tally:
    usage: Usage = field(default_factory=Usage)
    cost: float = 0.0
    unknown_cost_calls: int = 0  # calls whose price was unknown: `cost` is then a lower bound
    calls: int = 0

    def add(self, usage: Usage, cost: float | None) -> None:
        self.usage = self.usage + usage
        self.calls += 1
        if cost is None:
            self.unknown_cost_calls += 1
        else:
            self.cost += cost

    @property
    def cost_or_none(self) -> float | None:
        """None ("unknown") only when no call had a known price."""
        if self.calls and self.unknown_cost_calls == self.calls:
            return None
        return self.cost

    @property
    def cached_share(self) -> float:
        return self.usage.cached_input_tokens / self.usage.input_tokens if self.usage.input_tokens else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**self.usage.to_dict(), "cost": self.cost_or_none, "calls": self.calls,
                "unknown_cost_calls": self.unknown_cost_calls, "cached_share": round(self.cached_share, 4)}


def call_cost(price: Price | None, usage: Usage) -> float | None:
    if price is None:
        return None
    return price.cost(usage.input_tokens, usage.cached_input_tokens, usage.output_tokens)


class Meter:
    """Session and step tallies plus the --max-tokens / --max-cost checks made before each call."""

    def __init__(self, max_tokens: int | None, max_cost: float | None, warn) -> None:
        self.max_tokens = max_tokens
        self.max_cost = max_cost
        self.session = Tally()
        self.step = Tally()
        self._warn = warn
        self._warned_unknown: set[str] = set()

    def record(self, usage: Usage, cost: float | None) -> None:
        self.session.add(usage, cost)
        self.step.add(usage, cost)

    def end_step(self) -> None:
        self.step = Tally()

    def check(self, estimated_input: int, price: Price | None, model: str) -> None:
        """Raise BudgetExceeded when the next call (estimated) would pass a budget."""
        used = self.session.usage.total_tokens
        if self.max_tokens is not None and used + estimated_input > self.max_tokens:
            raise BudgetExceeded(
                f"token budget reached: {used:,} tokens used, the next call needs ~{estimated_input:,} "
                f"more and --max-tokens is {self.max_tokens:,}"
            )
        if self.max_cost is None:
            return
        if price is None:
            if model not in self._warned_unknown:
                self._warned_unknown.add(model)
                self._warn(f"no price known for model '{model}': --max-cost cannot count its calls "
                           f"(add [tool.agent.prices.\"{model}\"] to price it)")
            return
        next_cost = price.cost(estimated_input, 0, OUTPUT_ALLOWANCE)
        if self.session.cost + next_cost > self.max_cost:
            raise BudgetExceeded(
                f"cost budget reached: ${self.session.cost:.4f} spent, the next call may cost "
                f"~${next_cost:.4f} and --max-cost is ${self.max_cost:.2f}"
            )
