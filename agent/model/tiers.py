"""Tier and role resolution: turns Config (+ its raw `models`/`roles` tables) into Tier objects.

Cheap on purpose (no openai import): build_model, `agent models` and `agent doctor` all start here.

Resolution rules (documented in the README):
- Each tier (instant, thinking, pro) starts from the top-level settings (provider, api, model,
  base_url, api_key_env); `[tool.agent.models.thinking]` overrides them for that tier, and tiers
  missing from the table inherit the thinking tier's settings (so one Azure deployment or one local
  model serves every tier unless you say otherwise).
- Only for OpenAI's own endpoint with model "gpt-5.2" and the Responses API does the pro tier
  default to a different model ("gpt-5.2-pro", which is Responses-only); everywhere else pro is the
  thinking model at its highest known effort, and instant is the same model at its lowest effort.
  So a single-model or local setup never calls a model it doesn't have.
- Supported efforts, context window and price come from the tier's config (`efforts`,
  `context_window`, `family`) or, for OpenAI model names we ship presets for, from those presets.
  Azure deployment names are never interpreted: set `family = "gpt-5.2"` to use the presets.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlparse

from agent.config import Config
from agent.errors import ConfigError

TIERS = ("instant", "thinking", "pro")
ROLES = ("plan", "edit", "fix", "summarize")
PROVIDERS = ("openai", "azure", "openai-compatible")
EFFORT_ORDER = ("none", "minimal", "low", "medium", "high", "xhigh")
DEFAULT_ROLE_TIER = {"plan": "thinking", "edit": "thinking", "fix": "thinking", "summarize": "instant"}

# Local OpenAI-compatible servers: base URL and the dummy key they accept.
PRESETS: dict[str, dict[str, str]] = {
    "ollama": {"base_url": "http://localhost:11434/v1", "api_key": "ollama"},
    "lmstudio": {"base_url": "http://localhost:1234/v1", "api_key": "lm-studio"},
    "vllm": {"base_url": "http://localhost:8000/v1", "api_key": "EMPTY"},
    "llamacpp": {"base_url": "http://localhost:8080/v1", "api_key": "sk-no-key-required"},
}

# What we know about OpenAI model names we ship presets for (efforts in order, context window).
# Anything else is accepted as is; set `efforts` / `context_window` in its tier to tell us more.
KNOWN_MODELS: dict[str, dict[str, Any]] = {
    "gpt-5.2": {"efforts": ["none", "low", "medium", "high", "xhigh"], "context_window": 400_000},
    "gpt-5.2-pro": {"efforts": ["medium", "high", "xhigh"], "context_window": 400_000,
                    "apis": ["responses"]},
    "gpt-5.2-chat-latest": {"efforts": ["medium"], "context_window": 128_000},
    "gpt-5.1": {"efforts": ["none", "low", "medium", "high"], "context_window": 400_000},
    "gpt-5": {"efforts": ["minimal", "low", "medium", "high"], "context_window": 400_000},
    "gpt-5-mini": {"efforts": ["minimal", "low", "medium", "high"], "context_window": 400_000},
    "gpt-5-nano": {"efforts": ["minimal", "low", "medium", "high"], "context_window": 400_000},
    "gpt-4.1": {"efforts": [], "context_window": 1_047_576},
    "gpt-4.1-mini": {"efforts": [], "context_window": 1_047_576},
}

_TIER_KEYS = {
    "provider", "model", "api", "base_url", "endpoint", "api_key_env", "api_version", "auth",
    "reasoning_effort", "efforts", "context_window", "family", "preset", "reasoning_summary",
    "compaction", "max_output_tokens",
}


@dataclass(frozen=True)
class Tier:
    name: str
    provider: str
    model: str
    api: str  # "responses" | "chat"
    base_url: str | None  # None: the provider's default (OpenAI) or derived from endpoint (Azure)
    api_key_env: str | None  # None: no key needed (local server, Entra ID)
    api_key_default: str | None = None  # dummy key for local servers
    endpoint: str | None = None  # Azure resource endpoint
    api_version: str | None = None  # Azure classic (AzureOpenAI) when set
    auth: str = "key"  # "key" | "entra"
    effort: str | None = None  # tier-level reasoning_effort, when configured
    efforts: tuple[str, ...] | None = None  # supported efforts; None = unknown
    context_window: int | None = None
    family: str | None = None  # price / preset lookup name
    reasoning_summary: bool = True
    compaction: str = "auto"  # "auto" | "responses" | "summary"
    max_output_tokens: int | None = None
    explicit_effort: bool = False  # reasoning_effort or efforts configured for this tier

    @property
    def is_local(self) -> bool:
        return is_local_url(self.base_url)

    @property
    def identity(self) -> tuple:
        """Two tiers with the same identity talk to the same model at the same place."""
        return (self.provider, self.model, self.api, self.base_url, self.endpoint, self.api_version)

    def clamp_effort(self, effort: str | None) -> str | None:
        """The supported effort nearest to `effort` (ties go to the cheaper one); None = don't send."""
        if effort is None:
            return None
        if self.efforts is None:
            # Unknown model: send what was asked on OpenAI/Azure (a 400 turns it off, see session),
            # and only configured efforts on other servers, which often reject the field.
            return effort if (self.provider != "openai-compatible" or self.explicit_effort) else None
        if not self.efforts:
            return None
        if effort in self.efforts:
            return effort
        want = _rank(effort)
        return min(self.efforts, key=lambda e: (abs(_rank(e) - want), _rank(e)))

    def display_url(self) -> str:
        if self.base_url:
            return self.base_url
        if self.provider == "azure":
            return (self.endpoint or "$AZURE_OPENAI_ENDPOINT").rstrip("/") + "/openai"
        return "https://api.openai.com/v1"


def _rank(effort: str) -> int:
    return EFFORT_ORDER.index(effort) if effort in EFFORT_ORDER else EFFORT_ORDER.index("medium")


def is_local_url(url: str | None) -> bool:
    if not url:
        return False
    host = (urlparse(url).hostname or "").lower()
    return host in ("localhost", "127.0.0.1", "::1", "0.0.0.0") or host.endswith(".localhost")


def _is_openai_official(provider: str, base_url: str | None) -> bool:
    if provider != "openai":
        return False
    return base_url is None or (urlparse(base_url).hostname or "") == "api.openai.com"


def _known(name: str | None) -> dict[str, Any] | None:
    return KNOWN_MODELS.get(name or "")


def _build_tier(name: str, spec: dict[str, Any], *, inherit_known: bool) -> Tier:
    unknown = set(spec) - _TIER_KEYS
    if unknown:
        raise ConfigError(f"models.{name}: unknown setting(s) {', '.join(sorted(unknown))}")
    preset_name = spec.get("preset")
    preset = {}
    if preset_name:
        if preset_name not in PRESETS:
            raise ConfigError(f"models.{name}.preset must be one of {', '.join(PRESETS)}, not {preset_name!r}")
        preset = PRESETS[preset_name]
    provider = spec.get("provider") or ("openai-compatible" if preset else "openai")
    if provider not in PROVIDERS:
        raise ConfigError(f"models.{name}.provider must be one of {', '.join(PROVIDERS)}, not {provider!r}")
    api = spec.get("api") or "responses"
    if api not in ("responses", "chat"):
        raise ConfigError(f"models.{name}.api must be 'responses' or 'chat', not {api!r}")
    base_url = spec.get("base_url") or preset.get("base_url")
    model = spec.get("model")
    if not model:
        raise ConfigError(f"models.{name}.model is not set: name the model (or Azure deployment) to use")
    family = spec.get("family") or (None if provider == "azure" else model)
    known = _known(family) if (inherit_known or spec.get("family")) else None
    efforts = spec.get("efforts")
    if efforts is not None:
        bad = [e for e in efforts if e not in EFFORT_ORDER]
        if bad:
            raise ConfigError(f"models.{name}.efforts: unknown effort(s) {bad}; use {', '.join(EFFORT_ORDER)}")
        efforts = tuple(sorted(efforts, key=_rank))
    elif known is not None:
        efforts = tuple(known["efforts"])
    effort = spec.get("reasoning_effort")
    if effort is not None and effort not in EFFORT_ORDER:
        raise ConfigError(f"models.{name}.reasoning_effort must be one of {', '.join(EFFORT_ORDER)}")
    if provider == "openai-compatible":
        key_env = spec.get("api_key_env")
    elif provider == "azure":
        key_env = None if spec.get("auth") == "entra" else (spec.get("api_key_env") or "AZURE_OPENAI_API_KEY")
    else:
        key_env = spec.get("api_key_env") or "OPENAI_API_KEY"
    auth = spec.get("auth", "key")
    if auth not in ("key", "entra"):
        raise ConfigError(f"models.{name}.auth must be 'key' or 'entra', not {auth!r}")
    compaction = spec.get("compaction", "auto")
    if compaction not in ("auto", "responses", "summary"):
        raise ConfigError(f"models.{name}.compaction must be 'auto', 'responses' or 'summary'")
    window = spec.get("context_window") or (known or {}).get("context_window")
    return Tier(
        name=name, provider=provider, model=model, api=api, base_url=base_url, api_key_env=key_env,
        api_key_default=preset.get("api_key") or ("local" if provider == "openai-compatible" else None),
        endpoint=spec.get("endpoint"), api_version=spec.get("api_version"), auth=auth, effort=effort,
        efforts=efforts, context_window=int(window) if window else None, family=family,
        reasoning_summary=bool(spec.get("reasoning_summary", True)), compaction=compaction,
        max_output_tokens=spec.get("max_output_tokens"),
        explicit_effort=effort is not None or spec.get("efforts") is not None,
    )


def resolve_tiers(config: Config) -> dict[str, Tier]:
    table = {k: v for k, v in (config.models or {}).items()}
    for key, value in table.items():
        if key not in TIERS:
            raise ConfigError(f"models.{key}: unknown tier; the tiers are {', '.join(TIERS)}")
        if not isinstance(value, dict):
            raise ConfigError(f"models.{key} must be a table, e.g. [tool.agent.models.{key}]")
    base: dict[str, Any] = {
        "provider": config.provider, "model": config.model, "api": config.api,
        "base_url": config.base_url, "api_key_env": config.api_key_env,
    }
    if config.provider != "openai" and config.api_key_env == "OPENAI_API_KEY":
        base.pop("api_key_env")  # let the provider's own default apply (AZURE_OPENAI_API_KEY, none)
    own_thinking = table.get("thinking", {})
    thinking_spec = dict(base)
    if own_thinking.get("provider", base["provider"]) != base["provider"]:
        thinking_spec.pop("api_key_env", None)  # another provider: its own key variable applies
        thinking_spec.pop("base_url", None)
    thinking_spec.update(own_thinking)
    if "preset" in table.get("thinking", {}) and "provider" not in table["thinking"]:
        thinking_spec["provider"] = "openai-compatible"
        if "base_url" not in table["thinking"]:
            thinking_spec.pop("base_url", None)
    # A configured thinking tier is what the others inherit; without one they inherit the top level.
    parent = thinking_spec if "thinking" in table else base
    tiers = {"thinking": _build_tier("thinking", thinking_spec, inherit_known=True)}
    thinking = tiers["thinking"]
    family_mode = (
        "pro" not in table and "thinking" not in table and thinking.model == "gpt-5.2"
        and thinking.api == "responses" and _is_openai_official(thinking.provider, thinking.base_url)
    )
    for name in ("instant", "pro"):
        spec = dict(parent)
        if name == "pro" and family_mode:
            spec["model"] = "gpt-5.2-pro"
        own = table.get(name, {})
        if "preset" in own and "provider" not in own:
            spec["provider"] = "openai-compatible"
            spec.pop("base_url", None)
            spec.pop("api_key_env", None)
        if "provider" in own and own["provider"] != parent.get("provider"):
            spec = {}  # another provider (e.g. a local thinking tier handing off to the cloud): fresh
        spec.update(own)
        if name not in table or "model" not in own:
            # same model as thinking: carry its effort knowledge but not its tier effort
            spec.pop("reasoning_effort", None)
        tiers[name] = _build_tier(name, spec, inherit_known=True)
    # Tier efforts not configured: instant at the lowest, pro at the highest useful effort.
    instant = tiers["instant"]
    if instant.effort is None and instant.efforts:
        tiers["instant"] = replace(instant, effort=instant.efforts[0])
    pro = tiers["pro"]
    if pro.effort is None and pro.efforts:
        want = "high" if pro.identity != thinking.identity else "xhigh"
        tiers["pro"] = replace(pro, effort=pro.clamp_effort(want))
    return tiers


@dataclass(frozen=True)
class RoleRoute:
    tier: str
    effort: str | None  # the role's effort before clamping to the tier's supported efforts
    explicit: bool  # the roles table gave this effort


def resolve_roles(config: Config) -> dict[str, RoleRoute]:
    routes: dict[str, RoleRoute] = {}
    table = config.roles or {}
    for key in table:
        if key not in ROLES:
            raise ConfigError(f"roles.{key}: unknown role; the roles are {', '.join(ROLES)}")
    for role in ROLES:
        entry = table.get(role, {})
        if isinstance(entry, str):
            entry = {"tier": entry}
        tier = entry.get("tier", DEFAULT_ROLE_TIER[role])
        if tier not in TIERS:
            raise ConfigError(f"roles.{role}.tier must be one of {', '.join(TIERS)}, not {tier!r}")
        effort = entry.get("effort")
        if effort is not None and effort not in EFFORT_ORDER:
            raise ConfigError(f"roles.{role}.effort must be one of {', '.join(EFFORT_ORDER)}")
        routes[role] = RoleRoute(tier, effort or (config.effort or {}).get(role), effort is not None)
    return routes


def effort_for(route: RoleRoute, tier: Tier) -> str | None:
    """Role effort wins when set in the roles table; else the tier's own; else the top-level one."""
    if route.explicit:
        return tier.clamp_effort(route.effort)
    if tier.effort is not None:
        return tier.clamp_effort(tier.effort)
    return tier.clamp_effort(route.effort)


def effort_rank(effort: str | None) -> int:
    return -1 if effort is None else _rank(effort)


def resolve_key(tier: Tier, env: Mapping[str, str] | None = None) -> str | None:
    """The API key for a tier, or raise ConfigError with one line saying exactly what to set."""
    env = os.environ if env is None else env
    if tier.provider == "azure" and tier.auth == "entra":
        return None
    value = env.get(tier.api_key_env) if tier.api_key_env else None
    if value:
        return value
    if tier.is_local or (tier.provider == "openai-compatible" and not tier.api_key_env):
        return tier.api_key_default or "local"  # local servers accept any key
    if tier.provider == "openai-compatible":
        raise ConfigError(f"{tier.api_key_env} is not set: export it (models.{tier.name}.api_key_env names it)")
    if tier.provider == "azure":
        raise ConfigError(
            f"{tier.api_key_env} is not set: export your Azure OpenAI key, or set auth = \"entra\" "
            f"in [tool.agent.models.{tier.name}] to sign in with Entra ID (pip install 'agent[azure]')"
        )
    raise ConfigError(
        f"{tier.api_key_env} is not set: export it, or point base_url at a local OpenAI-compatible server"
    )


def azure_endpoint(tier: Tier, env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    endpoint = tier.endpoint or env.get("AZURE_OPENAI_ENDPOINT")
    if not endpoint and not tier.base_url:
        raise ConfigError(
            f"AZURE_OPENAI_ENDPOINT is not set: export it (https://RESOURCE.openai.azure.com) or set "
            f"endpoint in [tool.agent.models.{tier.name}]"
        )
    return (endpoint or "").rstrip("/")


def azure_api_version(tier: Tier, env: Mapping[str, str] | None = None) -> str | None:
    """Classic AzureOpenAI when an api_version is configured (tier or OPENAI_API_VERSION); "v1" or
    nothing means the v1 endpoint with the plain client."""
    env = os.environ if env is None else env
    version = tier.api_version or env.get("OPENAI_API_VERSION")
    return None if version in (None, "", "v1", "latest") else version


def validate(config: Config, env: Mapping[str, str] | None = None) -> dict[str, Tier]:
    """Resolve and check everything that can be checked without the network or the SDK."""
    tiers = resolve_tiers(config)
    resolve_roles(config)
    for tier in tiers.values():
        resolve_key(tier, env)
        if tier.provider == "azure":
            azure_endpoint(tier, env)
            if tier.auth == "entra" and not _has_azure_identity():
                raise ConfigError(
                    f"models.{tier.name}: auth = \"entra\" needs azure-identity: pip install 'agent[azure]' "
                    "(or use key auth with AZURE_OPENAI_API_KEY)")
    return tiers


def _has_azure_identity() -> bool:
    """Found without importing it (that is slow and may probe credentials)."""
    import importlib.util
    import sys

    if "azure.identity" in sys.modules:
        return sys.modules["azure.identity"] is not None
    try:
        return importlib.util.find_spec("azure.identity") is not None
    except (ImportError, ValueError):
        return False
