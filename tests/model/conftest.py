"""Helpers for the model layer's tests: everything goes through the real SDK over HTTP to the
replay server; only the backoff sleeps are recorded instead of slept."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

import pytest

from agent.config import Config
from agent.core.conversation import Conversation
from agent.model import build_model
from agent.testing.replay import ReplayServer

FAST_ENV = {"AGENT_RETRY_BASE_DELAY": "0.001", "AGENT_RETRY_MAX_TRIES": "4"}


class Events:
    def __init__(self) -> None:
        self.all: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, type: str, **fields: Any) -> None:
        from agent.events import EVENT_TYPES

        assert type in EVENT_TYPES, type
        self.all.append((type, fields))

    def of(self, type: str) -> list[dict[str, Any]]:
        return [f for t, f in self.all if t == type]

    def types(self) -> list[str]:
        return [t for t, _ in self.all]


@pytest.fixture
def events() -> Events:
    return Events()


@contextmanager
def session(script: dict[str, Any], events: Events, env: dict[str, str] | None = None, **config: Any):
    """A replay server plus a ModelSession pointed at it (base_url unless the config says otherwise)."""
    with ReplayServer(script) as srv:
        values = {k: (v(srv) if callable(v) else v) for k, v in config.items()}
        if "models" in values:
            values["models"] = {t: {k: (v(srv) if callable(v) else v) for k, v in spec.items()}
                                for t, spec in values["models"].items()}
        if "base_url" not in values and not _has_tier_urls(values):
            values["base_url"] = srv.base_url
        model = build_model(Config(**values), events, session_id="sess-test", env={**FAST_ENV, **(env or {})})
        waits: list[float] = []
        model.sleep = waits.append
        model.waits = waits
        yield srv, model


def _has_tier_urls(values: dict[str, Any]) -> bool:
    return any("base_url" in s or "endpoint" in s for s in values.get("models", {}).values())


def conversation(text: str = "Add a greeting function") -> Conversation:
    conv = Conversation("You are a careful coding agent.")
    conv.add_user(text)
    return conv


def model_requests(srv: ReplayServer) -> list[dict[str, Any]]:
    return [r for r in srv.requests if r["method"] == "POST" and not r["path"].endswith("/compact")]
