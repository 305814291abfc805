"""Configuration: the typed settings and the layers they are merged from (see settings.py)."""

from agent.config.settings import ENV_VARS, Config, load_config

__all__ = ["ENV_VARS", "Config", "load_config"]
