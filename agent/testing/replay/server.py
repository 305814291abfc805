"""The replay HTTP server: OpenAI's wire protocol on 127.0.0.1, answers taken from a script."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qsl, urlsplit

from agent.testing.replay import protocol as p
from agent.testing.replay.script import load_script, script_models

CACHE_MIN = 1024  # OpenAI caches prompts from 1024 tokens up, in steps of 128
CACHE_STEP = 128


class HTTPError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, *, type_: str | None = None,
                 param: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.body = p.error_body(status, message, code, type_, param)
        self.headers = headers or {}


class Fault(Exception):
    """A scripted misbehaviour of the server for this delivery (keepalive, silent, garbage, eof)."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


def _flatten(value: Any, out: list[str]) -> list[str]:
    """Every string in a JSON value, so `expect` can match text that JSON would escape."""
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for v in value.values():
            _flatten(v, out)
    elif isinstance(value, list):
        for v in value:
            _flatten(v, out)
    return out


def newest_input(kind: str, body: dict[str, Any]) -> list[Any]:
    """The request's input after the model's last output: what the client added since then."""
    items = (body.get("messages") if kind == "chat" else body.get("input")) or []
    if isinstance(items, str):
        return [items]

    def by_model(item: Any) -> bool:
        return isinstance(item, dict) and (item.get("role") == "assistant"
                                           or item.get("type") in ("reasoning", "function_call"))

    last = max((i for i, item in enumerate(items) if by_model(item)), default=-1)
    return list(items[last + 1:])


def _common_prefix(a: str, b: str) -> int:
    lo, hi = 0, min(len(a), len(b))  # binary search on slice equality: C speed on long prompts
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


class ReplayServer:
    """Serve a replay script; see the package docstring for the script format."""

    def __init__(self, script: dict[str, Any] | str | Path, host: str = "127.0.0.1", port: int = 0,
                 record: TextIO | None = None):
        self.script = load_script(script)
        self.turns: list[dict[str, Any]] = self.script["turns"]
        self.requests: list[dict[str, Any]] = []
        self.totals = {"input": 0, "cached": 0, "output": 0, "reasoning": 0, "requests": 0, "peak_input": 0}
        self._record = record
        self._next = 0  # index of the next unconsumed turn
        self._broken: set[int] = set()  # turns whose one broken delivery already happened
        self._answered = 0
        self._asked = 0  # when_asked answers given
        self._prompts: dict[str | None, list[str]] = {}  # earlier prompts by prompt_cache_key
        self._lock = threading.Lock()
        self.stopping = threading.Event()  # handlers holding a connection open (faults) give up on it
        self._httpd = ThreadingHTTPServer((host, port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.replay = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    @property
    def remaining(self) -> int:
        return len(self.turns) - self._next

    def start(self) -> ReplayServer:
        if self._thread is None:
            # A short poll interval keeps stop() quick (shutdown waits for the next poll).
            self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                            name="replay-server", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(5)
            self._thread = None
        self._httpd.server_close()

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- bookkeeping -------------------------------------------------------------------------

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(entry)
            if self._record is not None:
                self._record.write(json.dumps(entry, ensure_ascii=False) + "\n")
                self._record.flush()

    def check_auth(self, headers: dict[str, str]) -> None:
        key = self.script.get("api_key")
        if not key:
            return
        given = headers.get("api-key") or headers.get("authorization", "").removeprefix("Bearer ").strip()
        if given != key:
            shown = (given[:3] + "..." + given[-4:]) if len(given) > 8 else (given or "(none)")
            raise HTTPError(401, f"Incorrect API key provided: {shown}. You can find your API key at "
                                 "https://platform.openai.com/account/api-keys.", "invalid_api_key")

    def _usage(self, kind: str, body: dict[str, Any], turn: dict[str, Any], reply: p.Reply) -> tuple[p.Usage, str]:
        prompt = p.canonical_prompt(kind, body)
        input_tokens = p.tokens(prompt)
        key = body.get("prompt_cache_key")
        best = max((_common_prefix(prompt, old) for old in self._prompts.get(key, [])), default=0) // 4
        cached = 0 if best < CACHE_MIN else min(best, input_tokens) // CACHE_STEP * CACHE_STEP
        reasoning = p.tokens(reply.reasoning)
        visible = p.tokens(reply.text + "".join(args for _, _, args in reply.tool_calls))
        given = turn.get("usage", {})
        usage = p.Usage(
            input=given.get("input_tokens", input_tokens),
            cached=given.get("cached_input_tokens", cached),
            reasoning=given.get("reasoning_tokens", reasoning),
            output=given.get("output_tokens", visible + reasoning),
        )
        return usage, prompt

    def _count(self, usage: p.Usage) -> None:
        t = self.totals
        t["input"] += usage.input
        t["cached"] += usage.cached
        t["output"] += usage.output
        t["reasoning"] += usage.reasoning
        t["requests"] += 1
        t["peak_input"] = max(t["peak_input"], usage.input)

    # -- answering ---------------------------------------------------------------------------

    def _when_asked(self, kind: str, body: dict[str, Any]) -> dict[str, Any] | None:
        newest = "\n".join(_flatten(newest_input(kind, body), []))
        for reply in self.script.get("when_asked", []):
            if all(text in newest for text in reply["when"]):
                return reply["turn"]
        return None

    def _reply(self, kind: str, body: dict[str, Any], turn: dict[str, Any], calls: list) -> tuple[p.Reply, str]:
        include = body.get("include") or []
        reply = p.Reply(number=self._answered + 1, model=turn.get("model") or body.get("model") or "replay",
                        text=turn.get("text", ""), reasoning=turn.get("reasoning", ""), tool_calls=calls,
                        encrypted="reasoning.encrypted_content" in include, truncated=turn.get("truncated"))
        reply.usage, prompt = self._usage(kind, body, turn, reply)
        return reply, prompt

    def _answer_when_asked(self, kind: str, body: dict[str, Any], turn: dict[str, Any]) -> p.Reply:
        self._asked += 1
        calls = [(f"call_w{self._asked}_{i}", c["name"], c["arguments"]) for i, c in enumerate(turn.get("tool_calls", []), 1)]
        reply, prompt = self._reply(kind, body, turn, calls)
        self._answered += 1
        self._prompts.setdefault(body.get("prompt_cache_key"), []).append(prompt)
        self._count(reply.usage)
        return reply

    def take_turn(self, kind: str, body: dict[str, Any], raw: str) -> tuple[p.Reply, bool]:
        """The reply for a model request, or HTTPError; the bool says: break this delivery."""
        with self._lock:
            asked = self._when_asked(kind, body)
            if asked is not None:
                return self._answer_when_asked(kind, body, asked), False
            if self._next >= len(self.turns):
                raise HTTPError(500, f"replay script exhausted after {len(self.turns)} turns",
                                "replay_script_exhausted", headers={"x-should-retry": "false"})
            index = self._next
            turn = self.turns[index]
            where = f"replay turn {index + 1} of {len(self.turns)}"
            if "error" in turn:
                self._next += 1
                err = turn["error"]
                headers = {}
                if err.get("retry_after") is not None:
                    headers["retry-after"] = str(err["retry_after"])
                    headers["retry-after-ms"] = str(round(float(err["retry_after"]) * 1000))
                raise HTTPError(err["status"], err.get("message", f"{where}: scripted error"), err.get("code"),
                                type_=err.get("type"), param=err.get("param"), headers=headers)
            if "fault" in turn:
                self._next += 1
                raise Fault(turn["fault"])
            self._check_expect(turn, body, raw, where)
            calls = []
            for i, call in enumerate(turn.get("tool_calls", [])):
                # Ids count tool calls over the whole script, so a retried turn reuses its ids.
                number = sum(len(t.get("tool_calls", [])) for t in self.turns[:index]) + i + 1
                calls.append((f"call_{number}", call["name"], call["arguments"]))
            reply, prompt = self._reply(kind, body, turn, calls)
            window = self.script.get("context_window")
            if window and p.tokens(prompt) > window:
                raise HTTPError(400, f"This model's maximum context length is {window} tokens. However, your "
                                     f"messages resulted in {p.tokens(prompt)} tokens. Please reduce the length "
                                     "of the messages.", "context_length_exceeded",
                                param="messages" if kind == "chat" else "input")
            self._answered += 1
            self._prompts.setdefault(body.get("prompt_cache_key"), []).append(prompt)
            if turn.get("break_stream") and index not in self._broken:
                self._broken.add(index)  # not consumed: the retry gets the turn whole
                return reply, True
            self._next += 1
            self._count(reply.usage)
            return reply, False

    def _check_expect(self, turn: dict[str, Any], body: dict[str, Any], raw: str, where: str) -> None:
        want = turn.get("expect_model")
        if want and body.get("model") != want:
            raise HTTPError(400, f"{where}: expected model {want!r}, request asked for {body.get('model')!r}",
                            "replay_expect_failed", param="model")
        flat = "\n".join(_flatten(body, []))
        for text in turn.get("expect", []):
            if text not in raw and text not in flat:
                raise HTTPError(400, f"{where}: request does not contain {text!r}; end of request: "
                                     f"{flat[-300:]!r}", "replay_expect_failed")

    def compact(self, body: dict[str, Any]) -> dict[str, Any]:
        err = self.script.get("compact_error")
        if err:
            raise HTTPError(err["status"], err.get("message", "scripted compaction error"), err.get("code"),
                            type_=err.get("type"), param=err.get("param"))
        with self._lock:
            prompt = p.canonical_prompt("responses", body)
            self._answered += 1
            result = p.compacted_response(body, self._answered, p.Usage())
            output = p.tokens(result["output"][-1]["encrypted_content"])
            usage = p.Usage(input=p.tokens(prompt), output=output)
            result["usage"] = usage.responses()
            self._count(usage)
            return result

    def models(self) -> list[str]:
        return script_models(self.script)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked SSE, like the real API
    server_version = "replay"
    timeout = 60

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet by default
        pass

    @property
    def replay(self) -> ReplayServer:
        return self.server.replay  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/")
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        headers = {k.lower(): v for k, v in self.headers.items()}
        entry: dict[str, Any] = {"method": method, "path": parts.path, "query": dict(parse_qsl(parts.query)),
                                 "headers": headers, "body": None}
        try:
            try:
                entry["body"] = json.loads(raw) if raw else None
            except json.JSONDecodeError:
                raise HTTPError(400, "We could not parse the JSON body of your request.") from None
            finally:
                self.replay.record(entry)
            self.replay.check_auth(headers)
            self._route(method, path, entry["body"] or {}, raw)
        except HTTPError as exc:
            self._send_json(exc.status, exc.body, exc.headers)
        except Fault as fault:
            try:
                self._fault(fault.kind, path.endswith("/responses"))
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client went away (its deadline): nothing to answer

    def _fault(self, kind: str, responses: bool) -> None:
        """Misbehave as scripted; see the package docstring."""
        self.close_connection = True
        if kind == "silent":  # accepted, never answered: wait until the client hangs up
            while not self.replay.stopping.is_set() and not self._client_gone(0.05):
                pass
            return
        self._start_sse()
        if kind == "keepalive":  # SSE comments forever: bytes keep coming, no event ever does
            while not self.replay.stopping.wait(0.05):
                self._chunk(b": keepalive\n\n")
            return
        if kind == "garbage":
            frames = [b"data: {this is not json\n\n", b"data: [1, 2\n\n"] if not responses else \
                [b"event: response.created\ndata: {\"type\": \"response.created\", \"response\": 5}\n\n",
                 b"event: response.output_text.delta\ndata: <html>502 Bad Gateway</html>\n\n"]
        else:  # "eof": a clean end of the body with no completion event
            frames = [b"event: response.created\ndata: {\"type\": \"response.created\", \"sequence_number\": 0}\n\n"
                      if responses else b"data: [DONE]\n\n"]
        for frame in frames:
            self._chunk(frame)
        self._chunk(b"")

    def _client_gone(self, wait: float) -> bool:
        import select

        readable, _, _ = select.select([self.connection], [], [], wait)
        if not readable:
            return False
        try:
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _start_sse(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.send_header("x-request-id", f"req_replay{len(self.replay.requests):04d}")
        self.end_headers()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if data else b"0\r\n\r\n")
        self.wfile.flush()

    def _route(self, method: str, path: str, body: dict[str, Any], raw: str) -> None:
        if method == "POST" and path.endswith("/responses/compact"):
            return self._send_json(200, self.replay.compact(body))
        if method == "POST" and (path.endswith("/responses") or path.endswith("/chat/completions")):
            kind = "responses" if path.endswith("/responses") else "chat"
            reply, broken = self.replay.take_turn(kind, body, raw)
            if body.get("stream"):
                return self._stream(kind, body, reply, broken)
            if broken:  # a dropped connection: no answer at all
                self.close_connection = True
                return None
            obj = p.response_object(body, reply) if kind == "responses" else p.chat_completion(reply)
            return self._send_json(200, obj)
        if method == "GET" and path.endswith("/models"):
            data = [p.model_object(name) for name in self.replay.models()]
            return self._send_json(200, {"object": "list", "data": data})
        if method == "GET" and "/models/" in path:
            name = path.rsplit("/models/", 1)[1]
            if name in self.replay.models():
                return self._send_json(200, p.model_object(name))
            raise HTTPError(404, f"The model `{name}` does not exist or you do not have access to it.",
                            "model_not_found")
        raise HTTPError(404, f"Invalid URL ({method} {path})", "unknown_url")

    def _send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(obj, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-request-id", f"req_replay{len(self.replay.requests):04d}")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _stream(self, kind: str, body: dict[str, Any], reply: p.Reply, broken: bool) -> None:
        if kind == "responses":
            frames = [f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
                      for name, data in p.response_events(body, reply)]
        else:
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            frames = [f"data: {json.dumps(c, ensure_ascii=False)}\n\n" for c in p.chat_chunks(reply, include_usage)]
            frames.append("data: [DONE]\n\n")
        if broken:
            frames = frames[: max(3, len(frames) // 2)][: len(frames) - 2]  # never the completed event
        self._start_sse()
        delay = float(self.replay.script.get("delay") or 0)
        for frame in frames:
            data = frame.encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
            if delay:
                time.sleep(delay)
        if broken:
            # No terminating chunk: the client sees the connection drop mid-body, as on a real network.
            self.close_connection = True
            return
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
