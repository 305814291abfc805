"""Loading and checking replay scripts (the format is documented in agent/testing/replay/__init__.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_TOP_KEYS = {"context_window", "api_key", "turns", "models", "delay", "description", "when_asked", "compact_error"}
_TURN_KEYS = {"text", "reasoning", "tool_calls", "usage", "expect", "expect_model", "break_stream",
              "error", "model", "note", "truncated", "fault"}
_USAGE_KEYS = {"input_tokens", "cached_input_tokens", "output_tokens", "reasoning_tokens"}


FAULTS = ("keepalive", "silent", "garbage", "eof")  # see agent/testing/replay/__init__.py


class ScriptError(ValueError):
    pass


def load_script(script: dict[str, Any] | str | Path) -> dict[str, Any]:
    """A checked, normalised copy of a script given as a dict, a file path, or JSON text.

    Tool-call arguments given as objects become JSON text here, so the server sends exactly
    what the script's author will see in the recorded conversation.
    """
    if isinstance(script, dict):
        data = json.loads(json.dumps(script))  # deep copy; also proves it is JSON-serialisable
        where = "script"
    else:
        text = str(script)
        if isinstance(script, str) and text.lstrip().startswith("{"):
            where = "script"
        else:
            where = text
            try:
                text = Path(text).read_text(encoding="utf-8")
            except OSError as exc:
                raise ScriptError(f"cannot read replay script {where}: {exc}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScriptError(f"replay script {where} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("turns"), list):
        raise ScriptError(f"replay script {where} must be an object with a 'turns' list")
    _check_keys(data, _TOP_KEYS, where)
    for n, turn in enumerate(data["turns"], 1):
        _check_turn(turn, f"{where}: turn {n}")
    _check_when_asked(data, where)
    return data


def _check_when_asked(data: dict[str, Any], where: str) -> None:
    """`when_asked`: [{"when": [text, ...], "turn": {...}}]: answers to requests whose newest input
    contains every `when` text, given in place of the next scripted turn (which stays next)."""
    replies = data.setdefault("when_asked", [])
    if not isinstance(replies, list):
        raise ScriptError(f"{where}: when_asked must be a list")
    for n, reply in enumerate(replies, 1):
        at = f"{where}: when_asked {n}"
        if not isinstance(reply, dict) or set(reply) - {"when", "turn", "note"} or "turn" not in reply:
            raise ScriptError(f"{at} must be an object with 'when' and 'turn' (and an optional 'note')")
        when = reply.get("when")
        if isinstance(when, str):
            reply["when"] = when = [when]
        if not (isinstance(when, list) and when and all(isinstance(w, str) and w for w in when)):
            raise ScriptError(f"{at}: when must be a non-empty string or list of strings")
        _check_turn(reply["turn"], at)
        if "error" in reply["turn"] or reply["turn"].get("break_stream"):
            raise ScriptError(f"{at}: a when_asked turn cannot be an error or a broken stream")


def _check_keys(obj: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise ScriptError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")


def _check_turn(turn: Any, where: str) -> None:
    if not isinstance(turn, dict):
        raise ScriptError(f"{where} must be an object")
    _check_keys(turn, _TURN_KEYS, where)
    if "fault" in turn:
        if turn["fault"] not in FAULTS:
            raise ScriptError(f"{where}: fault must be one of {', '.join(FAULTS)}")
        return
    if "truncated" in turn and not isinstance(turn["truncated"], str):
        raise ScriptError(f"{where}: truncated must be a reason string, e.g. \"max_output_tokens\"")
    if "error" in turn:
        err = turn["error"]
        if not isinstance(err, dict) or not isinstance(err.get("status"), int):
            raise ScriptError(f"{where}: error needs an integer 'status'")
        return
    for key in ("text", "reasoning", "expect_model"):
        if key in turn and not isinstance(turn[key], str):
            raise ScriptError(f"{where}: {key} must be a string")
    expect = turn.get("expect", [])
    if isinstance(expect, str):
        turn["expect"] = expect = [expect]
    if not (isinstance(expect, list) and all(isinstance(e, str) for e in expect)):
        raise ScriptError(f"{where}: expect must be a list of strings")
    usage = turn.get("usage", {})
    if not isinstance(usage, dict) or set(usage) - _USAGE_KEYS:
        raise ScriptError(f"{where}: usage keys are {', '.join(sorted(_USAGE_KEYS))}")
    calls = turn.get("tool_calls", [])
    if not isinstance(calls, list):
        raise ScriptError(f"{where}: tool_calls must be a list")
    for i, call in enumerate(calls, 1):
        if not isinstance(call, dict) or not isinstance(call.get("name"), str):
            raise ScriptError(f"{where}: tool call {i} needs a 'name'")
        args = call.get("arguments", {})
        if not isinstance(args, str):
            # Compact separators, as models write them.
            call["arguments"] = json.dumps(args, ensure_ascii=False, separators=(",", ":"))
    if not (turn.get("text") or turn.get("tool_calls") or turn.get("reasoning")):
        raise ScriptError(f"{where}: a turn needs text, reasoning or tool_calls (or an error)")


def script_models(script: dict[str, Any]) -> list[str]:
    """Every model name the script mentions, plus "replay", for GET /models."""
    names = ["replay", *script.get("models", [])]
    for turn in [*script["turns"], *(r["turn"] for r in script.get("when_asked", []))]:
        for key in ("expect_model", "model"):
            if isinstance(turn.get(key), str):
                names.append(turn[key])
    return list(dict.fromkeys(names))
