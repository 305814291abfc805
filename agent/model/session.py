"""ModelSession: the Model the loop talks to (routing, escalation, budgets, compaction, retries)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from agent.config import Config
from agent.core import prompts
from agent.core.conversation import Conversation, ToolSpec, Turn, Usage
from agent.errors import BrokenStream, ContextOverflow, ContextTooLong, ModelError, ReasoningUnsupported
from agent.model import compaction as comp
from agent.model import providers
from agent.model.deadline import http_module
from agent.model.prices import Price, lookup, price_table
from agent.model.retry import RetryPolicy, with_retries
from agent.model.stream import (
    MAX_REPLY_CHARS,
    Progress,
    ReplyTooLarge,
    consume_chat,
    consume_responses,
    responses_usage,
)
from agent.model.tiers import ROLES, Tier, effort_for, effort_rank, resolve_roles
from agent.model.usage import Meter, call_cost, estimate_tokens

ESCALATING_ROLES = ("edit", "fix")
STEP_CALLS = 8  # plan_estimate: model calls a step takes, typically (read, edit, test, finish, a fix)
STEP_OUTPUT = 800  # output tokens per call, reasoning included
CACHED_SHARE = 0.8


class ModelSession:
    def __init__(self, config: Config, tiers: dict[str, Tier], emit: Callable[..., Any], *, session_id: str,
                 env: Mapping[str, str] | None = None) -> None:
        self.config = config
        self.tiers = tiers
        self.routes = resolve_roles(config)
        self.emit = emit
        self.session_id = session_id
        self.env = env
        self.prices = price_table(config.prices)
        self.compaction = comp.CompactionSettings.from_config(config.compaction)
        self.retry = RetryPolicy.from_env(env, request_deadline=config.request_deadline, budget=config.retry_budget)
        self.meter = Meter(config.max_tokens, config.max_cost, self._warn)
        self.sleep: Callable[[float], None] = time.sleep  # tests swap it to skip real waits
        self.compactions = 0
        self.truncations = 0  # replies cut off by the provider (or over MAX_REPLY_CHARS)
        self.peak_input_tokens = 0
        self._clients: dict[tuple, Any] = {}
        self._ratio: dict[tuple, float] = {}  # real input tokens / chars-4 estimate, per tier
        self._no_reasoning: set[tuple] = set()
        self._no_compact: set[tuple] = set()
        self._learned: dict[tuple, int] = {}  # context windows learned from overflow errors
        self._escalated = False
        self._escalations_this_step = 0
        self._calls = 0

    # -- the Model protocol ------------------------------------------------------------------

    @property
    def usage(self) -> Usage:
        return self.meter.session.usage

    @property
    def cost(self) -> float | None:
        return self.meter.session.cost_or_none

    @property
    def step_usage(self) -> Usage:
        return self.meter.step.usage

    @property
    def step_cost(self) -> float | None:
        return self.meter.step.cost_or_none

    def respond(self, conversation: Conversation, tools: list[ToolSpec], role: str) -> Turn:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; the roles are {', '.join(ROLES)}")
        tier, effort = self.route(role)
        return self._invoke(role, tier, effort, conversation, tools, allow_compact=True)

    def escalate(self, reason: str) -> str | None:
        if self._escalated:
            return None
        current, current_effort = self.route("fix")
        pro = self.tiers["pro"]
        pro_effort = self._escalated_effort("fix")
        if pro.identity == current.identity and effort_rank(pro_effort) <= effort_rank(current_effort):
            return None  # nothing stronger to go to
        self._escalated = True
        self.emit("tier_switched", from_tier=current.name, to_tier=pro.name, reason=reason,
                  from_model=current.model, to_model=pro.model, effort=pro_effort)
        return pro.name

    def end_step(self) -> None:
        self._escalated = False
        self.meter.end_step()

    def carry_over(self, usage: Usage, cost: float | None) -> None:
        """Count what earlier processes of a resumed session spent: in the totals and the budgets."""
        if usage.total_tokens or cost:
            self.meter.session.add(usage, cost)

    def plan_estimate(self, steps: int) -> dict[str, Any]:
        """A rough cost of carrying out a plan of `steps` steps, for the person approving it:
        STEP_CALLS model calls per step, each sending about the context planning ended with
        (grown by half again on average), CACHED_SHARE of it cached; priced at the edit tier."""
        tier, _ = self.route("edit")
        context = max(self.peak_input_tokens, 4_000) * 3 // 2
        calls = steps * STEP_CALLS
        usage = Usage(input_tokens=calls * context, cached_input_tokens=int(calls * context * CACHED_SHARE),
                      output_tokens=calls * STEP_OUTPUT)
        cost = call_cost(self.price(tier), usage)
        return {"model_calls": calls, "input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
                "cost": None if cost is None else round(cost, 2), "model": tier.model}

    # -- routing -----------------------------------------------------------------------------

    def tier_for(self, role: str) -> str:
        """The name of the tier that serves `role` now (after any escalation of this step)."""
        return self.route(role)[0].name

    def route(self, role: str) -> tuple[Tier, str | None]:
        if self._escalated and role in ESCALATING_ROLES:
            return self.tiers["pro"], self._escalated_effort(role)
        r = self.routes[role]
        tier = self.tiers[r.tier]
        return tier, effort_for(r, tier)

    def _escalated_effort(self, role: str) -> str | None:
        pro = self.tiers["pro"]
        return pro.clamp_effort(pro.effort) if pro.effort else effort_for(self.routes[role], pro)

    def price(self, tier: Tier) -> Price | None:
        return lookup(self.prices, tier)

    def window(self, tier: Tier) -> int | None:
        configured = self.compaction.context_window or tier.context_window
        learned = self._learned.get(tier.identity)
        return min(w for w in (configured, learned) if w) if (configured or learned) else None

    def _learn_window(self, tier: Tier, message: str, estimate: int) -> None:
        """The provider said the prompt is too long: believe its number (or our estimate) from now on."""
        match = re.search(r"context length is (\d+)", message) or re.search(r"(\d{3,}) tokens", message)
        limit = int(match.group(1)) if match else int(estimate * 0.9)
        self._learned[tier.identity] = min(limit, self._learned.get(tier.identity, limit))

    # -- one call ----------------------------------------------------------------------------

    def client(self, tier: Tier) -> Any:
        if tier.identity not in self._clients:
            self._clients[tier.identity] = providers.make_client(tier, self.env)
        return self._clients[tier.identity]

    def build_request(self, tier: Tier, conversation: Conversation, tools: list[ToolSpec],
                      effort: str | None) -> dict[str, Any]:
        build = providers.responses_request if tier.api == "responses" else providers.chat_request
        return build(tier, conversation, tools, effort=effort, session_id=self.session_id,
                     reasoning_ok=tier.identity not in self._no_reasoning)

    def estimate(self, tier: Tier, request: dict[str, Any]) -> int:
        raw = estimate_tokens(providers.prompt_size_source(request))
        return int(raw * self._ratio.get(tier.identity, 1.0))

    def _invoke(self, role: str, tier: Tier, effort: str | None, conversation: Conversation,
                tools: list[ToolSpec], *, allow_compact: bool) -> Turn:
        update = comp.pin_updates(conversation)
        if update is not None:
            conversation.items.append(update)
        window = self.window(tier)
        compacted_for_overflow = False
        if allow_compact and self.compaction.enabled and window:
            estimate = self.estimate(tier, self.build_request(tier, conversation, tools, effort))
            if estimate > self.compaction.threshold * window:
                self.compact(conversation, tier, tools, effort)
        while True:
            request = self.build_request(tier, conversation, tools, effort)
            estimate = self.estimate(tier, request)
            price = self.price(tier)
            self.meter.check(estimate, price, tier.model)
            self.emit("model_call_started", role=role, tier=tier.name, model=tier.model, effort=effort)
            try:
                turn = self._call(tier, request)
            except ContextTooLong as exc:
                self._learn_window(tier, str(exc), estimate)
                if not allow_compact or compacted_for_overflow or not self.compact(conversation, tier, tools,
                                                                                    effort, forced=True):
                    raise ContextOverflow(
                        f"the conversation is too long for '{tier.model}' ({tier.name} tier) even after "
                        f"compaction: {exc}") from None
                compacted_for_overflow = True
                continue
            except ReasoningUnsupported as exc:
                if tier.identity in self._no_reasoning or "reasoning" not in request and \
                        "reasoning_effort" not in request:
                    raise ModelError(f"'{tier.model}' refused the request: {exc}") from None
                self._no_reasoning.add(tier.identity)
                self._warn(f"'{tier.model}' does not take a reasoning effort; calling it without one "
                           f"(set efforts = [] in [tool.agent.models.{tier.name}] to skip this)")
                continue
            return self._finish(role, tier, turn, request, estimate, price)

    def _call(self, tier: Tier, request: dict[str, Any]) -> Turn:
        client = self.client(tier)

        def once(limit: float) -> Turn:
            import openai

            httpx = http_module()

            progress = Progress(self.emit, tier.name, max_chars=MAX_REPLY_CHARS)  # a retry counts afresh
            self._calls += 1
            if tier.api == "responses":
                stream = client.responses.create(**request, stream=True, timeout=limit)
                consume = lambda: consume_responses(stream, progress)  # noqa: E731
            else:
                stream = client.chat.completions.create(**request, timeout=limit)
                consume = lambda: consume_chat(stream, progress, salt=self._calls)  # noqa: E731
            with stream:
                try:
                    return consume()
                except ReplyTooLarge as exc:
                    return exc.turn
                except (openai.APIConnectionError, httpx.TransportError) as exc:  # dropped, or the deadline
                    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
                        raise  # the deadline: retried, and counted as a timeout when they run out
                    raise BrokenStream(f"connection lost mid-stream ({type(exc).__name__})") from exc
                except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
                    # Not JSON, or JSON of the wrong shape: the SDK and our reader both fail on it.
                    raise BrokenStream(f"garbage in the stream ({type(exc).__name__}: {str(exc)[:120]})") from exc

        return with_retries(once, policy=self.retry, describe=self._describe(tier), emit=self.emit,
                            sleep=self.sleep)

    def _describe(self, tier: Tier) -> dict[str, Any]:
        return {"provider": tier.provider, "model": tier.model, "url": tier.display_url(),
                "key_env": tier.api_key_env}

    def _finish(self, role: str, tier: Tier, turn: Turn, request: dict[str, Any], estimate: int,
                price: Price | None) -> Turn:
        raw = estimate_tokens(providers.prompt_size_source(request))
        if turn.usage.input_tokens == 0 and turn.usage.output_tokens == 0:
            # The server reported no usage (some local servers): estimate it rather than count 0.
            out = estimate_tokens(turn.items) if turn.items else 0
            turn.usage = Usage(input_tokens=estimate, output_tokens=out)
        elif raw:
            self._ratio[tier.identity] = min(4.0, max(0.25, turn.usage.input_tokens / raw))
        self.peak_input_tokens = max(self.peak_input_tokens, turn.usage.input_tokens)
        turn.cost = call_cost(price, turn.usage)
        turn.tier = tier.name
        turn.model = turn.model or tier.model
        self.meter.record(turn.usage, turn.cost)
        self.emit("model_call_finished", role=role, tier=tier.name, model=tier.model,
                  usage=turn.usage.to_dict(), cost=turn.cost, step_cost=self.step_cost,
                  session_cost=self.cost, session_tokens=self.usage.total_tokens, truncated=turn.truncated)
        if turn.truncated:
            self.truncations += 1
            self._warn(f"the model's reply was cut off ({turn.truncated}); it is told so and asked again "
                       f"({self.truncations} cut-off repl{'y' if self.truncations == 1 else 'ies'} so far)")
        return turn

    def _warn(self, message: str) -> None:
        self.emit("warning", message=message)

    # -- compaction --------------------------------------------------------------------------

    def compact(self, conversation: Conversation, tier: Tier, tools: list[ToolSpec], effort: str | None,
                *, forced: bool = False) -> bool:
        """Fold old items into a compacted head; False when there is nothing that can be folded."""
        window = self.window(tier) or max(1, int(self.usage_estimate(tier, conversation, tools, effort) * 1.25))
        before = self.usage_estimate(tier, conversation, tools, effort)
        keep = int(window * self.compaction.keep_recent)
        if forced:
            keep //= 2
        items = conversation.items
        cut = comp.choose_cut(items, keep, self._ratio.get(tier.identity, 1.0))
        if cut is None:
            self._warn("the context is nearly full but nothing can be compacted yet")
            return False
        old = comp.without_maps(items[comp.head_start(items):cut])
        method = self._method(tier)
        head: list[dict[str, Any]] | None = None
        if method == "responses":
            try:
                head = self._compact_responses(tier, conversation, old)
            except ModelError as exc:
                self._no_compact.add(tier.identity)
                self._warn(f"responses.compact failed for '{tier.model}' ({exc}); summarizing instead")
                method = "summary"
        if head is None:
            head = [comp.summary_item(self._summarize(old))]
        conversation.items[:] = [comp.marker_item(conversation.pinned), *head, *comp.without_maps(items[cut:])]
        conversation.pinned_sent = dict(conversation.pinned)
        self.compactions += 1
        after = self.usage_estimate(tier, conversation, tools, effort)
        self.emit("context_compacted", tokens_before=before, tokens_after=after, method=method)
        return True

    def usage_estimate(self, tier: Tier, conversation: Conversation, tools: list[ToolSpec],
                       effort: str | None) -> int:
        return self.estimate(tier, self.build_request(tier, conversation, tools, effort))

    def _method(self, tier: Tier) -> str:
        wanted = tier.compaction if tier.compaction != "auto" else self.compaction.method
        native = tier.api == "responses" and tier.provider in ("openai", "azure") \
            and tier.identity not in self._no_compact
        if wanted == "responses" or (wanted == "auto" and native):
            return "responses" if tier.api == "responses" else "summary"
        return "summary"

    def _compact_responses(self, tier: Tier, conversation: Conversation,
                           old: list[dict[str, Any]]) -> list[dict[str, Any]]:
        request: dict[str, Any] = {"model": tier.model, "instructions": conversation.instructions,
                                   "input": [providers._responses_item(i) for i in old]}
        if tier.provider != "openai-compatible":
            request["prompt_cache_key"] = self.session_id
        estimate = self.estimate(tier, request)
        price = self.price(tier)
        self.meter.check(estimate, price, tier.model)
        client = self.client(tier)
        # The raw JSON, not the parsed model: the output mixes input- and output-shaped items that
        # must go back exactly as the API wrote them.
        def once(limit: float) -> dict[str, Any]:
            raw = client.responses.with_raw_response.compact(**request, timeout=limit)
            try:
                result = json.loads(raw.text)
            except ValueError as exc:
                raise BrokenStream(f"garbage from responses.compact ({exc})") from None
            if not isinstance(result, dict):
                raise BrokenStream("garbage from responses.compact (not an object)")
            return result

        result = with_retries(once, policy=self.retry, describe=self._describe(tier), emit=self.emit,
                              sleep=self.sleep)
        usage = responses_usage(result.get("usage"))
        cost = call_cost(price, usage)
        self.meter.record(usage, cost)
        self.emit("model_call_finished", role="summarize", tier=tier.name, model=tier.model,
                  usage=usage.to_dict(), cost=cost, step_cost=self.step_cost, session_cost=self.cost,
                  session_tokens=self.usage.total_tokens)
        return list(result.get("output") or [])

    def _summarize(self, old: list[dict[str, Any]]) -> str:
        tier, effort = self.route("summarize")
        window = self.window(tier)
        limit = int(window * 4 * 0.5) if window else None  # chars: half the summarizer's window
        request = Conversation(prompts.load("compact_summary.md").strip())
        request.add_user(comp.transcript(old, limit))
        turn = self._invoke("summarize", tier, effort, request, [], allow_compact=False)
        return turn.text or "(the summarizer returned nothing)"
