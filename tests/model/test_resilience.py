"""Retries, broken streams and the one-line errors, over real HTTP."""

from __future__ import annotations

import pytest

from agent.errors import ModelAuthError, ModelError, ModelNotFound
from agent.tools.specs import STEP_TOOLS
from tests.model.conftest import conversation, model_requests, session

CALL = {"name": "run_tests", "arguments": {"args": None}}


@pytest.mark.parametrize("api", ["responses", "chat"])
def test_429_and_500_are_retried_honouring_retry_after(events, api):
    script = {"turns": [{"error": {"status": 429, "message": "Rate limit reached", "code": "rate_limit_exceeded",
                                   "retry_after": 7}},
                        {"error": {"status": 500, "message": "The server had an error"}},
                        {"text": "recovered"}]}
    with session(script, events, api=api) as (srv, model):
        assert model.respond(conversation(), [], "edit").text == "recovered"
        assert len(model_requests(srv)) == 3
    retries = events.of("model_retry")
    assert [r["attempt"] for r in retries] == [1, 2]
    assert retries[0]["wait_seconds"] == 7  # the server's Retry-After, not our backoff
    assert "HTTP 429" in retries[0]["reason"] and "HTTP 500" in retries[1]["reason"]
    assert model.waits[0] == 7 and model.waits[1] < 1


@pytest.mark.parametrize("api", ["responses", "chat"])
def test_broken_stream_is_retried_without_duplicate_tool_calls(events, api):
    script = {"turns": [{"break_stream": True, "text": "I will run the tests now, then look at the output.",
                         "tool_calls": [CALL]}]}
    with session(script, events, api=api) as (srv, model):
        turn = model.respond(conversation(), STEP_TOOLS, "edit")
        assert len(model_requests(srv)) == 2
    assert [c.name for c in turn.tool_calls] == ["run_tests"]
    assert [i["type"] for i in turn.items].count("function_call") == 1
    assert turn.text == "I will run the tests now, then look at the output."
    assert "stream broke" in events.of("model_retry")[0]["reason"]
    assert len(events.of("model_call_finished")) == 1


def test_retries_give_up_with_one_line(events):
    err = {"error": {"status": 503, "message": "Service unavailable"}}
    with session({"turns": [err] * 4}, events) as (_srv, model), pytest.raises(ModelError) as exc:
        model.respond(conversation(), [], "edit")
    assert str(exc.value) == "openai failed for 'gpt-5.2' after 4 tries: HTTP 503: Service unavailable"
    assert "\n" not in str(exc.value)


def test_wrong_key_is_one_clear_line(events):
    script = {"api_key": "sk-right", "turns": [{"text": "never"}]}
    with session(script, events, env={"OPENAI_API_KEY": "sk-wrong"}) as (srv, model):
        with pytest.raises(ModelAuthError) as exc:
            model.respond(conversation(), [], "edit")
        assert len(model_requests(srv)) == 1  # not retried
        assert srv.requests[0]["headers"]["authorization"] == "Bearer sk-wrong"
    assert str(exc.value) == "the API rejected the key for openai (HTTP 401): check OPENAI_API_KEY"


def test_unknown_model_or_deployment(events):
    script = {"turns": [{"error": {"status": 404, "code": "model_not_found",
                                   "message": "The model `gpt-9` does not exist or you do not have access to it."}}]}
    with session(script, events, model="gpt-9") as (srv, model), pytest.raises(ModelNotFound) as exc:
        model.respond(conversation(), [], "edit")
    assert str(exc.value) == f"model or deployment 'gpt-9' not found at {srv.base_url}"


def test_unsupported_reasoning_is_dropped_once(events):
    script = {"turns": [{"error": {"status": 400, "message": "Unsupported parameter: 'reasoning.effort' is not "
                                   "supported with this model.", "code": "unsupported_parameter"}},
                        {"text": "ok"}, {"text": "ok again"}]}
    with session(script, events, model="gpt-4o") as (srv, model):
        model.respond(conversation(), [], "edit")
        model.respond(conversation(), [], "edit")
        bodies = [r["body"] for r in model_requests(srv)]
    assert "reasoning" in bodies[0] and "reasoning" not in bodies[1] and "reasoning" not in bodies[2]
    assert len(events.of("warning")) == 1
