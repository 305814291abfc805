"""Prices in USD per 1M tokens, for the models we ship presets for.

Each entry says when it was checked and against what. Models not listed (and Azure deployments
without a `family`) are priced "unknown" (None), never guessed. Override or extend with
`[tool.agent.prices."MODEL"] input = .., cached_input = .., output = ..`.
Reasoning tokens are part of output_tokens in the APIs' usage, so they are billed as output once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agent.errors import ConfigError

# OpenAI's own price page is not reachable from where these were checked; several independent
# listings of OpenAI's standard-tier prices agreed on these figures.
_OPENAI = "OpenAI standard-tier API prices, as listed by independent third parties"

DEFAULT_PRICES: dict[str, dict[str, Any]] = {
    "gpt-5.2": {"input": 1.75, "cached_input": 0.175, "output": 14.00, "checked": "2026-11-22", "source": _OPENAI},
    "gpt-5.2-chat-latest": {"input": 1.75, "cached_input": 0.175, "output": 14.00, "checked": "2026-11-22",
                            "source": _OPENAI},
    # Pro has no cached-input discount: cached tokens are billed at the input price.
    "gpt-5.2-pro": {"input": 21.00, "cached_input": 21.00, "output": 168.00, "checked": "2026-11-22",
                    "source": _OPENAI},
}


@dataclass(frozen=True)
class Price:
    input: float
    cached_input: float
    output: float
    checked: str | None = None

    def cost(self, input_tokens: int, cached_input_tokens: int, output_tokens: int) -> float:
        cached = min(cached_input_tokens, input_tokens)
        return ((input_tokens - cached) * self.input + cached * self.cached_input
                + output_tokens * self.output) / 1_000_000

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"input": self.input, "cached_input": self.cached_input, "output": self.output}
        if self.checked:
            d["checked"] = self.checked
        return d


FREE = Price(0.0, 0.0, 0.0, "local server")


def price_table(overrides: dict[str, Any] | None) -> dict[str, Price]:
    table = {name: _price(name, entry) for name, entry in DEFAULT_PRICES.items()}
    for name, entry in (overrides or {}).items():
        if not isinstance(entry, dict):
            raise ConfigError(f"prices.{name} must be a table with input, cached_input and output")
        base = DEFAULT_PRICES.get(name, {})
        table[name] = _price(name, {**base, "checked": "config", **entry})
    return table


def _price(name: str, entry: dict[str, Any]) -> Price:
    try:
        inp = float(entry["input"])
        out = float(entry["output"])
        cached = float(entry.get("cached_input", inp))
    except (KeyError, TypeError, ValueError):
        raise ConfigError(f"prices.{name} needs numeric input and output (USD per 1M tokens)") from None
    return Price(inp, cached, out, entry.get("checked"))


def lookup(table: dict[str, Price], tier) -> Price | None:
    """The tier's price: by model name, then by family; local OpenAI-compatible servers cost nothing."""
    for name in (tier.model, tier.family):
        if name and name in table:
            return table[name]
    if tier.is_local and tier.provider == "openai-compatible":
        return FREE
    return None
