"""The environment a sandboxed process gets: the person's, minus every credential.

A test suite the model wrote can print, log or send anything it finds in its environment, so
the keys the model layer reads, and anything that looks like a credential, never reach it.
What a suite really needs comes back through `env_passthrough` (trusted config only).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping

# Name fragments and prefixes that mark a credential (matched case-insensitively).
_SECRET_WORDS = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|COOKIE|PRIVATE", re.I)
_SECRET_PREFIXES = ("AWS_", "AZURE_", "OPENAI_", "ANTHROPIC_", "VAULT_")
_SECRET_NAMES = {"SSH_AUTH_SOCK", "SSH_AGENT_PID", "GPG_AGENT_INFO", "XAUTHORITY", "KRB5CCNAME", "NETRC",
                 "GITHUB_TOKEN", "KUBECONFIG", "DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY",
                 "GIT_ASKPASS", "SSH_ASKPASS"}
# A URL with a password in it (postgres://user:pw@host, https://token:x@index): any variable.
_URL_WITH_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^/@\s:]*:[^/@\s]*@", re.I)
# Variables that would point git at another repository (set, e.g., inside a git hook).
GIT_REDIRECTS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY",
                 "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_PREFIX", "GIT_CONFIG",
                 "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT")


def is_credential(name: str, value: str, key_names: Iterable[str] = ()) -> bool:
    upper = name.upper()
    return (name in key_names or upper in _SECRET_NAMES or bool(_SECRET_WORDS.search(upper))
            or upper.startswith(_SECRET_PREFIXES) or bool(_URL_WITH_PASSWORD.search(value or "")))


def scrub(env: Mapping[str, str], *, key_names: Iterable[str] = (), passthrough: Iterable[str] = ()) -> dict[str, str]:
    """`env` without credentials and git redirects; names matching a `passthrough` pattern stay."""
    keys = set(key_names)
    keep = list(passthrough)
    out = {}
    for name, value in env.items():
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in keep):
            out[name] = value
        elif name in GIT_REDIRECTS or name.startswith("GIT_CONFIG_KEY_") or name.startswith("GIT_CONFIG_VALUE_"):
            continue
        elif not is_credential(name, value, keys):
            out[name] = value
    return out


def model_key_names(config) -> set[str]:
    """Every variable the model layer reads a key from, for this config (any tier)."""
    names = {"OPENAI_API_KEY", "AZURE_OPENAI_API_KEY"}
    if config is None:
        return names
    if getattr(config, "api_key_env", None):
        names.add(config.api_key_env)
    for spec in (getattr(config, "models", None) or {}).values():
        if isinstance(spec, dict) and isinstance(spec.get("api_key_env"), str):
            names.add(spec["api_key_env"])
    try:
        from agent.model.tiers import resolve_tiers

        names |= {t.api_key_env for t in resolve_tiers(config).values() if t.api_key_env}
    except Exception:  # noqa: BLE001 - a config the model layer refuses is reported there, not here
        pass
    return names
