"""The replay server through the real `openai` SDK over real HTTP, every object strictly validated."""

from __future__ import annotations

import json

import pytest
from openai import AzureOpenAI, OpenAI
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import BaseModel, TypeAdapter

from agent.testing.replay import ReplayServer

# The SDK must parse everything without warnings. ResourceWarnings are exempt: they come from
# sockets other tests leaked, collected by the GC at a random moment during these tests.
pytestmark = pytest.mark.filterwarnings("error", "ignore::ResourceWarning")

EVENTS = TypeAdapter(ResponseStreamEvent)
READ = {"name": "read_file", "arguments": {"path": "auth.py", "start_line": None, "end_line": None}}
TOOLS = [{"type": "function", "name": "read_file", "description": "Read a file.", "strict": True,
          "parameters": {"type": "object", "additionalProperties": False,
                         "required": ["path", "start_line", "end_line"],
                         "properties": {"path": {"type": "string"},
                                        "start_line": {"type": ["integer", "null"]},
                                        "end_line": {"type": ["integer", "null"]}}}}]
CHAT_TOOLS = [{"type": "function", "function": {k: v for k, v in TOOLS[0].items() if k != "type"}}]
FULL = {"text": "Let me read auth.py.", "reasoning": "The bug is probably in the token check.",
        "tool_calls": [READ]}


def strict(model: type | TypeAdapter, obj: BaseModel) -> None:
    """Validate against the SDK type (required fields, literals) and allow no field it doesn't know,
    except `store`, which the real API sends although the SDK's Response type lacks it."""
    parsed = model.validate_python(obj.to_dict()) if isinstance(model, TypeAdapter) else \
        model.model_validate(obj.to_dict())

    def extras(m: object, path: str) -> list[str]:
        if isinstance(m, list):
            return [x for i, v in enumerate(m) for x in extras(v, f"{path}[{i}]")]
        if not isinstance(m, BaseModel):
            return []
        own = [f"{path}.{k}" for k in (m.model_extra or {}) if k != "store"]
        return own + [x for k in type(m).model_fields for x in extras(getattr(m, k), f"{path}.{k}")]

    assert extras(parsed, "$") == []


def client(srv: ReplayServer, **kw) -> OpenAI:
    return OpenAI(base_url=srv.base_url, api_key="sk-test", max_retries=kw.pop("max_retries", 0),
                  timeout=5, **kw)


def test_responses_non_stream_with_reasoning_text_and_tool_call():
    with ReplayServer({"turns": [FULL]}) as srv:
        r = client(srv).responses.create(model="gpt-x", instructions="Be brief.", input="Fix auth",
                                         tools=TOOLS, include=["reasoning.encrypted_content"])
        strict(Response, r)
        assert [o.type for o in r.output] == ["reasoning", "message", "function_call"]
        assert r.output[0].summary[0].text == FULL["reasoning"] and r.output[0].encrypted_content
        assert r.output_text == "Let me read auth.py."
        call = r.output[2]
        assert (call.call_id, call.name) == ("call_1", "read_file")
        assert json.loads(call.arguments) == READ["arguments"]
        assert r.usage.output_tokens_details.reasoning_tokens == 10
        assert r.usage.output_tokens == 10 + -(-len("Let me read auth.py." + call.arguments) // 4)
        assert srv.requests[0]["path"] == "/v1/responses" and srv.remaining == 0


def test_responses_stream_events_are_valid_and_complete():
    with ReplayServer({"turns": [FULL, FULL]}) as srv:
        c = client(srv)
        events = list(c.responses.create(model="gpt-x", input="Fix auth", tools=TOOLS, stream=True))
        for event in events:
            strict(EVENTS, event)
        types = [e.type for e in events]
        assert types[:2] == ["response.created", "response.in_progress"] and types[-1] == "response.completed"
        assert [e.sequence_number for e in events] == list(range(len(events)))
        for needed in ("response.reasoning_summary_text.delta", "response.output_text.delta",
                       "response.function_call_arguments.delta", "response.output_item.done"):
            assert needed in types
        deltas = "".join(e.delta for e in events if e.type == "response.function_call_arguments.delta")
        assert json.loads(deltas) == READ["arguments"]
        assert events[-1].response.usage.total_tokens > 0
        # The SDK's accumulating helper is stricter about ids and order than plain iteration.
        with c.responses.stream(model="gpt-x", input="Fix auth", tools=TOOLS) as stream:
            final = stream.get_final_response()
        assert final.output_text == "Let me read auth.py." and final.output[2].call_id == "call_2"


def test_chat_non_stream_and_stream_with_tool_calls_and_usage():
    turn = {"text": "Reading.", "tool_calls": [READ, {"name": "list_files", "arguments": {"path": None}}]}
    with ReplayServer({"turns": [turn, turn, turn]}) as srv:
        c = client(srv)
        msgs = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Fix auth"}]
        done = c.chat.completions.create(model="gpt-x", messages=msgs, tools=CHAT_TOOLS)
        strict(ChatCompletion, done)
        assert done.choices[0].finish_reason == "tool_calls"
        assert [t.id for t in done.choices[0].message.tool_calls] == ["call_1", "call_2"]
        assert done.usage.prompt_tokens_details.cached_tokens == 0
        chunks = list(c.chat.completions.create(model="gpt-x", messages=msgs, tools=CHAT_TOOLS, stream=True,
                                                stream_options={"include_usage": True}))
        for chunk in chunks:
            strict(ChatCompletionChunk, chunk)
        assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0
        assert chunks[-2].choices[0].finish_reason == "tool_calls"
        args = "".join(tc.function.arguments or "" for ch in chunks if ch.choices
                       for tc in ch.choices[0].delta.tool_calls or [] if tc.index == 0)
        assert json.loads(args) == READ["arguments"]
        with c.chat.completions.stream(model="gpt-x", messages=msgs, tools=CHAT_TOOLS) as stream:
            final = stream.get_final_completion()
        assert final.choices[0].message.tool_calls[1].function.name == "list_files"
        assert final.usage is None  # no include_usage: no usage chunk


def test_azure_deployment_url_and_api_key_header():
    with ReplayServer({"api_key": "az-key", "turns": [{"text": "hi", "expect_model": "dep1"}]}) as srv:
        az = AzureOpenAI(azure_endpoint=srv.url, api_key="az-key", api_version="2024-10-21",
                         azure_deployment="dep1", max_retries=0, timeout=5)
        out = az.chat.completions.create(model="dep1", messages=[{"role": "user", "content": "x"}])
        assert out.choices[0].message.content == "hi"
        req = srv.requests[0]
        assert req["path"] == "/openai/deployments/dep1/chat/completions"
        assert req["query"] == {"api-version": "2024-10-21"} and req["headers"]["api-key"] == "az-key"


def test_openai_v1_prefix_and_models_list():
    script = {"turns": [{"text": "ok", "expect_model": "gpt-x"}]}
    with ReplayServer(script) as srv:
        c = OpenAI(base_url=srv.url + "/openai/v1/", api_key="k", max_retries=0, timeout=5)
        assert c.responses.create(model="gpt-x", input="x").output_text == "ok"
        assert srv.requests[0]["path"] == "/openai/v1/responses"
        assert {m.id for m in c.models.list()} == {"gpt-x", "replay"}


def test_429_with_retry_after_is_retried_by_the_sdk():
    script = {"turns": [{"error": {"status": 429, "message": "Rate limit", "code": "rate_limit_exceeded",
                                   "retry_after": 0.05}}, {"text": "after the wait"}]}
    with ReplayServer(script) as srv:
        out = client(srv, max_retries=1).responses.create(model="m", input="x")
        assert out.output_text == "after the wait" and len(srv.requests) == 2


def test_broken_stream_then_retry_gets_the_turn_whole():
    import openai

    with ReplayServer({"turns": [{"break_stream": True, **FULL}]}) as srv:
        c = client(srv)
        seen = []
        with pytest.raises(openai.APIConnectionError):
            for event in c.responses.create(model="m", input="x", stream=True):
                seen.append(event.type)
        assert seen and "response.completed" not in seen and srv.remaining == 1
        events = list(c.responses.create(model="m", input="x", stream=True))
        assert events[-1].type == "response.completed" and srv.remaining == 0
        assert events[-1].response.output[-1].call_id == "call_1"  # same ids on the retry


def test_exhausted_script_and_expect_mismatch_say_where():
    import openai

    script = {"turns": [{"text": "one", "expect": ["auth.py"]}]}
    with ReplayServer(script) as srv:
        c = client(srv, max_retries=2)
        with pytest.raises(openai.BadRequestError) as bad:
            c.responses.create(model="m", input="look at main.py")
        assert "replay turn 1 of 1" in str(bad.value) and "'auth.py'" in str(bad.value)
        c.responses.create(model="m", input='read "auth.py"')
        with pytest.raises(openai.InternalServerError) as over:
            c.responses.create(model="m", input="more")
        assert "replay script exhausted after 1 turns" in str(over.value)
        assert len(srv.requests) == 3  # x-should-retry: false stopped the SDK's retries


def test_401_without_the_right_key():
    import openai

    with ReplayServer({"api_key": "sk-right", "turns": [{"text": "x"}]}) as srv:
        with pytest.raises(openai.AuthenticationError) as err:
            client(srv).responses.create(model="m", input="x")
        assert err.value.code == "invalid_api_key" and srv.remaining == 1


def test_usage_and_prompt_caching_over_a_shared_prefix():
    long = "def f():\n    return 1\n" * 400  # ~9600 chars: ~2400 tokens
    with ReplayServer({"turns": [{"text": "a"}, {"text": "b"}]}) as srv:
        c = client(srv)
        first = c.responses.create(model="m", instructions=long, input="question one")
        second = c.responses.create(model="m", instructions=long, input=[
            {"role": "user", "content": "question one"}, {"role": "assistant", "content": "a"},
            {"role": "user", "content": "question two"}])
        assert first.usage.input_tokens_details.cached_tokens == 0
        cached = second.usage.input_tokens_details.cached_tokens
        assert cached >= 1024 and cached % 128 == 0 and cached <= second.usage.input_tokens
        assert srv.totals["cached"] == cached and srv.totals["requests"] == 2
        assert srv.totals["peak_input"] == second.usage.input_tokens
