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


def hook_script(tmp_path: Path, name: str, body: str) -> list[str]:
    """A Python hook; `payload` is the JSON object it got on stdin."""
    path = tmp_path / f"{name}.py"
    path.write_text("import json, sys\npayload = json.load(sys.stdin)\n" + body)
    return [sys.executable, str(path)]
