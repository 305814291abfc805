"""Context that stays cached (issue 11, item 7), over real HTTP: after a compaction the head is
byte-stable while pins change (changes are appended), repository maps are not kept, and a
context-length error from responses.compact is ours (summarised instead), never an internal error."""

from __future__ import annotations

import pytest

from agent.model.compaction import MAP_HEADER, MAP_OMITTED
from agent.testing.replay import ReplayServer
from agent.tools.specs import STEP_TOOLS
from tests.model.conftest import conversation, model_requests, session

MAP = MAP_HEADER + "\n" + "\n".join(f"pkg/mod{n}.py:\n  def secret_map_fn_{n}(a, b)" for n in range(40))


def _read(n: int) -> dict:
    return {"name": "read_file", "arguments": {"path": f"mod{n}.py", "start_line": None, "end_line": None}}


def _first_items(srv: ReplayServer) -> list[str]:
    """The first conversation item of every model request, as sent (either API)."""
    out = []
    for r in model_requests(srv):
        body = r["body"]
        first = body["input"][0] if "input" in body else body["messages"][1]
        out.append(str(first.get("content")))
    return out


def _drive(model, turns: int, *, change_pin_at: int) -> None:
    conv = conversation("Add a greeting.\n" + MAP)
    conv.pin("intent", "greet users")
    conv.pin("plan", "1. [running] add greet")
    for n in range(turns):
        if n == change_pin_at:
            conv.pin("plan", "1. [done] add greet\n2. [running] document greet")
        turn = model.respond(conv, STEP_TOOLS, "edit")
        conv.add_turn(turn)
        for call in turn.tool_calls:
            conv.add_tool_output(call.call_id, f"# mod{n}.py\n" + "def f():\n    return 1\n" * 40)


@pytest.mark.parametrize("api", ["responses", "chat"])
def test_the_compacted_head_stays_byte_stable_while_pins_change(events, api):
    turns = [{"tool_calls": [_read(n)]} for n in range(14)]
    summaries = {"turns": [{"text": f"- summary {k}"} for k in range(10)]}
    with ReplayServer(summaries) as summarizer:
        models = {"instant": {"model": "small", "api": api, "base_url": summarizer.base_url}}
        with session({"turns": turns}, events, api=api, models=models, base_url=lambda s: s.base_url,
                     compaction={"context_window": 3000}) as (srv, model):
            compactions_before: list[int] = []
            original = model.compact

            def counting(*a, **k):
                compactions_before.append(len(model_requests(srv)))
                return original(*a, **k)

            model.compact = counting
            _drive(model, 14, change_pin_at=9)
            heads = _first_items(srv)
            bodies = [str(r["body"]) for r in model_requests(srv)]
        summarized = [str(r["body"]) for r in model_requests(summarizer)]
    assert compactions_before, "the session never compacted"
    first = compactions_before[0]
    nxt = compactions_before[1] if len(compactions_before) > 1 else len(heads)
    between = heads[first:nxt]
    assert len(between) >= 2 and len(set(between)) == 1  # the head never changed between compactions
    assert "[running] add greet" in between[0]  # the pins as they were when it was made
    later = [b for b in bodies[9:nxt]]
    assert all("2. [running] document greet" in b for b in later)  # the change reached the model, appended
    assert all("secret_map_fn_39" not in b for b in bodies[first:])  # no map kept across the compaction
    assert all("secret_map_fn_39" not in b for b in summarized)  # nor sent to be summarised
    if api == "responses":  # responses.compact keeps user messages: the map's place is marked
        assert any(MAP_OMITTED in b for b in bodies[first:])


def test_a_context_error_from_responses_compact_falls_back_to_a_summary(events):
    turns = [{"tool_calls": [_read(n)]} for n in range(8)]
    error = {"status": 400, "code": "context_length_exceeded",
             "message": "Your input exceeds the context window of this model."}
    summaries = {"turns": [{"text": f"- summary {k}"} for k in range(10)]}
    with ReplayServer(summaries) as summarizer:
        models = {"instant": {"model": "small", "api": "chat", "base_url": summarizer.base_url}}
        with session({"turns": turns, "compact_error": error}, events, models=models,
                     base_url=lambda s: s.base_url, compaction={"context_window": 3000}) as (srv, model):
            _drive(model, 8, change_pin_at=99)
            assert srv.remaining == 0
    compacted = events.of("context_compacted")
    assert compacted and compacted[0]["method"] == "summary"
    assert any("responses.compact failed" in w["message"] and "summarizing instead" in w["message"]
               for w in events.of("warning"))
