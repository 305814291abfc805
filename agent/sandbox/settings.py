"""`[tool.agent.sandbox]`: how test runs and installs are contained.

    mode             "auto" | "bwrap" | "off"    auto: bubblewrap on Linux (the only sandbox so far)
    network          false                       network for test runs (a relaxation)
    install_network  true                        network for dependency installs only
    writable         []                          extra host paths made writable (a relaxation)
    env_passthrough  []                          variable names (globs) kept although they look secret
    home_passthrough []                          paths under $HOME shown read-only, e.g. ".cache/pip"

Relaxations (network, writable, env_passthrough, home_passthrough, mode = "off") come from
trusted config only: see agent/config/trust.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.errors import ConfigError

MODES = ("auto", "bwrap", "off")


@dataclass(frozen=True)
class SandboxSettings:
    mode: str = "auto"
    network: bool = False
    install_network: bool = True
    writable: tuple[str, ...] = ()
    env_passthrough: tuple[str, ...] = ()
    home_passthrough: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


def sandbox_settings(config) -> SandboxSettings:
    """The sandbox table of a Config (or None: the defaults), checked."""
    table = dict(getattr(config, "sandbox", None) or {}) if config is not None else {}
    table = {k.replace("-", "_"): v for k, v in table.items()}
    known = {"mode", "network", "install_network", "writable", "env_passthrough", "home_passthrough"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(f"sandbox: unknown setting(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    mode = table.get("mode", "auto")
    if mode not in MODES:
        raise ConfigError(f"sandbox.mode must be one of {', '.join(MODES)}, not {mode!r}")
    for flag in ("network", "install_network"):
        if flag in table and not isinstance(table[flag], bool):
            raise ConfigError(f"sandbox.{flag} must be true or false")
    lists = {}
    for name in ("writable", "env_passthrough", "home_passthrough"):
        value = table.get(name, [])
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ConfigError(f"sandbox.{name} must be a list of strings")
        lists[name] = tuple(v.strip() for v in value)
    return SandboxSettings(mode=mode, network=table.get("network", False),
                           install_network=table.get("install_network", True), **lists)
