"""The declared schema: every layer validated in one go, one line per problem (file, key, allowed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import load_config
from agent.config.schema import EFFORTS, SETTINGS
from agent.errors import ConfigError
from tests.helpers_git import make_repo

NO_ENV = {"HOME": "/nonexistent-home"}


def load(tmp_path: Path, files: dict[str, str], overrides=None, env=None, **kw):
    root = make_repo(tmp_path, {"README.md": "x\n", **files})
    return load_config(root, overrides, {**NO_ENV, "XDG_CONFIG_HOME": str(tmp_path / "xdg"), **(env or {})}, **kw)


def problems(tmp_path, files, overrides=None, env=None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, files, overrides, env)
    return str(info.value).splitlines()


@pytest.mark.parametrize("files, file, key, allowed", [
    ({".agent.toml": 'effort = { plan = "ultra" }\n'}, ".agent.toml", "effort.plan", "one of none, minimal"),
    ({".agent.toml": 'effort = "extreme"\n'}, ".agent.toml", "effort", "one of none"),
    ({".agent.toml": 'baseline_tests = "no"\n'}, ".agent.toml", "baseline_tests", "true or false"),
    ({".agent.toml": 'max_attempts = "three"\n'}, ".agent.toml", "max_attempts", "an integer >= 1"),
    ({".agent.toml": "max_attempts = 0\n"}, ".agent.toml", "max_attempts", "an integer >= 1"),
    ({"pyproject.toml": "[tool]\nagent = 5\n"}, "pyproject.toml", "tool.agent", "a table"),
    ({"pyproject.toml": "[tool.agent]\ntest_timeout = -3\n"}, "pyproject.toml", "tool.agent.test_timeout", "> 0"),
    ({".agent.toml": "[models.thinking]\ncontext_window = 'big'\n"}, ".agent.toml",
     "models.thinking.context_window", "an integer"),
    ({".agent.toml": "[models.fast]\nmodel = 'x'\n"}, ".agent.toml", "models.fast", "instant, thinking, pro"),
    ({".agent.toml": "max_atempts = 2\n"}, ".agent.toml", "max_atempts", "did you mean 'max_attempts'"),
    ({".agent.toml": "[compaction]\nthreshold = 7\n"}, ".agent.toml", "compaction.threshold", "<= 1"),
])
def test_bad_file_setting_is_one_line_naming_file_key_and_allowed(tmp_path, files, file, key, allowed):
    lines = problems(tmp_path, files)
    assert len(lines) == 1, lines
    assert lines[0].split(": ")[0].endswith(file)
    assert f": {key}: " in lines[0] and allowed in lines[0]


@pytest.mark.parametrize("overrides, flag, allowed", [
    ({"max_cost": -1.0}, "--max-cost", "a number > 0"),
    ({"max_tokens": 0}, "--max-tokens", "an integer >= 1"),
    ({"max_attempts": 0}, "--max-attempts", "an integer >= 1"),
    ({"api": "soap"}, "--api", "one of responses, chat"),
    ({"base_url": "localhost:1234"}, "--base-url", "http:// or https:// URL"),
])
def test_bad_flag_names_the_flag(tmp_path, overrides, flag, allowed):
    lines = problems(tmp_path, {}, overrides)
    assert len(lines) == 1 and lines[0].startswith(f"{flag}: ") and allowed in lines[0], lines


def test_bad_environment_variable_names_it(tmp_path):
    lines = problems(tmp_path, {}, env={"AGENT_MAX_ATTEMPTS": "lots"})
    assert lines == ["environment variable AGENT_MAX_ATTEMPTS: 'lots' is not allowed: must be an integer >= 1"]


def test_every_problem_is_reported_at_once(tmp_path):
    lines = problems(tmp_path, {".agent.toml": 'max_attempts = "three"\nbaseline_tests = "no"\n',
                                "pyproject.toml": "[tool.agent]\nmax_steps = 0\n"}, {"max_cost": -1.0})
    assert len(lines) == 4, lines


def test_effort_string_sets_every_role_and_a_table_sets_some(tmp_path):
    config = load(tmp_path, {".agent.toml": 'effort = "high"\n'})
    assert config.effort == {"plan": "high", "edit": "high", "fix": "high", "summarize": "high"}
    config = load(tmp_path / "b", {".agent.toml": 'effort = { plan = "low" }\n'})
    assert config.effort["plan"] == "low" and config.effort["fix"] == "high"  # the other defaults stay


def test_dot_agent_toml_takes_the_same_keys_with_or_without_a_leading_tool_agent_table(tmp_path):
    plain = load(tmp_path / "a", {".agent.toml": "max_attempts = 5\n[models.pro]\nmodel = 'm'\n"})
    wrapped = load(tmp_path / "b", {".agent.toml": "[tool.agent]\nmax_attempts = 5\n[tool.agent.models.pro]\nmodel = 'm'\n"})
    assert plain.max_attempts == wrapped.max_attempts == 5
    assert plain.models == wrapped.models == {"pro": {"model": "m"}}


def test_precedence_user_then_pyproject_then_dot_file_then_env_then_flags(tmp_path):
    xdg = tmp_path / "xdg"
    (xdg / "agent").mkdir(parents=True)
    (xdg / "agent" / "config.toml").write_text("max_attempts = 2\nmax_steps = 4\nmodel = 'mine'\nmax_turns = 9\n")
    config = load(tmp_path, {"pyproject.toml": "[tool.agent]\nmax_attempts = 3\nmax_steps = 5\n",
                             ".agent.toml": "max_attempts = 4\n"},
                  {"max_cost": 2.0}, env={"AGENT_MAX_STEPS": "6"})
    assert (config.max_attempts, config.max_steps, config.model, config.max_cost) == (4, 6, "mine", 2.0)
    assert config.max_turns == 9  # the user's own file is always trusted


def test_efforts_in_the_schema_match_the_model_layer():
    from agent.model.tiers import EFFORT_ORDER, PROVIDERS

    assert EFFORTS == EFFORT_ORDER
    assert SETTINGS["provider"].kind.check("azure") == "azure" and set(PROVIDERS) <= set(
        SETTINGS["provider"].kind.allowed.replace("one of ", "").split(", "))


def test_every_setting_is_a_config_field_and_every_field_a_setting():
    from dataclasses import fields

    from agent.config import Config

    own = {"sources", "ignored_settings", "repo_trust"}  # filled by load_config, not settable
    assert set(SETTINGS) == {f.name for f in fields(Config)} - own


def test_problem_lines_carry_no_terminal_escapes(tmp_path):
    lines = problems(tmp_path, {".agent.toml": '"\\u001b[2Jevil" = 1\nmodel = ""\n'})
    assert len(lines) == 2 and not any("\x1b" in line for line in lines)
    assert "\\x1b[2Jevil" in lines[0]
