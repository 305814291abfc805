"""The pieces alone (fast): schemas made strict, config errors, one hook process."""

from __future__ import annotations

import sys

import pytest

from agent.errors import ConfigError
from agent.extensions.config import parse_hooks, parse_servers
from agent.extensions.hooks import Hooks
from agent.extensions.mcp_client import tool_name
from agent.extensions.schema import drop_nulls, for_model

ADD = {"type": "object", "title": "addArguments",
       "properties": {"a": {"type": "integer", "title": "A"}, "note": {"type": "string", "default": ""},
                      "tags": {"type": "array", "items": {"type": "object", "properties": {"k": {"type": "string"}}}}},
       "required": ["a"]}


def test_optional_properties_become_nullable_and_their_nulls_are_dropped_again():
    schema, strict = for_model(ADD)
    assert strict
    assert schema["required"] == ["a", "note", "tags"] and schema["additionalProperties"] is False
    assert schema["properties"]["note"]["type"] == ["string", "null"] and "default" not in schema["properties"]["note"]
    assert schema["properties"]["tags"]["items"]["properties"]["k"]["type"] == ["string", "null"]
    assert drop_nulls({"a": 1, "note": None, "tags": [{"k": None}]}, ADD) == {"a": 1, "tags": [{}]}


@pytest.mark.parametrize("schema", [
    {"type": "object", "properties": {"meta": {"type": "object", "additionalProperties": {"type": "string"}}}},
    {"type": "object", "properties": {"x": {"oneOf": [{"type": "string"}, {"type": "integer"}]}}},
    {"type": "object", "properties": {"anything": {}}},
])
def test_schemas_strict_mode_cannot_express_are_sent_as_they_are(schema):
    sent, strict = for_model(schema)
    assert not strict and sent == schema


def test_null_the_server_allows_is_kept():
    schema = {"type": "object", "properties": {"n": {"anyOf": [{"type": "string"}, {"type": "null"}]}}}
    assert drop_nulls({"n": None}, schema) == {"n": None}


def test_tool_names_fit_the_providers_rules():
    assert tool_name("docs", "search.pages v2") == "mcp__docs__search_pages_v2"
    assert len(tool_name("docs", "x" * 100)) == 64


@pytest.mark.parametrize("raw, message", [
    ({"a__b": {"command": "x"}}, "server name"),
    ({"docs": {"command": "x", "url": "http://h"}}, "either command"),
    ({"docs": {}}, "either command"),
    ({"docs": {"command": "x", "approve": "sometimes"}}, "approve: must be one of always, ask, never"),
    ({"docs": {"command": "x", "tool_approve": {"t": "maybe"}}}, "tool_approve.t"),
    ({"docs": {"command": "x", "startup_timeout": 0}}, "startup_timeout"),
    ({"docs": {"command": "x", "comand": "y"}}, "unknown setting 'comand'"),
])
def test_bad_server_config_is_one_line_naming_the_key(raw, message):
    with pytest.raises(ConfigError, match=message):
        parse_servers(raw)


def test_never_and_disabled_tools_are_not_offered_and_enabled_false_skips_the_server():
    (docs,) = parse_servers({"docs": {"command": "x", "approve": "never", "tool_approve": {"lookup": "ask"}},
                             "off": {"command": "y", "enabled": False}})
    assert docs.offers("lookup") and not docs.offers("delete")
    (only,) = parse_servers({"d": {"command": "x", "enabled_tools": ["a", "b"], "disabled_tools": ["b"]}})
    assert [t for t in ("a", "b", "c") if only.offers(t)] == ["a"]


@pytest.mark.parametrize("raw, message", [
    ([{"event": "before_tool", "command": ["x"]}], "event: must be one of"),
    ([{"event": "pre_tool", "command": "x --y"}], "argv list"),
    ([{"event": "pre_tool", "command": []}], "must not be empty"),
    ([{"event": "pre_tool", "command": ["x"], "timeout": -1}], "timeout"),
])
def test_bad_hook_config_is_one_line_naming_the_key(raw, message):
    with pytest.raises(ConfigError, match=message):
        parse_hooks(raw)


def test_a_pre_tool_hook_process_denies_with_its_reason_and_matches_by_glob(tmp_path):
    deny = [sys.executable, "-c", "import json,sys; p=json.load(sys.stdin); "
            "print(json.dumps({'decision': 'deny', 'reason': 'no edits to ' + p['tool']['arguments']['path']}))"]
    seen = []
    hooks = Hooks(parse_hooks([{"event": "pre_tool", "match": "apply_*", "command": deny}]),
                  lambda type, **f: seen.append((type, f)), cwd=tmp_path, env={"PATH": "/usr/bin", "MY_TOKEN": "t"})
    payload = {"event": "pre_tool", "tool": {"name": "apply_diff", "arguments": {"path": "vendor/x.py"}}}
    assert hooks.pre_tool(payload) == "refused by a pre_tool hook: no edits to vendor/x.py"
    assert hooks.pre_tool({**payload, "tool": {"name": "read_file", "arguments": {}}}) is None
    assert [(t, f["outcome"]) for t, f in seen] == [("hook_ran", "deny")]


def test_hooks_see_no_credentials(tmp_path):
    body = "import os,json; print(json.dumps({'context': ','.join(sorted(k for k in os.environ if k.startswith('MY_')))}))"
    hooks = Hooks(parse_hooks([{"event": "post_tool", "command": [sys.executable, "-c", body]}]),
                  lambda *a, **k: None, cwd=tmp_path,
                  env={"PATH": "/usr/bin", "MY_API_KEY": "k", "MY_TOKEN": "t", "MY_COLOUR": "blue"})
    added = hooks.post_tool({"event": "post_tool", "tool": {"name": "read_file", "arguments": {}},
                             "result": {"ok": True, "output": ""}})
    assert added == ["MY_COLOUR"]


def test_the_sdk_is_not_imported_without_servers():
    import subprocess

    code = ("import sys\nfrom pathlib import Path\nimport agent.cli.app, agent.core.driver, agent.core.loop\n"
            "from agent.config import Config\nfrom agent.core.driver import start_extensions\n"
            "assert start_extensions(Config(), None, None, 's', 'i', None, None) is None\n"
            "print(sorted(m for m in sys.modules if m == 'mcp' or m.startswith(('mcp.', 'agent.extensions'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
