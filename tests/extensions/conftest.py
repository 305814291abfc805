"""MCP servers and hooks in tests: the fixture server (a real stdio MCP server written with the
SDK) and hook scripts written to the test's tmp directory."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.helpers_calc import CALC, CALC_TESTS
from tests.helpers_git import make_repo

FIXTURE_SERVER = str(Path(__file__).with_name("mcp_fixture_server.py"))
PROJECT = {"calc.py": CALC, "tests/test_calc.py": CALC_TESTS, "pyproject.toml": "[project]\nname='calc'\nversion='0'\n"}


def server(mode: str = "normal", **settings) -> dict:
    """One mcp_servers entry running the fixture server in MODE."""
    return {"command": sys.executable, "args": [FIXTURE_SERVER, mode], **settings}


@pytest.fixture
def calc_repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path, PROJECT)


HOOK_HEAD = "import json, sys\npayload = json.load(sys.stdin)\n"


def hook_script(tmp_path: Path, name: str, body: str) -> list[str]:
    """A Python hook outside the repository; `payload` is the JSON object it got on stdin. (Only
    for hooks with sandbox = false: the sandbox's /tmp is private.)"""
    path = tmp_path / f"{name}.py"
    path.write_text(HOOK_HEAD + body)
    return [sys.executable, str(path)]


def repo_with_hooks(tmp_path: Path, **bodies: str) -> tuple[Path, dict[str, list[str]]]:
    """The calc project with Python hooks committed under .hooks/ (so they are in the worktree,
    where hooks run, sandboxed); returns the repo and each hook's command."""
    files = {**PROJECT, **{f".hooks/{name}.py": HOOK_HEAD + body for name, body in bodies.items()}}
    return make_repo(tmp_path, files), {name: [sys.executable, f".hooks/{name}.py"] for name in bodies}
