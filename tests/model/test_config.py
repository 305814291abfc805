"""Tier and role resolution from config: no network, no SDK."""

from __future__ import annotations

import subprocess
import sys

import pytest

from agent.config import Config
from agent.errors import ConfigError
from agent.model import build_model, describe_tiers
from agent.model.tiers import resolve_tiers

KEY = {"OPENAI_API_KEY": "sk-test"}


def _build(env=None, **cfg):
    return build_model(Config(**cfg), lambda *a, **k: None, session_id="s", env=env if env is not None else KEY)


def test_default_tiers_are_the_gpt52_family():
    tiers = resolve_tiers(Config())
    assert (tiers["instant"].model, tiers["instant"].effort) == ("gpt-5.2", "none")
    assert tiers["thinking"].model == "gpt-5.2"
    assert (tiers["pro"].model, tiers["pro"].effort) == ("gpt-5.2-pro", "high")


def test_a_user_model_serves_every_tier_and_escalation_only_raises_effort():
    tiers = resolve_tiers(Config(model="my-finetune"))
    assert {t.model for t in tiers.values()} == {"my-finetune"}
    model = _build(model="gpt-5.1")
    assert model.route("fix") == (model.tiers["thinking"], "high")
    assert model.escalate("tests still fail") is None  # gpt-5.1 tops out at high: nothing stronger


def test_local_base_url_uses_one_model_and_a_dummy_key():
    model = _build(env={}, model="qwen2.5-coder", base_url="http://localhost:11434/v1", api="chat")
    assert {t.model for t in model.tiers.values()} == {"qwen2.5-coder"}
    assert {t.base_url for t in model.tiers.values()} == {"http://localhost:11434/v1"}


def test_missing_key_says_what_to_set():
    with pytest.raises(ConfigError) as err:
        _build(env={})
    assert str(err.value) == ("OPENAI_API_KEY is not set: export it, or point base_url at a local "
                              "OpenAI-compatible server")


def test_azure_needs_endpoint_and_key():
    models = {"thinking": {"provider": "azure", "model": "my-gpt52"}}
    with pytest.raises(ConfigError, match="AZURE_OPENAI_ENDPOINT is not set"):
        _build(env={"AZURE_OPENAI_API_KEY": "k"}, models=models)
    with pytest.raises(ConfigError, match="AZURE_OPENAI_API_KEY is not set"):
        _build(env={"AZURE_OPENAI_ENDPOINT": "https://r.openai.azure.com"}, models=models)
    model = _build(env={"AZURE_OPENAI_ENDPOINT": "https://r.openai.azure.com", "AZURE_OPENAI_API_KEY": "k"},
                   models=models)
    # Every tier inherits the deployment; nothing is guessed from its name.
    assert {t.model for t in model.tiers.values()} == {"my-gpt52"}
    assert model.tiers["thinking"].efforts is None and model.tiers["thinking"].context_window is None


def test_azure_family_gives_presets():
    env = {"AZURE_OPENAI_ENDPOINT": "https://r.openai.azure.com", "AZURE_OPENAI_API_KEY": "k"}
    model = _build(env=env, models={"thinking": {"provider": "azure", "model": "prod-52", "family": "gpt-5.2"}})
    thinking = model.tiers["thinking"]
    assert thinking.context_window == 400_000 and "xhigh" in thinking.efforts
    assert model.price(thinking).input == 1.75


def test_efforts_clamp_to_what_the_model_supports():
    model = _build()
    # summarize defaults to "minimal", which gpt-5.2 doesn't have: nearest cheaper wins.
    assert model.route("summarize") == (model.tiers["instant"], "none")
    assert model.route("plan")[1] == "medium"
    custom = _build(models={"thinking": {"model": "m", "efforts": ["low", "high"]}}, roles={"plan": {"effort": "medium"}})
    assert custom.route("plan")[1] == "low"


def test_tier_effort_and_role_table():
    model = _build(models={"thinking": {"model": "gpt-5.2", "reasoning_effort": "high"}},
                   roles={"summarize": "thinking", "edit": {"tier": "thinking", "effort": "low"}})
    assert model.route("plan")[1] == "high"
    assert model.route("edit")[1] == "low"
    assert model.route("summarize")[0].name == "thinking"


def test_ollama_preset_and_cloud_pro():
    env = {"OPENAI_API_KEY": "sk"}
    model = _build(env=env, models={"thinking": {"preset": "ollama", "model": "qwen3-coder", "api": "chat"},
                                    "pro": {"provider": "openai", "model": "gpt-5.2-pro"}})
    assert model.tiers["instant"].base_url == "http://localhost:11434/v1"
    assert model.tiers["pro"].base_url is None and model.tiers["pro"].api == "responses"
    assert model.escalate("local model stuck") == "pro"


@pytest.mark.parametrize("cfg, message", [
    ({"models": {"turbo": {"model": "x"}}}, "unknown tier"),
    ({"models": {"pro": {"model": "x", "provider": "anthropic"}}}, "provider must be one of"),
    ({"models": {"pro": {"model": "x", "colour": 1}}}, "unknown setting"),
    ({"roles": {"review": "pro"}}, "unknown role"),
    ({"compaction": {"threshold": 2}}, "compaction.threshold"),
    ({"prices": {"gpt-5.2": {"input": "cheap"}}}, "prices.gpt-5.2"),
])
def test_bad_config_is_one_clear_line(cfg, message):
    with pytest.raises(ConfigError, match=message):
        _build(**cfg)


def test_describe_tiers_shows_unknown_prices():
    rows = describe_tiers(Config(model="some-new-model"))
    assert [r["tier"] for r in rows] == ["instant", "thinking", "pro"]
    assert all(r["price"] == "unknown" and r["context_window"] == "unknown" for r in rows)
    rows = describe_tiers(Config())
    assert rows[2]["model"] == "gpt-5.2-pro" and rows[2]["price"]["checked"]


def test_importing_the_model_layer_does_not_import_openai():
    code = "import sys, agent.model; from agent.model import build_model; print('openai' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
