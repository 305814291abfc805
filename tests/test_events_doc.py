"""docs/events.md is what agent/events.py says, and the code emits only documented fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent import events
from agent.core.driver import RunResult

ROOT = Path(__file__).resolve().parent.parent


def test_the_events_reference_is_generated_from_event_types():
    assert (ROOT / "docs" / "events.md").read_text(encoding="utf-8") == events.reference(), (
        "docs/events.md is stale: run `python -m agent.events > docs/events.md`")


def test_field_names_are_read_from_the_descriptions_nested_parts_included():
    assert events.field_names("plan_proposed")[:3] == ["summary", "steps", "revision"]
    assert events.field_names("approval_requested") == ["kind", "step", "choices"]


def test_strict_mode_refuses_an_undocumented_field(monkeypatch):
    monkeypatch.setattr(events, "_STRICT", True)
    bus = events.EventBus()
    bus.emit("warning", message="fine")
    with pytest.raises(ValueError, match="not in agent.events.EVENT_TYPES: colour"):
        bus.emit("warning", message="x", colour="red")


def test_the_test_suite_runs_in_strict_mode():
    assert events._STRICT, "tests/conftest.py sets AGENT_STRICT_EVENTS=1 before agent is imported"


def test_the_ci_doc_names_every_field_of_the_result_object():
    doc = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    fields = [f for f in RunResult.__dataclass_fields__ if f != "exception"]
    assert [f for f in fields if f"`{f}`" not in doc] == []
