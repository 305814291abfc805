"""Replay server behaviour beyond the happy path: compaction, limits, errors, the CLI, scripts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request

import openai
import pytest
from openai import OpenAI

from agent.testing.replay import ReplayServer, ScriptError, load_script

pytestmark = pytest.mark.filterwarnings("error", "ignore::ResourceWarning")


def client(srv: ReplayServer, retries: int = 0) -> OpenAI:
    return OpenAI(base_url=srv.base_url, api_key="k", max_retries=retries, timeout=5)


def test_compact_answers_without_consuming_a_turn_and_its_output_goes_back_as_input():
    with ReplayServer({"turns": [{"text": "continuing", "expect": ["compaction"]}]}) as srv:
        c = client(srv)
        history = [{"role": "user", "content": "fix auth"}, {"type": "message", "role": "assistant",
                                                             "content": "reading auth.py"}]
        compacted = c.responses.compact(model="gpt-x", input=history)
        assert compacted.object == "response.compaction" and srv.remaining == 1
        assert [o.type for o in compacted.output] == ["message", "compaction"]
        assert compacted.output[-1].encrypted_content and compacted.usage.input_tokens > 0
        # Kept user messages carry input_text parts, which the SDK's output types don't describe:
        # dump them without serializer warnings before sending them back.
        items = [o.to_dict(warnings=False) for o in compacted.output]
        assert items[0]["role"] == "user" and items[0]["content"][0]["type"] == "input_text"
        r = c.responses.create(model="gpt-x", input=[*items, {"role": "user", "content": "go on"}])
        assert r.output_text == "continuing" and srv.totals["requests"] == 2


def test_context_window_overflow_is_400_and_does_not_consume_the_turn():
    with ReplayServer({"context_window": 50, "turns": [{"text": "fits"}]}) as srv:
        c = client(srv)
        with pytest.raises(openai.BadRequestError) as err:
            c.chat.completions.create(model="m", messages=[{"role": "user", "content": "x" * 400}])
        assert err.value.code == "context_length_exceeded" and srv.remaining == 1
        short = c.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
        assert short.choices[0].message.content == "fits"


def test_scripted_404_and_unknown_paths_use_openai_error_bodies():
    script = {"turns": [{"error": {"status": 404, "code": "model_not_found",
                                   "message": "The model `nope` does not exist"}}]}
    with ReplayServer(script) as srv:
        with pytest.raises(openai.NotFoundError) as err:
            client(srv, retries=2).responses.create(model="nope", input="x")
        assert err.value.code == "model_not_found" and len(srv.requests) == 1 and srv.remaining == 0
        with pytest.raises(urllib.error.HTTPError) as http:
            urllib.request.urlopen(srv.base_url + "/embeddings", data=b"{}", timeout=5)
        body = json.loads(http.value.read())
        assert http.value.code == 404 and set(body["error"]) == {"message", "type", "code", "param"}


def test_retry_after_headers_and_dropped_non_stream_connection():
    script = {"turns": [{"error": {"status": 429, "message": "slow down", "retry_after": 0.05}},
                        {"break_stream": True, "text": "second try"}]}
    with ReplayServer(script) as srv:
        with pytest.raises(openai.RateLimitError) as err:
            client(srv).responses.create(model="m", input="x")
        headers = err.value.response.headers
        assert headers["retry-after"] == "0.05" and headers["retry-after-ms"] == "50"
        out = client(srv, retries=1).responses.create(model="m", input="x")  # first delivery dropped
        assert out.output_text == "second try" and len(srv.requests) == 3


def test_reasoning_encrypted_only_when_included_and_caching_respects_prompt_cache_key():
    long = "x = 1\n" * 1500
    turn = {"reasoning": "thinking", "text": "t"}
    with ReplayServer({"turns": [turn] * 3}) as srv:
        c = client(srv)
        plain = c.responses.create(model="m", instructions=long, input="a", prompt_cache_key="one")
        assert plain.output[0].encrypted_content is None
        other = c.responses.create(model="m", instructions=long, input="a", prompt_cache_key="two",
                                   include=["reasoning.encrypted_content"])
        assert other.output[0].encrypted_content and other.usage.input_tokens_details.cached_tokens == 0
        same = c.responses.create(model="m", instructions=long, input="a", prompt_cache_key="one")
        assert same.usage.input_tokens_details.cached_tokens == same.usage.input_tokens // 128 * 128


def test_given_usage_wins_and_requests_are_recorded():
    with ReplayServer({"turns": [{"text": "x", "usage": {"input_tokens": 7, "output_tokens": 3}}]}) as srv:
        r = client(srv).chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
        assert (r.usage.prompt_tokens, r.usage.completion_tokens) == (7, 3)
        req = srv.requests[0]
        assert req["method"] == "POST" and req["body"]["messages"][0]["content"] == "hi"
        assert req["headers"]["authorization"] == "Bearer k"


def test_cli_prints_base_url_records_requests_and_stops_on_sigterm(tmp_path):
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"turns": [{"text": "from the cli"}]}))
    record = tmp_path / "requests.jsonl"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "agent.testing.replay", str(script), "--record", str(record)],
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        c = OpenAI(base_url=base_url, api_key="k", max_retries=0, timeout=5)
        assert c.responses.create(model="m", input="hello").output_text == "from the cli"
        lines = record.read_text().splitlines()
        assert len(lines) == 1 and json.loads(lines[0])["body"]["input"] == "hello"
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(5)
        proc.stdout.close()
    assert code == 0


def test_load_script_normalises_and_rejects_with_the_turn_named(tmp_path):
    loaded = load_script({"turns": [{"tool_calls": [{"name": "f", "arguments": {"a": None}}], "expect": "q"}]})
    assert loaded["turns"][0]["tool_calls"][0]["arguments"] == '{"a":null}'
    assert loaded["turns"][0]["expect"] == ["q"]
    path = tmp_path / "s.json"
    path.write_text('{"turns": [{"text": "ok"}, {"txt": "typo"}]}')
    with pytest.raises(ScriptError, match="turn 2: unknown key"):
        load_script(path)
    with pytest.raises(ScriptError, match="not valid JSON"):
        load_script('{"turns": [')
    with pytest.raises(ScriptError, match="needs text"):
        load_script({"turns": [{"expect": ["x"]}]})


def test_when_asked_answers_a_matching_request_and_the_scripted_turns_go_on():
    script = {"turns": [{"text": "first"}, {"text": "second"}],
              "when_asked": [{"when": "please revise", "turn": {"tool_calls": [
                  {"name": "finish_step", "arguments": {"summary": "same"}}]}}]}
    with ReplayServer(script) as srv:
        c = client(srv)
        history = [{"role": "user", "content": "start"}]
        assert c.chat.completions.create(model="m", messages=history).choices[0].message.content == "first"
        history += [{"role": "assistant", "content": "first"}, {"role": "user", "content": "please revise it"}]
        asked = c.chat.completions.create(model="m", messages=history).choices[0].message
        assert asked.tool_calls[0].function.name == "finish_step" and srv.remaining == 1
        # The old request text is before the model's last output: it no longer matches.
        history += [{"role": "assistant", "content": "done"}, {"role": "user", "content": "go on"}]
        assert c.chat.completions.create(model="m", messages=history).choices[0].message.content == "second"
        history += [{"role": "assistant", "content": "x"}, {"role": "user", "content": "please revise again"}]
        again = c.responses.create(model="m", input=history)
        assert again.output[-1].type == "function_call" and again.output[-1].call_id != asked.tool_calls[0].id


def test_when_asked_is_checked_when_the_script_loads():
    with pytest.raises(ScriptError, match="when_asked 1"):
        load_script({"turns": [], "when_asked": [{"when": "", "turn": {"text": "x"}}]})
    with pytest.raises(ScriptError, match="when_asked 1"):
        load_script({"turns": [], "when_asked": [{"when": "x", "turn": {"error": {"status": 500}}}]})
