"""Bounded time and size on the wire (issue 11, items 2, 3, 5): the real SDK over HTTP to the
replay server's fault modes. Deadlines are short (about a second) so the tests stay quick."""

from __future__ import annotations

import pytest

from agent.errors import ModelError, ModelTimeout
from agent.tools.specs import STEP_TOOLS
from tests.model.conftest import conversation, model_requests, session

APIS = ["responses", "chat"]
CALL = {"name": "run_tests", "arguments": {"args": None}}


@pytest.mark.parametrize("api", APIS)
def test_a_cut_off_reply_is_marked_truncated_and_counted(events, api):
    script = {"turns": [{"text": "Here is the first half of", "tool_calls": [CALL], "truncated": "max_output_tokens"}]}
    with session(script, events, api=api) as (srv, model):
        turn = model.respond(conversation(), STEP_TOOLS, "edit")
        assert len(model_requests(srv)) == 1  # not retried: the model is told instead
    assert turn.truncated == "max_output_tokens"
    assert model.truncations == 1
    assert events.of("model_call_finished")[0]["truncated"] == "max_output_tokens"
    assert any("cut off (max_output_tokens)" in w["message"] for w in events.of("warning"))


@pytest.mark.parametrize("api", APIS)
def test_a_whole_reply_is_not_truncated(events, api):
    with session({"turns": [{"text": "all of it", "tool_calls": [CALL]}]}, events, api=api) as (_srv, model):
        turn = model.respond(conversation(), STEP_TOOLS, "edit")
    assert turn.truncated is None and model.truncations == 0
    assert events.of("model_call_finished")[0]["truncated"] is None


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("fault", ["garbage", "eof"])
def test_garbage_or_an_early_end_in_the_stream_is_retried(events, api, fault):
    script = {"turns": [{"fault": fault}, {"text": "recovered", "tool_calls": [CALL]}]}
    with session(script, events, api=api) as (srv, model):
        turn = model.respond(conversation(), STEP_TOOLS, "edit")
        assert len(model_requests(srv)) == 2
    assert turn.text == "recovered" and [c.name for c in turn.tool_calls] == ["run_tests"]
    reason = events.of("model_retry")[0]["reason"]
    assert "stream broke" in reason
    if fault == "garbage":
        assert "garbage in the stream" in reason


@pytest.mark.timeout(30)
@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("fault", ["keepalive", "silent"])
def test_a_drip_feeding_or_silent_server_ends_at_the_deadline(events, api, fault):
    script = {"turns": [{"fault": fault}] * 5}
    with session(script, events, api=api, request_deadline=0.6, retry_budget=1.0) as (srv, model):
        with pytest.raises(ModelTimeout) as exc:
            model.respond(conversation(), STEP_TOOLS, "edit")
        tries = len(model_requests(srv))
    assert isinstance(exc.value, ModelError) and exc.value.exit_code == 1
    assert tries == 2  # 0.6 s, then what was left of the 1 s budget; never the 5 scripted
    message = str(exc.value)
    assert "request deadline 0.6 s, retry budget 1 s" in message and "timed out" in message
    assert "AGENT_REQUEST_DEADLINE" in message and "\n" not in message


def test_the_retry_budget_stops_waiting_for_retry_after(events):
    script = {"turns": [{"error": {"status": 429, "message": "slow down", "retry_after": 120}}, {"text": "late"}]}
    with session(script, events, retry_budget=60.0) as (_srv, model), pytest.raises(ModelTimeout) as exc:
        model.respond(conversation(), [], "edit")
    assert model.waits == []  # a 120 s wait would pass the 60 s budget: not even started
    assert "HTTP 429" in str(exc.value)
