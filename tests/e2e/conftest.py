"""End-to-end helpers: the real CLI in a subprocess, a real git repo, the replay server over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent.testing.replay import ReplayServer
from tests.helpers_calc import *  # noqa: F403 - the e2e tests import the builders from here
from tests.helpers_calc import CALC, CALC_TESTS
from tests.helpers_git import make_repo


def user_env(**extra: str) -> dict[str, str]:
    """The person's environment: our interpreter's `python` first on PATH, a dummy key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENT_", "OPENAI_", "GIT_"))}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["OPENAI_API_KEY"] = "test-key"
    env.update(extra)
    return env


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def events(self) -> list[dict]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.startswith("{")]

    def of_type(self, type_: str) -> list[dict]:
        return [e for e in self.events if e["type"] == type_]

    @property
    def result(self) -> dict:
        finished = self.of_type("session_finished")
        assert finished, f"no result event; stderr:\n{self.stderr}"
        return finished[-1]


def agent_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "agent", *args]


def run_agent(repo: Path, server: ReplayServer | None, *args: str, env: dict | None = None,
              timeout: float = 120, stdin=subprocess.DEVNULL) -> Run:
    extra = ["--base-url", server.base_url, "--model", "replay"] if server else []
    proc = subprocess.run(agent_cmd(*args, *extra) if args and args[0] == "run" else agent_cmd(*args),
                          cwd=repo, env=env or user_env(), capture_output=True, text=True, timeout=timeout,
                          stdin=stdin)
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def calc_repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path, {"calc.py": CALC, "tests/test_calc.py": CALC_TESTS,
                                "pyproject.toml": "[project]\nname='calc'\nversion='0'\n"})


