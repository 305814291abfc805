'''A scripted fake model speaking OpenAI's HTTP protocol on 127.0.0.1.

The agent's demo and tests go through the real `openai` SDK (Responses and Chat Completions,
streaming or not, OpenAI or Azure URL shapes) with no key and no network:

    from agent.testing.replay import ReplayServer
    with ReplayServer({"turns": [{"text": "hello"}]}) as srv:
        client = OpenAI(base_url=srv.base_url, api_key="x")   # srv.url for Azure endpoints
        ...
        srv.requests, srv.totals, srv.remaining

    python -m agent.testing.replay SCRIPT [--port N] [--record FILE]   # prints the base URL first

Script (a dict, a JSON file path, or JSON text):

    {
      "context_window": 200000,   # optional: a prompt above it gets 400 context_length_exceeded
                                  #   (the turn is not consumed, so a compacted retry gets it)
      "api_key": "sk-test",       # optional: else 401 invalid_api_key; checks
                                  #   `Authorization: Bearer KEY` or `api-key: KEY` (Azure)
      "models": ["gpt-x"],        # optional: extra names for GET /models
      "delay": 0.02,              # optional: seconds between streamed events (demos)
      "compact_error": {"status": 400, "code": "context_length_exceeded", "message": "..."},
                                  # optional: every POST .../responses/compact gets this error
      "turns": [                  # each model request (POST .../responses or
                                  #   .../chat/completions) consumes the next entry
        {"text": "assistant text",                       # any of text / reasoning / tool_calls
         "reasoning": "reasoning summary text",          # Responses: a reasoning item (with
                                                         #   encrypted_content if `include` asks);
                                                         #   Chat: only reasoning_tokens
         "tool_calls": [{"name": "read_file", "arguments": {"path": "a.py"}}],
                                                         # ids call_1, call_2, ... over the script;
                                                         #   arguments sent as compact JSON text
         "usage": {"input_tokens": 100, "cached_input_tokens": 0,
                   "output_tokens": 20, "reasoning_tokens": 0},   # optional, per key
         "expect": ["text the request must contain"],    # else 400 naming the turn and the text
         "expect_model": "gpt-x",                        # else 400 likewise
         "model": "gpt-x-2025",                          # optional: the model the answer names
         "truncated": "max_output_tokens"},              # optional: the reply is cut off: Responses
                                                         #   status "incomplete" (response.incomplete,
                                                         #   incomplete_details.reason); Chat
                                                         #   finish_reason "length" ("content_filter"
                                                         #   for that reason)
        {"error": {"status": 429, "message": "Rate limit", "code": "rate_limit_exceeded",
                   "retry_after": 0.05, "type": "requests"}},   # answered once, consumed
        {"break_stream": true, "text": "..."}            # first delivery is cut (stream: half the
                                                         #   events, no completion; non-stream: no
                                                         #   answer); not consumed, so the retry
                                                         #   gets it whole
        {"fault": "keepalive"},   # faults, each answered once and consumed (a retry gets the next turn):
                                  #   keepalive  200 + SSE headers, then ": keepalive" comments every
                                  #              50 ms until the client hangs up (no event, ever)
                                  #   silent     the request is read and never answered, not even
                                  #              with headers, until the client hangs up
                                  #   garbage    200 + SSE frames that are not JSON (or JSON of the
                                  #              wrong shape), then a clean end of the body
                                  #   eof        200 + a clean end of the body before any completion
      ],
      "when_asked": [             # optional: answers to requests, not to turns
        {"when": ["did not approve this plan yet"],      # every text is in the request's newest
                                                         #   input (after the model's last output)
         "turn": {"tool_calls": [...]}}                  # a turn as above (no error/break_stream);
                                                         #   given instead of the next turn, which
                                                         #   stays next; as often as it matches
      ]
    }

When the turns run out: HTTP 500 "replay script exhausted after N turns" (with
`x-should-retry: false`, so the SDK does not retry a mismatch). POST .../responses/compact is
answered without consuming a turn: the input's user messages plus one opaque compaction item.
GET .../models lists the script's model names plus "replay". Paths match by suffix, so any
prefix works (/v1, /openai/v1, /openai/deployments/NAME, ?api-version=...).

Usage, unless the turn gives it: input_tokens = ceil(len(prompt)/4) over a canonical prompt
(instructions or system messages, tools, then one line per input item); cached_tokens = the longest
common prefix with any earlier prompt of the same prompt_cache_key, in tokens, 0 below 1024 and
rounded down to a multiple of 128 (as OpenAI caches); reasoning_tokens = ceil(len(reasoning)/4);
output_tokens = ceil(len(text + tool arguments)/4) + reasoning_tokens (the real API's output
count includes reasoning). `totals` sums input, cached, output, reasoning, requests and keeps
peak_input (the largest prompt), compaction calls included.
'''

from agent.testing.replay.script import ScriptError, load_script
from agent.testing.replay.server import ReplayServer

__all__ = ["ReplayServer", "ScriptError", "load_script"]
