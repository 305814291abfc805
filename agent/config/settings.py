"""Configuration, merged from layers of increasing precedence:

    built-in defaults < [tool.agent] in the repo's pyproject.toml < .agent.toml < AGENT_* env < flags

Core settings are typed fields of Config. The model layer's own tables (`models`, `roles`,
`prices`, `compaction`) are kept as dicts and interpreted by agent.model, so this module does
not need to know about providers.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from agent.errors import ConfigError

# env var -> (config key, type)
ENV_VARS: dict[str, tuple[str, type]] = {
    "AGENT_MODEL": ("model", str),
    "AGENT_API": ("api", str),
    "AGENT_PROVIDER": ("provider", str),
    "AGENT_BASE_URL": ("base_url", str),
    "OPENAI_BASE_URL": ("base_url", str),
    "AGENT_TEST_COMMAND": ("test_command", str),
    "AGENT_TEST_TIMEOUT": ("test_timeout", float),
    "AGENT_MAX_ATTEMPTS": ("max_attempts", int),
    "AGENT_MAX_STEPS": ("max_steps", int),
    "AGENT_MAX_COST": ("max_cost", float),
    "AGENT_MAX_TOKENS": ("max_tokens", int),
}


@dataclass
class Config:
    model: str = "gpt-5.2"
    api: str = "responses"  # "responses" or "chat"
    provider: str = "openai"  # "openai", "azure", "openai-compatible" (see agent.model)
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    effort: dict[str, str] = field(
        default_factory=lambda: {"plan": "medium", "edit": "medium", "fix": "high", "summarize": "minimal"}
    )
    test_command: str | None = None  # None: detect (pytest for Python projects)
    test_timeout: float = 600.0
    max_attempts: int = 3
    max_steps: int | None = None
    max_turns: int = 40  # model turns per attempt (planning round or step attempt)
    max_cost: float | None = None
    max_tokens: int | None = None
    syntax_check: bool = True
    baseline_tests: bool = True  # run the tests once before any change, to tell old failures from new
    system_prompt: str | None = None  # path to a file replacing prompts/system.md
    models: dict[str, Any] = field(default_factory=dict)
    roles: dict[str, Any] = field(default_factory=dict)
    prices: dict[str, Any] = field(default_factory=dict)
    compaction: dict[str, Any] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)  # which files contributed, for `agent models`

    def __post_init__(self) -> None:
        if self.api not in ("responses", "chat"):
            raise ConfigError(f"api must be 'responses' or 'chat', not {self.api!r}")
        if self.max_attempts < 1:
            raise ConfigError("max_attempts must be at least 1")
        if self.max_steps is not None and self.max_steps < 1:
            raise ConfigError("max_steps must be at least 1")
        if self.test_timeout <= 0:
            raise ConfigError("test_timeout must be positive")


_FIELDS = {f.name: f for f in fields(Config)}


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None


def _merge(base: dict[str, Any], layer: dict[str, Any], source: str) -> None:
    for key, value in layer.items():
        key = key.replace("-", "_")
        if key not in _FIELDS or key == "sources":
            raise ConfigError(f"{source}: unknown setting {key!r}")
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged = dict(base[key])
            for k, v in value.items():
                merged[k] = {**merged[k], **v} if isinstance(v, dict) and isinstance(merged.get(k), dict) else v
            base[key] = merged
        else:
            base[key] = value


def load_config(
    repo_root: Path | None, overrides: dict[str, Any] | None = None, env: dict[str, str] | None = None
) -> Config:
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    sources: list[str] = []
    if repo_root is not None:
        pyproject = repo_root / "pyproject.toml"
        if pyproject.is_file():
            table = _read_toml(pyproject).get("tool", {}).get("agent")
            if table:
                _merge(values, table, str(pyproject))
                sources.append(str(pyproject))
        dot = repo_root / ".agent.toml"
        if dot.is_file():
            _merge(values, _read_toml(dot), str(dot))
            sources.append(str(dot))
    for var, (key, typ) in ENV_VARS.items():
        raw = env.get(var)
        if raw in (None, ""):
            continue
        if var == "OPENAI_BASE_URL" and env.get("AGENT_BASE_URL"):
            continue  # the agent-specific variable wins
        try:
            values[key] = typ(raw)
        except ValueError:
            raise ConfigError(f"{var}={raw!r} is not a valid {typ.__name__}") from None
        sources.append(f"env {var}")
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = value
    try:
        return Config(**values, sources=sources)
    except TypeError as exc:
        raise ConfigError(f"invalid configuration: {exc}") from None
