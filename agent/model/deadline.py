"""A wall-clock deadline for one HTTP request, streamed body included.

httpx's timeouts bound each read, not a whole request: a server that sends an SSE keepalive
comment every few seconds never trips them, and the SDK skips comments, so nothing above the
socket sees time pass. The client from `http_client` checks the clock on every chunk of bytes
that arrives (keepalives included) and raises httpx.ReadTimeout once the deadline of the request
in flight (set by `bound`, per thread) has passed. A silent server is covered by
the per-read timeout, which the caller sets to the same limit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_local = threading.local()


@contextmanager
def bound(seconds: float) -> Iterator[None]:
    """Requests made in this thread inside the block must be over within `seconds`."""
    previous = getattr(_local, "deadline", None)
    _local.deadline = time.monotonic() + seconds
    _local.limit = seconds
    try:
        yield
    finally:
        _local.deadline = previous


def http_module() -> Any:
    """The HTTP library the installed SDK is built on (httpx; some builds ship it renamed)."""
    import importlib

    import openai

    for base in openai.DefaultHttpxClient.__mro__:
        root = base.__module__.split(".")[0]
        if root.startswith("httpx"):
            return importlib.import_module(root)
    import httpx

    return httpx


def http_client() -> Any:
    """The SDK's default HTTP client, with a response hook that makes the thread's deadline hold
    for whole requests (a hook rather than a transport, so proxies from the environment still work)."""
    import openai

    httpx = http_module()

    class _Stream(httpx.SyncByteStream):
        def __init__(self, inner: Any, deadline: float, limit: float, request: Any) -> None:
            self._inner, self._deadline, self._limit, self._request = inner, deadline, limit, request

        def __iter__(self) -> Iterator[bytes]:
            for chunk in self._inner:
                if time.monotonic() > self._deadline:
                    raise httpx.ReadTimeout(f"no complete answer within the request deadline ({self._limit:g} s)",
                                            request=self._request)
                yield chunk

        def close(self) -> None:
            self._inner.close()

    def hook(response: Any) -> None:
        deadline = getattr(_local, "deadline", None)
        if deadline is not None:
            response.stream = _Stream(response.stream, deadline, _local.limit, response.request)

    return openai.DefaultHttpxClient(event_hooks={"response": [hook]})
