"""Prompt texts live as files in prompts/ (shipped inside the wheel as agent/_data/prompts)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


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
    """Fill {placeholders} in a prompt file in one pass; unknown braces are left alone.

    One pass matters: a value (the person's intent, a test report, model text) may itself contain
    `{repo_map}` or `{feedback}`, and that text must reach the model as written, never expanded."""
    return fill(load(name), values)


def fill(template: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        return values[key] if key in values else match.group(0)

    return _PLACEHOLDER.sub(one, template)
