"""Our own retry loop around SDK calls (the SDK runs with max_retries=0).

Doing it here lets us emit model_retry events, honour Retry-After / retry-after-ms exactly, treat a
stream that ends without its completion event (or sends garbage) as retryable, and turn what can't
be retried into one-line errors: this is the one boundary where provider errors become ours.

Time is bounded twice (Config, also AGENT_REQUEST_DEADLINE / AGENT_RETRY_BUDGET):
    request_deadline  seconds for one request, the whole streamed answer included (default 600):
                      keepalive drips and silent servers end there (agent.model.deadline)
    retry_budget      seconds for one call with all its tries and waits (default 900); when it is
                      used up the call ends with ModelTimeout (exit 1), whatever tries are left
Tries and backoff come from the environment:
    AGENT_RETRY_MAX_TRIES   tries in all, the first included (default 5)
    AGENT_RETRY_BASE_DELAY  first backoff in seconds, doubled each try, with jitter (default 1.0)
    AGENT_RETRY_MAX_DELAY   cap on one wait, Retry-After included (default 60)
"""

from __future__ import annotations

import email.utils
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from agent.errors import (
    BrokenStream,
    ContextTooLong,
    ModelAuthError,
    ModelError,
    ModelNotFound,
    ModelTimeout,
    ReasoningUnsupported,
)
from agent.model import deadline

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_tries: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0
    request_deadline: float = 600.0
    budget: float = 900.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, request_deadline: float = 600.0,
                 budget: float = 900.0) -> RetryPolicy:
        env = os.environ if env is None else env

        def num(name: str, default: float) -> float:
            try:
                return float(env.get(name, "") or default)
            except ValueError:
                return default

        return cls(max(1, int(num("AGENT_RETRY_MAX_TRIES", 5))), num("AGENT_RETRY_BASE_DELAY", 1.0),
                   num("AGENT_RETRY_MAX_DELAY", 60.0), request_deadline, budget)

    def backoff(self, attempt: int) -> float:
        """Exponential with jitter in [50%, 100%] so parallel agents don't retry in lockstep."""
        raw = self.base_delay * (2 ** (attempt - 1))
        return min(self.max_delay, raw * (0.5 + random.random() / 2))


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds the server asked us to wait (retry-after-ms wins over Retry-After), if it said."""
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        if parsed is None:
            return None
        return max(0.0, parsed.timestamp() - time.time())


def _body_error(exc: Any) -> dict[str, Any]:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            return inner
    return {}


def _message(exc: Any) -> str:
    err = _body_error(exc)
    msg = err.get("message") or getattr(exc, "message", None) or str(exc)
    return " ".join(str(msg).split())[:300]


def is_context_error(exc: Any) -> bool:
    err = _body_error(exc)
    text = f"{err.get('code', '')} {err.get('message', '')} {getattr(exc, 'message', '')}".lower()
    return "context_length_exceeded" in text or "maximum context length" in text or "context window" in text


def classify(exc: BaseException, *, provider: str, model: str, url: str, key_env: str | None) -> tuple[str, Any]:
    """("retry", wait-or-None) | ("raise", exception to raise instead)."""
    import openai  # already imported by whoever made the call

    httpx = deadline.http_module()

    if isinstance(exc, BrokenStream):
        return "retry", None
    if isinstance(exc, openai.APIConnectionError | httpx.TransportError):  # timeouts, drops, the deadline
        return "retry", None
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        err = _body_error(exc)
        code = str(err.get("code") or "")
        if status in (401, 403):
            what = "rejected the key" if status == 401 else "denied access"
            check = f"check {key_env}" if key_env else "check your credentials (Entra ID role / key)"
            return "raise", ModelAuthError(f"the API {what} for {provider} (HTTP {status}): {check}")
        if status == 404:
            return "raise", ModelNotFound(f"model or deployment '{model}' not found at {url}")
        if status == 429 and code == "insufficient_quota":
            return "raise", ModelError(f"{provider} quota exhausted for '{model}': {_message(exc)}")
        # The server may say a retry is pointless (OpenAI sends x-should-retry); trust it.
        if exc.response.headers.get("x-should-retry", "").lower() == "false":
            return "raise", ModelError(f"{provider} failed for '{model}' (HTTP {status}): {_message(exc)}")
        if status in (408, 409, 429) or status >= 500:
            return "retry", retry_after(exc.response.headers)
        if status == 400 and is_context_error(exc):
            return "raise", ContextTooLong(_message(exc))
        if status == 400 and _mentions_reasoning(exc):
            return "raise", ReasoningUnsupported(_message(exc))
        return "raise", ModelError(f"{provider} refused the request for '{model}' (HTTP {status}): {_message(exc)}")
    if isinstance(exc, openai.APIError):  # an error event inside a stream
        if is_context_error(exc):
            return "raise", ContextTooLong(_message(exc))
        return "retry", None
    return "raise", exc


def _mentions_reasoning(exc: Any) -> bool:
    err = _body_error(exc)
    text = f"{err.get('param', '')} {err.get('message', '')}".lower()
    return "reasoning" in text and ("unsupported" in text or "not supported" in text or "unrecognized" in text)


def with_retries(
    call: Callable[[float], T],
    *,
    policy: RetryPolicy,
    describe: dict[str, Any],
    emit: Callable[..., Any],
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Run `call(seconds allowed)` until it succeeds, retrying what is retryable within the retry
    budget; each try is bounded by the request deadline. Emits model_retry per wait."""
    last: BaseException | None = None
    started = clock()
    tries = 0
    for attempt in range(1, policy.max_tries + 1):
        left = policy.budget - (clock() - started)
        if left <= 0:
            break
        limit = min(policy.request_deadline, left)
        tries = attempt
        try:
            with deadline.bound(limit):
                return call(limit)
        except Exception as exc:  # noqa: BLE001 - classified below
            verdict, detail = classify(exc, **describe)
            if verdict == "raise":
                if detail is exc:
                    raise
                raise detail from None
            last = exc
            if attempt == policy.max_tries:
                break
            wait = detail if detail is not None else policy.backoff(attempt)
            wait = min(wait, policy.max_delay)
            if clock() - started + wait >= policy.budget:
                break  # the wait alone would use up the budget
            emit("model_retry", reason=_reason(exc), attempt=attempt, wait_seconds=round(wait, 3))
            sleep(wait)
    raise _gave_up(describe, policy, tries, last, clock() - started)


def _gave_up(describe: dict[str, Any], policy: RetryPolicy, tries: int, last: BaseException | None,
             spent: float) -> ModelError:
    who = f"{describe['provider']} failed for '{describe['model']}'"
    if _is_timeout(last) or spent >= policy.budget or tries < policy.max_tries:
        return ModelTimeout(
            f"{who}: no complete answer in {spent:.0f} s and {tries} tries (request deadline "
            f"{policy.request_deadline:g} s, retry budget {policy.budget:g} s): {_reason(last)}",
            hint="raise request_deadline / retry_budget (AGENT_REQUEST_DEADLINE, AGENT_RETRY_BUDGET), "
                 "or check the server")
    where = "" if getattr(last, "status_code", None) or isinstance(last, BrokenStream) else f" at {describe['url']}"
    return ModelError(f"{who}{where} after {tries} tries: {_reason(last)}")


def _is_timeout(exc: BaseException | None) -> bool:
    import openai

    httpx = deadline.http_module()

    return isinstance(exc, openai.APITimeoutError | httpx.TimeoutException) or (
        exc is not None and isinstance(exc.__cause__, httpx.TimeoutException))


def _reason(exc: BaseException | None) -> str:
    if exc is None:
        return "unknown error"
    if isinstance(exc, BrokenStream):
        return f"stream broke: {exc}"
    if _is_timeout(exc):
        return f"timed out: {_message(exc) or 'no answer'}"
    status = getattr(exc, "status_code", None)
    if status:
        return f"HTTP {status}: {_message(exc)}"
    name = type(exc).__name__
    return f"{name}: {_message(exc)}" if str(exc) else name
