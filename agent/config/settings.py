"""Configuration, merged from layers of increasing precedence:

    built-in defaults < user config ($XDG_CONFIG_HOME/agent/config.toml) < [tool.agent] in the
    repo's pyproject.toml < .agent.toml < AGENT_* env < flags

Every layer is validated against agent.config.schema first; repository layers lose the settings
that need trust unless the person trusted them (agent.config.trust).

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

from agent.config import schema, trust
from agent.config.schema import Problems
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
    "AGENT_TEST_STRATEGY": ("test_strategy", str),
    "AGENT_MAX_ATTEMPTS": ("max_attempts", int),
    "AGENT_MAX_STEPS": ("max_steps", int),
    "AGENT_MAX_TURNS": ("max_turns", int),
    "AGENT_REQUEST_DEADLINE": ("request_deadline", float),
    "AGENT_RETRY_BUDGET": ("retry_budget", float),
    "AGENT_MAX_COST": ("max_cost", float),
    "AGENT_MAX_TOKENS": ("max_tokens", int),
    "AGENT_MCP_ALLOW_ASK": ("mcp_allow_ask", bool),
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
    test_command: str | list[str] | None = None  # None: detect (pytest for Python projects); never via a shell + args
    setup_command: str | list[str] | None = None  # replaces dependency detection (agent.sandbox.deps); needs trust
    # [tool.agent.sandbox] (agent.sandbox.settings): mode, network, install_network, writable,
    # env_passthrough, home_passthrough. Relaxations need trust (agent/config/trust.py).
    sandbox: dict[str, Any] = field(default_factory=dict)
    test_timeout: float = 600.0
    test_strategy: str = "affected-first"  # or "full": see agent.testsuite.affected
    max_attempts: int = 3
    max_steps: int | None = 20  # a longer plan is refused (the model is asked to merge steps)
    max_turns: int = 40  # model turns per attempt (planning round or step attempt); see agent.core.loop
    request_deadline: float = 600.0  # seconds for one model request, the whole streamed answer included
    retry_budget: float = 900.0  # seconds for one model call with all its retries and waits
    max_cost: float | None = None
    max_tokens: int | None = None
    syntax_check: bool = True
    keep_failed: bool = False  # keep a failing step's uncommitted changes in the worktree (--keep-failed)
    baseline_tests: bool = True  # run the tests once before any change, to tell old failures from new
    system_prompt: str | None = None  # path to a file replacing prompts/system.md
    models: dict[str, Any] = field(default_factory=dict)
    roles: dict[str, Any] = field(default_factory=dict)
    prices: dict[str, Any] = field(default_factory=dict)
    compaction: dict[str, Any] = field(default_factory=dict)
    # Extensions (agent.extensions): interpreted there. Both run commands: repository config needs trust.
    mcp_servers: dict[str, Any] = field(default_factory=dict)  # name -> {command, args, env | url, ...}
    hooks: list[dict[str, Any]] = field(default_factory=list)  # [[tool.agent.hooks]]: event, match, command
    mcp_allow_ask: bool = False  # without a terminal, `approve = "ask"` MCP calls are allowed (else denied)
    sources: list[str] = field(default_factory=list)  # which files contributed, for `agent models`
    # Repository settings that need trust and were not used (see agent.config.trust), and the
    # request the CLI may put to the person (None: the repository's config needs no trust).
    ignored_settings: list[str] = field(default_factory=list)
    repo_trust: Any = None

    def __post_init__(self) -> None:
        if self.api not in ("responses", "chat"):
            raise ConfigError(f"api must be 'responses' or 'chat', not {self.api!r}")
        if self.max_attempts < 1:
            raise ConfigError("max_attempts must be at least 1")
        if self.max_steps is not None and self.max_steps < 1:
            raise ConfigError("max_steps must be at least 1")
        if self.test_timeout <= 0:
            raise ConfigError("test_timeout must be positive")
        if self.request_deadline <= 0 or self.retry_budget <= 0:
            raise ConfigError("request_deadline and retry_budget must be positive (seconds)")
        if self.test_strategy not in ("affected-first", "full"):
            raise ConfigError(f"test_strategy must be 'affected-first' or 'full', not {self.test_strategy!r}")


_FIELDS = {f.name: f for f in fields(Config)}
# Flag names for overrides, so a bad value names what the person typed.
FLAG_NAMES = {"syntax_check": "--no-syntax-check"}


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None


def _merge(base: dict[str, Any], layer: dict[str, Any]) -> None:
    """Deep-merge a validated layer into `base`: tables merge key by key, other values replace,
    except hooks, which add up: a repository's hooks (once trusted) run beside the person's own
    policy hooks and can never take them away."""
    for key, value in layer.items():
        if key == "hooks" and isinstance(value, list) and isinstance(base.get(key), list):
            base[key] = [*base[key], *value]
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            merged = dict(base[key])
            _merge(merged, value)
            base[key] = merged
        else:
            base[key] = value


def _agent_table(path: Path, data: dict[str, Any], problems: Problems, *, pyproject: bool) -> dict[str, Any]:
    """The agent settings of one file: [tool.agent] of a pyproject.toml; a whole .agent.toml or
    user config.toml, which may also put them under a leading [tool.agent] table."""
    tool = data.get("tool")
    if tool is None:
        return {} if pyproject else data
    if not isinstance(tool, dict):
        problems.add(str(path), "tool", f"{schema.show(tool)} is not allowed: must be a table")
        return {}
    if not pyproject and set(tool) - {"agent"}:
        problems.add(str(path), "tool", f"only [tool.agent] is read here, not {', '.join(sorted(set(tool) - {'agent'}))}")
    table = tool.get("agent", {})
    if not isinstance(table, dict):
        problems.add(str(path), "tool.agent", f"{schema.show(table)} is not allowed: must be a table of settings")
        return {}
    if pyproject:
        return table
    rest = {k: v for k, v in data.items() if k != "tool"}
    return {**rest, **table}


def _file_layer(path: Path, problems: Problems, *, pyproject: bool = False) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    values = _agent_table(path, _read_toml(path), problems, pyproject=pyproject)
    if not values:
        return None
    return schema.validate_table(values, str(path), problems, "tool.agent." if pyproject else "")


def repo_layers(repo_root: Path, problems: Problems) -> list[tuple[str, dict[str, Any]]]:
    """[(file, validated settings)] from the repository, lowest precedence first."""
    layers = []
    for path, pyproject in ((repo_root / "pyproject.toml", True), (repo_root / ".agent.toml", False)):
        values = _file_layer(path, problems, pyproject=pyproject)
        if values:
            layers.append((str(path), values))
    return layers


def _env_layer(env, problems: Problems, sources: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for var, (key, _typ) in ENV_VARS.items():
        raw = env.get(var)
        if raw in (None, ""):
            continue
        if var == "OPENAI_BASE_URL" and env.get("AGENT_BASE_URL"):
            continue  # the agent-specific variable wins
        setting = schema.SETTINGS.get(key)
        if setting is None:  # a Config field nobody declared yet: typed as before (see test_schema)
            try:
                values[key] = _typ(raw)
            except ValueError:
                problems.add(f"environment variable {var}", "", f"{raw!r} is not a valid {_typ.__name__}")
            continue
        checked = schema.check_value(setting, raw, f"environment variable {var}", "", problems)
        if checked is not schema.BAD:
            values[key] = checked
            sources.append(f"env {var}")
    return values


def _flag_layer(overrides: dict[str, Any], problems: Problems) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in overrides.items():
        if value is None:
            continue
        setting = schema.SETTINGS.get(key)
        if setting is None:  # a Config field nobody declared yet (see test_schema): as given
            values[key] = value
            continue
        flag = FLAG_NAMES.get(key, "--" + key.replace("_", "-"))
        checked = schema.check_value(setting, value, flag, "", problems)
        if checked is not schema.BAD:
            values[key] = checked
    return values


def _confine_system_prompt(values: dict[str, Any], source: str, repo_root: Path, problems: Problems) -> None:
    """A repository's system_prompt names a file inside that repository, nothing else."""
    name = values.get("system_prompt")
    if name is None:
        return
    root = repo_root.resolve()
    path = (root / name).resolve() if not Path(name).is_absolute() and not name.startswith("~") else None
    if path is None or (path != root and root not in path.parents):
        problems.add(source, "system_prompt", f"{name!r} is not allowed: must be a path inside the repository")
        return
    values["system_prompt"] = str(path)


def load_config(
    repo_root: Path | None, overrides: dict[str, Any] | None = None, env: dict[str, str] | None = None,
    *, trust_repo: bool | None = None, user_config: Path | None = None,
) -> Config:
    """Every layer read and validated (all problems at once: one ConfigError, a line each), then
    merged; repository settings that need trust are dropped unless trusted (see agent.config.trust).

    trust_repo: True (--trust-repo-config, or the person just said so), False (ignore them), None
    (AGENT_TRUST_REPO_CONFIG, else the remembered decision for this exact content)."""
    env = os.environ if env is None else env
    problems = Problems()
    sources: list[str] = []  # the environment variables used
    user_path = user_config or trust.user_config_dir(env) / "config.toml"
    user_values = _file_layer(user_path, problems) or {}
    layers = repo_layers(repo_root, problems) if repo_root is not None else []
    env_values = _env_layer(env, problems, sources)
    flag_values = _flag_layer(overrides or {}, problems)
    request = trust.decide(layers, repo_root, env, trust_repo) if layers else None
    if request is not None and not request.trusted:
        layers = [(source, trust.strip_untrusted(values)) for source, values in layers]
    for source, values in layers:
        _confine_system_prompt(values, source, repo_root, problems)
    if problems.lines:
        raise ConfigError("\n".join(problems.lines))
    values: dict[str, Any] = {"effort": Config().effort}  # a layer's effort table sets some roles
    for layer in (user_values, *(v for _, v in layers), env_values, flag_values):
        _merge(values, layer)
    sources = ([str(user_path)] if user_values else []) + [source for source, layer in layers if layer] + sources
    try:
        config = Config(**values, sources=sources)
    except TypeError as exc:
        raise ConfigError(f"invalid configuration: {exc}") from None
    config.repo_trust = request
    config.ignored_settings = [] if request is None or request.trusted else list(request.names)
    return config
