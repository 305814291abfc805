"""Tool-call arguments checked against the tool's schema before anything runs.

A model's arguments are untrusted text: a number where a string belongs, a NUL byte in a path,
a 300-character file name, control characters, a `.GIT/...` path. Each is answered with one
message the model can act on (which argument, what was wrong, what is expected) instead of
reaching a tool, the file system or git, where it used to end the run as an internal error.

`check(spec, raw)` returns (arguments, None) or (None, message). Arguments the schema allows to
be null may be left out (not every provider enforces strict schemas); unknown ones are refused.
"""

from __future__ import annotations

import json
from typing import Any

from agent.core.conversation import ToolSpec

MAX_PATH_CHARS = 1024  # a whole path argument
MAX_NAME_CHARS = 255  # one path component (what file systems allow)
PATH_ARGS = frozenset({"path"})  # arguments that name a file or directory in the worktree
LINE_ARGS = frozenset({"path", "args", "pattern", "focus"})  # one line of text: no control characters
_TYPE_WORDS = {"string": "a string", "integer": "an integer", "null": "null", "array": "an array",
               "object": "an object", "boolean": "true or false", "number": "a number"}


def check(spec: ToolSpec, raw: str | None) -> tuple[dict[str, Any] | None, str | None]:
    try:
        value = json.loads(raw or "{}")
    except (json.JSONDecodeError, RecursionError) as exc:
        return None, f"the arguments of {spec.name} are not valid JSON ({exc}); send one JSON object"
    if not isinstance(value, dict):
        return None, f"the arguments of {spec.name} must be a JSON object, not {_kind(value)}"
    problem = _object(spec.parameters, value, spec.name, top=True)
    return (value, None) if problem is None else (None, problem)


def _object(schema: dict[str, Any], value: dict[str, Any], where: str, *, top: bool = False) -> str | None:
    props: dict[str, Any] = schema.get("properties", {})
    unknown = [k for k in value if k not in props]
    if unknown:
        takes = ", ".join(props) or "no arguments"
        return f"{where}: unknown argument(s) {', '.join(map(repr, unknown))}; it takes: {takes}"
    for name, sub in props.items():
        label = f"{where}: argument {name!r}" if top else f"{where}.{name}"
        if name not in value:
            if "null" in _types(sub):
                value[name] = None
                continue
            return f"{label} is missing ({_expected(sub)})"
        problem = _value(sub, value[name], label, name)
        if problem:
            return problem
    return None


def _value(schema: dict[str, Any], value: Any, label: str, name: str) -> str | None:
    types = _types(schema)
    kind = _json_type(value)
    if kind not in types and not (kind == "integer" and "number" in types):
        return f"{label} must be {_expected(schema)}, not {_kind(value)}"
    if kind == "string":
        return _string(value, label, name)
    if kind == "array":
        items = schema.get("items", {})
        for i, item in enumerate(value):
            problem = _value(items, item, f"{label}[{i}]", name)
            if problem:
                return problem
    if kind == "object":
        return _object(schema, value, label)
    return None


def _string(text: str, label: str, name: str) -> str | None:
    if "\0" in text:
        return f"{label} contains a NUL byte; remove it"
    if name in LINE_ARGS:
        bad = next((c for c in text if ord(c) < 32 or ord(c) == 127), None)
        if bad is not None:
            return f"{label} contains a control character ({bad!r}); send plain text on one line"
    if name in PATH_ARGS:
        return _path(text, label)
    return None


def _path(text: str, label: str) -> str | None:
    if len(text) > MAX_PATH_CHARS:
        return f"{label} is {len(text)} characters long; paths are at most {MAX_PATH_CHARS}"
    parts = text.replace("\\", "/").split("/")
    long = next((p for p in parts if len(p) > MAX_NAME_CHARS), None)
    if long is not None:
        return (f"{label} has a name of {len(long)} characters ({long[:40]!r}...); "
                f"file names are at most {MAX_NAME_CHARS}")
    if any(p.strip().lower() == ".git" for p in parts):
        return f"{label} goes into .git ({text[:80]!r}); the .git directory is off limits"
    return None


def _types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type", "string")
    return [kind] if isinstance(kind, str) else list(kind)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _expected(schema: dict[str, Any]) -> str:
    return " or ".join(_TYPE_WORDS.get(t, t) for t in _types(schema))


def _kind(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    shown = text if len(text) <= 40 else text[:37] + "..."
    return f"{_TYPE_WORDS.get(_json_type(value), 'a value')} ({shown})"
