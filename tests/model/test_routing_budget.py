"""Escalation to the pro tier, budgets (exit 5), and usage/cost checked against the server's sums."""

from __future__ import annotations

import pytest

from agent.core.conversation import Usage
from agent.errors import BudgetExceeded
from agent.model.prices import DEFAULT_PRICES
from agent.tools.specs import STEP_TOOLS
from tests.model.conftest import conversation, model_requests, session

PATCH = {"name": "apply_diff", "arguments": {"diff": "--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n"}}


def test_escalation_from_thinking_to_pro_after_failed_attempts(events):
    """max_attempts=3: attempts 1-2 at thinking, the loop escalates before the last, pro finishes;
    the next step is back on thinking."""
    script = {"turns": [
        {"tool_calls": [PATCH], "expect_model": "gpt-5.2"},
        {"tool_calls": [PATCH], "expect_model": "gpt-5.2"},
        {"tool_calls": [PATCH], "expect_model": "gpt-5.2-pro",
         "expect": ["tests failed: test_greet", "--- a/x.py"]},
        {"text": "next step", "expect_model": "gpt-5.2"},
    ]}
    # (against OpenAI itself gpt-5.2-pro is the default pro tier; a local URL needs it said)
    with session(script, events, models={"pro": {"model": "gpt-5.2-pro"}}) as (srv, model):
        conv = conversation()
        for attempt in range(3):
            if attempt == 2:
                assert model.escalate("2 attempts failed") == "pro"
                assert model.escalate("again") is None  # once per step
            turn = model.respond(conv, STEP_TOOLS, "fix" if attempt else "edit")
            conv.add_turn(turn)
            conv.add_tool_output(turn.tool_calls[0].call_id, "applied")
            conv.add_user(f"tests failed: test_greet (attempt {attempt + 1})")
        assert model.route("plan")[0].name == "thinking"  # planning never escalates
        model.end_step()
        model.respond(conv, STEP_TOOLS, "edit")
        bodies = [r["body"] for r in model_requests(srv)]
    assert [b["model"] for b in bodies] == ["gpt-5.2", "gpt-5.2", "gpt-5.2-pro", "gpt-5.2"]
    assert bodies[2]["reasoning"]["effort"] == "high"
    switch = events.of("tier_switched")
    assert len(switch) == 1 and switch[0]["from_tier"] == "thinking" and switch[0]["to_tier"] == "pro"
    assert switch[0]["reason"] == "2 attempts failed"
    assert [e["tier"] for e in events.of("model_call_started")] == ["thinking", "thinking", "pro", "thinking"]


def test_single_model_escalation_raises_effort(events):
    with session({"turns": [{"text": "x"}]}, events, api="chat") as (srv, model):
        assert model.tiers["pro"].model == "gpt-5.2"  # chat: gpt-5.2-pro is Responses-only
        assert model.escalate("stuck") == "pro"
        model.respond(conversation(), [], "fix")
        assert model_requests(srv)[0]["body"]["reasoning_effort"] == "xhigh"


def test_token_budget_stops_before_the_call(events):
    script = {"turns": [{"text": "one"}, {"text": "two"}]}
    with session(script, events, max_tokens=300) as (srv, model):
        conv = conversation("x" * 400)  # ~100 tokens + tools
        model.respond(conv, [], "edit")
        used = model.usage.total_tokens
        conv.add_user("y" * 800)
        with pytest.raises(BudgetExceeded) as exc:
            model.respond(conv, [], "edit")
        assert len(model_requests(srv)) == 1  # the call that would pass the budget was never sent
    assert exc.value.exit_code == 5
    assert f"{used:,} tokens used" in str(exc.value) and "--max-tokens is 300" in str(exc.value)


def test_cost_budget_stops_before_the_call(events):
    price = DEFAULT_PRICES["gpt-5.2"]
    big = "z" * 40_000  # ~10k tokens: ~$0.0175 of input plus the output allowance
    script = {"turns": [{"text": "one"}, {"text": "two"}]}
    with session(script, events, max_cost=0.045) as (srv, model):
        conv = conversation(big)
        model.respond(conv, [], "edit")
        assert 0.015 < model.cost < 0.02
        with pytest.raises(BudgetExceeded, match=r"--max-cost is \$0.04") as exc:
            model.respond(conv, [], "edit")
        assert len(model_requests(srv)) == 1
    assert exc.value.exit_code == 5 and price["input"] == 1.75


def test_unknown_price_warns_once_and_does_not_block(events):
    script = {"turns": [{"text": "one"}, {"text": "two"}]}
    with session(script, events, model="house-model", max_cost=0.01) as (_srv, model):
        a = model.respond(conversation(), [], "edit")
        b = model.respond(conversation(), [], "edit")
    assert a.cost is None and b.cost is None and model.cost is None
    assert len(events.of("warning")) == 1 and "house-model" in events.of("warning")[0]["message"]


@pytest.mark.parametrize("api", ["responses", "chat"])
def test_usage_and_cost_match_the_servers_counts(events, api):
    turns = [{"reasoning": "r" * 80, "tool_calls": [PATCH]}] * 3 + [{"text": "done"}]
    with session({"turns": turns}, events, api=api) as (srv, model):
        conv = conversation("please " * 400)
        for _ in range(4):
            turn = model.respond(conv, STEP_TOOLS, "edit")
            conv.add_turn(turn)
            for call in turn.tool_calls:
                conv.add_tool_output(call.call_id, "ok " * 200)
        totals = dict(srv.totals)
    u = model.usage
    assert (u.input_tokens, u.cached_input_tokens, u.output_tokens) == (totals["input"], totals["cached"],
                                                                        totals["output"])
    assert u.reasoning_tokens == totals["reasoning"] and u.cached_input_tokens > 0
    p = DEFAULT_PRICES["gpt-5.2"]
    expected = ((u.input_tokens - u.cached_input_tokens) * p["input"] + u.cached_input_tokens * p["cached_input"]
                + u.output_tokens * p["output"]) / 1e6  # reasoning is inside output: not added again
    assert model.cost == pytest.approx(expected, rel=1e-6)
    finished = events.of("model_call_finished")
    assert sum(f["usage"]["input_tokens"] for f in finished) == totals["input"]
    assert finished[-1]["session_cost"] == pytest.approx(expected, rel=1e-6)
    model.end_step()
    assert model.step_usage.input_tokens == 0 and model.usage.input_tokens == totals["input"]


def test_a_resumed_session_counts_what_earlier_processes_spent(events):
    """After `agent resume`, --max-cost covers the whole session, not just this process."""
    script = {"turns": [{"text": "one"}]}
    with session(script, events, max_cost=0.045) as (srv, model):
        model.carry_over(Usage(input_tokens=20_000, output_tokens=400), 0.04)
        with pytest.raises(BudgetExceeded, match=r"\$0.0400 spent"):
            model.respond(conversation("z" * 8_000), [], "edit")
        assert model_requests(srv) == []
    assert model.usage.input_tokens == 20_000
