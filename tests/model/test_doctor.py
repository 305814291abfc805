"""`agent doctor`: one line per problem, per tier, over real HTTP."""

from __future__ import annotations

from agent.config import Config
from agent.model import doctor
from agent.testing.replay import ReplayServer

PING = {"name": "ping", "arguments": {"ok": True}}


def test_doctor_reports_each_tier():
    # instant and thinking share one identity (one probe); pro is a second model.
    with ReplayServer({"turns": [{"tool_calls": [PING]}, {"text": "pong, no tools here"}]}) as srv:
        cfg = Config(base_url=srv.base_url, models={"pro": {"model": "big-model"}})
        rows = doctor(cfg, env={})
        assert len([r for r in srv.requests if r["method"] == "POST"]) == 2
    by_tier = {r["tier"]: r for r in rows}
    assert by_tier["instant"]["ok"] and by_tier["thinking"]["ok"] and by_tier["thinking"]["problem"] is None
    assert not by_tier["pro"]["ok"]
    assert by_tier["pro"]["problem"] == "'big-model' answered without calling the tool: tool calling may be unsupported"


def test_doctor_auth_and_unreachable_are_one_line():
    with ReplayServer({"api_key": "sk-right", "turns": [{"tool_calls": [PING]}]}) as srv:
        rows = doctor(Config(base_url=srv.base_url), env={"OPENAI_API_KEY": "sk-wrong"})
    assert rows[1]["problem"] == "the API rejected the key for openai (HTTP 401): check OPENAI_API_KEY"
    rows = doctor(Config(base_url="http://127.0.0.1:9/v1"), env={}, timeout=2)
    assert not rows[0]["ok"]
    assert rows[0]["problem"] == ("openai failed for 'gpt-5.2' at http://127.0.0.1:9/v1 after 2 tries: "
                                  "APIConnectionError: Connection error.")


def test_doctor_missing_key():
    rows = doctor(Config(), env={})
    assert rows[0]["problem"].startswith("OPENAI_API_KEY is not set")
