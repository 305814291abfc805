"""Configuration: the typed settings (settings.py), their declared schema (schema.py), and trust
for settings a repository supplies (trust.py)."""

from agent.config.settings import ENV_VARS, Config, load_config

__all__ = ["ENV_VARS", "Config", "load_config"]
