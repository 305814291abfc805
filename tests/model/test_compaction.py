"""Compaction under a tiny context window: the session finishes, the plan is never lost."""

from __future__ import annotations

import pytest

from agent.errors import ContextOverflow
from agent.testing.replay import ReplayServer
from agent.tools.specs import STEP_TOOLS
from tests.model.conftest import conversation, model_requests, session

PLAN = "PLAN v1: 1) add greet() to app.py 2) test it 3) document it"
STEPS = "step 1 of 3 (add greet) in progress; steps 2-3 pending"


def _read(n: int) -> dict:
    return {"name": "read_file", "arguments": {"path": f"mod{n}.py", "start_line": None, "end_line": None}}


def _run(model, turns: int) -> None:
    conv = conversation(f"Intent: greet users.\n{PLAN}\n{STEPS}")
    conv.pin("intent", "greet users")
    conv.pin("plan", PLAN)
    conv.pin("steps", STEPS)
    for n in range(turns):
        turn = model.respond(conv, STEP_TOOLS, "edit")
        conv.add_turn(turn)
        for call in turn.tool_calls:
            conv.add_tool_output(call.call_id, f"# mod{n}.py\n" + "def f():\n    return 1\n" * 40)
    return conv


def test_several_compactions_keep_the_plan_responses_api(events):
    turns = [{"tool_calls": [_read(n)], "expect": [PLAN, STEPS]} for n in range(24)] + [
        {"text": "all done", "expect": [PLAN, STEPS]}]
    with session({"turns": turns}, events, compaction={"context_window": 4000}) as (srv, model):
        conv = _run(model, 25)
        compact_calls = [r for r in srv.requests if r["path"].endswith("/responses/compact")]
        assert srv.remaining == 0
        assert srv.totals["peak_input"] < 4000
    compacted = events.of("context_compacted")
    assert len(compacted) >= 3 and len(compact_calls) == len(compacted)
    assert all(c["method"] == "responses" and c["tokens_after"] < c["tokens_before"] for c in compacted)
    # every request carried the plan (the server's `expect` checked it); the final state too:
    assert conv.items[0]["content"].startswith("[agent: earlier conversation compacted]")
    assert conv.pinned["plan"] == PLAN
    assert any(i.get("type") == "compaction" for i in conv.items)


def test_several_compactions_keep_the_plan_chat_with_instant_summaries(events):
    turns = [{"tool_calls": [_read(n)], "expect": [PLAN, STEPS]} for n in range(20)] + [
        {"text": "all done", "expect": [PLAN]}]
    summaries = {"turns": [{"text": f"- summary {k}: read mod files, nothing changed yet"} for k in range(20)]}
    with ReplayServer(summaries) as summarizer:
        models = {"instant": {"model": "small", "api": "chat", "base_url": summarizer.base_url},
                  "thinking": {"model": "gpt-5.2", "api": "chat", "base_url": lambda s: s.base_url}}
        with session({"turns": turns}, events, models=models, compaction={"context_window": 4000}) as (srv, model):
            conv = _run(model, 21)
            assert srv.remaining == 0 and srv.totals["peak_input"] < 4000
        used = len(model_requests(summarizer))
    compacted = events.of("context_compacted")
    assert len(compacted) >= 2 and used == len(compacted)
    assert all(c["method"] == "summary" for c in compacted)
    assert any("summary" in str(i.get("content")) for i in conv.items)
    summary_calls = [e for e in events.of("model_call_started") if e["role"] == "summarize"]
    assert summary_calls and all(e["tier"] == "instant" for e in summary_calls)


def test_context_length_exceeded_compacts_and_retries_once(events):
    # No window configured on our side: only the server knows, and says so with a 400.
    turns = [{"tool_calls": [_read(n)]} for n in range(6)] + [{"text": "done", "expect": [PLAN]}]
    with session({"context_window": 1800, "turns": turns}, events) as (srv, model):
        _run(model, 7)
        statuses = [r for r in srv.requests if r["path"].endswith("/responses/compact")]
        assert srv.remaining == 0
    assert len(events.of("context_compacted")) >= 1 and statuses


def test_context_overflow_after_compaction_is_a_clear_error(events):
    turns = [{"text": "never"}]
    with session({"context_window": 300, "turns": turns}, events) as (_srv, model):
        conv = conversation("x" * 4000)
        with pytest.raises(ContextOverflow, match="too long for 'gpt-5.2'"):
            model.respond(conv, STEP_TOOLS, "edit")
