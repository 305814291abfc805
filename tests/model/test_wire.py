"""What goes over the wire, through the real SDK to the replay server: Responses, Chat, Azure."""

from __future__ import annotations

import json
import sys
import types

import pytest

from agent.config import Config
from agent.errors import ConfigError
from agent.model import build_model
from agent.tools.specs import STEP_TOOLS
from tests.model.conftest import conversation, model_requests, session

READ = {"name": "read_file", "arguments": {"path": "app.py", "start_line": None, "end_line": None}}


def test_responses_is_stateless_and_passes_reasoning_back(events):
    script = {"turns": [{"reasoning": "look at app.py first", "tool_calls": [READ]},
                        {"text": "done", "expect": ["encrypted_content", "look at app.py first"]}]}
    with session(script, events) as (srv, model):
        conv = conversation()
        turn = model.respond(conv, STEP_TOOLS, "edit")
        assert [(c.name, c.args()["path"]) for c in turn.tool_calls] == [("read_file", "app.py")]
        conv.add_turn(turn)
        conv.add_tool_output(turn.tool_calls[0].call_id, "print('hi')")
        assert model.respond(conv, STEP_TOOLS, "fix").text == "done"
        first, second = (r["body"] for r in model_requests(srv))
    assert first["store"] is False
    assert first["include"] == ["reasoning.encrypted_content"]
    assert first["reasoning"] == {"effort": "medium", "summary": "auto"}
    assert second["reasoning"]["effort"] == "high"  # fixing runs at high
    assert first["prompt_cache_key"] == second["prompt_cache_key"] == "sess-test"
    assert [t["name"] for t in first["tools"]] == sorted(t.name for t in STEP_TOOLS)
    kinds = [i["type"] for i in second["input"]]
    assert kinds == ["message", "reasoning", "function_call", "function_call_output"]
    assert second["input"][1]["encrypted_content"]
    # the request prefix is unchanged from the first call: prompt caching can work
    assert second["instructions"] == first["instructions"] and second["tools"] == first["tools"]
    assert second["input"][0] == first["input"][0]
    progress = events.of("model_progress")
    assert any(p.get("tool") == "read_file" for p in progress)
    assert "".join(p.get("reasoning", "") for p in progress) == "look at app.py first"


def test_chat_completions_converts_items(events):
    script = {"turns": [{"text": "Let me look.", "tool_calls": [READ, {"name": "list_files",
                                                                      "arguments": {"path": None, "pattern": None}}]},
                        {"text": "done"}]}
    with session(script, events, api="chat") as (srv, model):
        conv = conversation()
        turn = model.respond(conv, STEP_TOOLS, "edit")
        assert turn.text == "Let me look." and len(turn.tool_calls) == 2
        conv.add_turn(turn)
        for call in turn.tool_calls:
            conv.add_tool_output(call.call_id, f"output of {call.name}")
        conv.items.insert(1, {"type": "reasoning", "id": "rs_1", "summary": []})  # must be dropped
        model.respond(conv, STEP_TOOLS, "edit")
        body = model_requests(srv)[1]["body"]
    msgs = body["messages"]
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "tool", "tool"]
    assert msgs[2]["content"] == "Let me look."
    assert [c["function"]["name"] for c in msgs[2]["tool_calls"]] == ["read_file", "list_files"]
    assert msgs[3]["tool_call_id"] == turn.tool_calls[0].call_id
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["tools"][0]["type"] == "function" and body["tools"][0]["function"]["strict"] is True


def test_openai_compatible_sends_effort_only_when_configured(events):
    script = {"turns": [{"text": "a"}, {"text": "b"}]}
    with session(script, events, provider="openai-compatible", api="chat", model="qwen") as (srv, model):
        model.respond(conversation(), [], "edit")
        body = model_requests(srv)[0]["body"]
    assert "reasoning_effort" not in body and "prompt_cache_key" not in body
    models = {"thinking": {"provider": "openai-compatible", "model": "qwen", "api": "chat",
                           "reasoning_effort": "low", "base_url": lambda s: s.base_url}}
    with session(script, events, models=models) as (srv, model):
        model.respond(conversation(), [], "edit")
        assert model_requests(srv)[0]["body"]["reasoning_effort"] == "low"


AZ_ENV = {"AZURE_OPENAI_API_KEY": "az-key-123"}


def test_azure_v1_endpoint_uses_the_plain_client(events):
    script = {"api_key": "az-key-123", "turns": [{"text": "hi"}]}
    models = {"thinking": {"provider": "azure", "model": "my-gpt52-deployment", "endpoint": lambda s: s.url}}
    with session(script, events, env=AZ_ENV, models=models) as (srv, model):
        model.respond(conversation(), [], "edit")
        req = model_requests(srv)[0]
    assert req["path"] == "/openai/v1/responses"
    assert req["headers"]["authorization"] == "Bearer az-key-123"
    assert req["body"]["model"] == "my-gpt52-deployment"
    assert "reasoning" in req["body"]  # unknown efforts: asked as configured (a 400 would turn it off)


def test_azure_classic_chat_uses_deployments_and_api_key_header(events):
    script = {"api_key": "az-key-123", "turns": [{"text": "hi"}]}
    models = {"thinking": {"provider": "azure", "model": "dep-52", "api": "chat", "api_version": "2025-04-01-preview",
                           "endpoint": lambda s: s.url}}
    with session(script, events, env=AZ_ENV, models=models) as (srv, model):
        model.respond(conversation(), [], "edit")
        req = model_requests(srv)[0]
    assert req["path"] == "/openai/deployments/dep-52/chat/completions"
    assert req["query"] == {"api-version": "2025-04-01-preview"}
    assert req["headers"]["api-key"] == "az-key-123" and "authorization" not in req["headers"]


def test_azure_classic_responses_path(events):
    script = {"api_key": "az-key-123", "turns": [{"text": "hi"}]}
    models = {"thinking": {"provider": "azure", "model": "dep-52", "endpoint": lambda s: s.url}}
    env = {**AZ_ENV, "OPENAI_API_VERSION": "2025-04-01-preview"}
    with session(script, events, env=env, models=models) as (srv, model):
        model.respond(conversation(), [], "edit")
        req = model_requests(srv)[0]
    assert (req["path"], req["query"]) == ("/openai/responses", {"api-version": "2025-04-01-preview"})
    assert req["headers"]["api-key"] == "az-key-123"
    assert json.loads(json.dumps(req["body"]))["model"] == "dep-52"


def _fake_azure_identity(monkeypatch):
    azure = types.ModuleType("azure")
    identity = types.ModuleType("azure.identity")
    scopes: list[str] = []
    identity.DefaultAzureCredential = lambda: object()

    def get_bearer_token_provider(_credential, scope):
        scopes.append(scope)
        return lambda: "entra-token-xyz"

    identity.get_bearer_token_provider = get_bearer_token_provider
    azure.identity = identity
    monkeypatch.setitem(sys.modules, "azure", azure)
    monkeypatch.setitem(sys.modules, "azure.identity", identity)
    return scopes


def test_azure_entra_id_sends_a_bearer_token_in_both_styles(events, monkeypatch):
    scopes = _fake_azure_identity(monkeypatch)
    for version in (None, "2025-04-01-preview"):
        models = {"thinking": {"provider": "azure", "model": "dep-52", "auth": "entra", "api": "chat",
                               "endpoint": lambda s: s.url, **({"api_version": version} if version else {})}}
        with session({"api_key": "entra-token-xyz", "turns": [{"text": "hi"}]}, events, models=models) as (srv, m):
            assert m.respond(conversation(), [], "edit").text == "hi"
            req = model_requests(srv)[0]
        assert req["headers"]["authorization"] == "Bearer entra-token-xyz"
        assert "api-key" not in req["headers"]
    assert scopes == ["https://cognitiveservices.azure.com/.default"] * 2


def test_azure_entra_without_azure_identity_is_a_config_error(events, monkeypatch):
    monkeypatch.setitem(sys.modules, "azure.identity", None)  # as if not installed
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    cfg = Config(models={"thinking": {"provider": "azure", "model": "d", "auth": "entra",
                                      "endpoint": "https://r.openai.azure.com"}})
    with pytest.raises(ConfigError, match=r"pip install 'agent\[azure\]'"):
        build_model(cfg, events, session_id="s", env={})
