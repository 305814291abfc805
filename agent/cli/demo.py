"""`agent demo`: the real loop on a sample repository, with a scripted model on 127.0.0.1.

The sample (fixtures/demo/repo) is an auth module with MD5 password hashing and tests; the script
(fixtures/demo/session.json) migrates it to argon2 in two steps, the first of which fails a test
on its first attempt. The agent reaches the replay server through the ordinary openai SDK, so
the demo runs exactly the production code path, offline and without a key.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agent.core.prompts import data_dir


@contextmanager
def demo_session(keep: bool = False) -> Iterator[tuple]:
    from agent.config import load_config
    from agent.model import build_model
    from agent.testing.replay import ReplayServer
    from agent.workspace import Repo
    from agent.workspace.git import run_git as _git

    fixtures = data_dir("fixtures") / "demo"
    tmp = Path(tempfile.mkdtemp(prefix="agent-demo-"))
    root = tmp / "demo-auth"
    shutil.copytree(fixtures / "repo", root)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "-c", "user.name=Demo", "-c", "user.email=demo@example.com", "add", "-A")
    _git(root, "-c", "user.name=Demo", "-c", "user.email=demo@example.com", "commit", "-qm", "Demo auth module")
    _git(root, "config", "user.name", "Demo")
    _git(root, "config", "user.email", "demo@example.com")
    try:
        with ReplayServer(fixtures / "session.json") as server:
            # The demo project is ours and its dependencies (pytest, argon2-cffi) come with agent,
            # so its tests run with the interpreter agent is installed in.
            config = load_config(root, {
                "base_url": server.base_url,
                "model": "replay",
                "prices": {"replay": {"input": 0, "cached_input": 0, "output": 0}},  # free, not "unknown"
                "test_command": f"{shlex.quote(sys.executable)} -m pytest -q -p no:cacheprovider",
            }, env={"OPENAI_API_KEY": "replay"}, user_config=Path(os.devnull))  # the demo is the same for everyone
            print(f"demo repository: {root}\n"
                  f"scripted model on {server.base_url}: not a real model, a recorded script. It cannot follow\n"
                  "what you type: at [f]eedback it says so and answers with the same plan or step.", file=sys.stderr)
            yield Repo.find(root), config, build_model
    finally:
        if keep:
            print(f"kept the demo repository at {root}: cd there to try `agent show`, `agent apply`", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
            print("removed the demo repository (run `agent demo --keep` to keep it and try `agent apply`)",
                  file=sys.stderr)
