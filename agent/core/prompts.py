"""Prompt texts live as files in prompts/ (shipped inside the wheel as agent/_data/prompts)."""

from __future__ import annotations

from functools import cache
from pathlib import Path


def data_dir(name: str) -> Path:
    """A data folder shipped with the package: agent/_data/NAME in a wheel, ./NAME in a checkout."""
    package = Path(__file__).resolve().parent.parent  # agent/
    installed = package / "_data" / name
    if installed.is_dir():
        return installed
    return package.parent / name


@cache
def load(name: str) -> str:
    return (data_dir("prompts") / name).read_text(encoding="utf-8")


def render(name: str, **values: str) -> str:
    """Fill {placeholders} in a prompt file; unknown braces are left alone."""
    text = load(name)
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text
