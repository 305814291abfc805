"""TestRunner process handling: timeouts and Ctrl-C kill the whole process group, and the tests
run in the person's environment against the worktree's code."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from agent.testsuite import process as testprocess
from agent.testsuite.runner import TestRunner
from agent.workspace import Repo
from tests.helpers_git import make_repo, write_files

# A test that starts a sleeping child, records both pids, then sleeps itself.
SLEEPY_TEST = (
    "import os, subprocess, time\n"
    "def test_sleeps():\n"
    "    child = subprocess.Popen(['sleep', '60'])\n"
    "    with open('pids.txt', 'w') as fh:\n"
    "        fh.write(f'{os.getpid()} {child.pid}')\n"
    "    time.sleep(60)\n"
)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie waiting for a (container) init to reap it is dead


def wait_for_pids(path: Path) -> list[int]:
    for _ in range(200):
        if path.exists() and len(path.read_text().split()) == 2:
            return [int(p) for p in path.read_text().split()]
        time.sleep(0.05)
    raise AssertionError("the test suite never started")


def assert_gone(pids: list[int]) -> None:
    deadline = time.monotonic() + 5
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p for p in pids if alive(p)]


def test_timeout_kills_the_test_process_and_its_children(tmp_path):
    root = tmp_path / "proj"
    write_files(root, {"pyproject.toml": "", "test_sleepy.py": SLEEPY_TEST})
    start = time.monotonic()
    result = TestRunner(root, timeout=2.0).run()
    assert time.monotonic() - start < 10
    assert result.timed_out and not result.passed and result.exit_code is None
    assert result.summary() == "timed out after 2s"
    assert "timed out after 2s" in result.report
    assert_gone(wait_for_pids(root / "pids.txt"))


def test_processes_ignoring_sigterm_are_killed(tmp_path, monkeypatch):
    monkeypatch.setattr(testprocess, "TERM_GRACE", 0.5)
    root = tmp_path / "proj"
    root.mkdir()
    command = "trap '' TERM; echo started; sleep 60 & echo \"$$ $!\" > pids.txt; wait"
    result = TestRunner(root, command=command, timeout=1.0).run()
    assert result.timed_out and "started" in result.output  # the output so far is kept
    assert_gone(wait_for_pids(root / "pids.txt"))


def test_ctrl_c_kills_the_group_and_propagates(tmp_path):
    root = tmp_path / "proj"
    write_files(root, {"pyproject.toml": "", "test_sleepy.py": SLEEPY_TEST})

    def interrupt():
        wait_for_pids(root / "pids.txt")
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        TestRunner(root, timeout=60).run()
    assert_gone(wait_for_pids(root / "pids.txt"))


def test_leftover_background_processes_do_not_hang_the_run(tmp_path):
    root = tmp_path / "proj"
    root.mkdir()
    start = time.monotonic()
    result = TestRunner(root, command="sleep 60 & echo \"$! $!\" > pids.txt; echo done").run()
    assert result.passed and result.output == "done\n" and time.monotonic() - start < 10
    assert_gone(wait_for_pids(root / "pids.txt"))


def _editable_install(venv_python: Path, project: Path) -> None:
    """`pip install -e`; without `wheel` (old setuptools needs it) fall back to `setup.py develop`."""
    pip = [str(venv_python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "-e", str(project)]
    if subprocess.run(pip, capture_output=True).returncode == 0:
        return
    develop = subprocess.run([str(venv_python), "setup.py", "-q", "develop"], cwd=project, capture_output=True)
    if develop.returncode != 0:
        pytest.skip(f"cannot make an editable install here: {develop.stderr.decode()[-300:]}")


def test_worktree_code_is_tested_not_the_editable_install_of_the_checkout(tmp_path, monkeypatch):
    pytest.importorskip("setuptools")
    main = make_repo(tmp_path, {
        "setup.py": "from setuptools import setup, find_packages\n"
                    "setup(name='mypkg', version='0.1', package_dir={'': 'src'}, packages=find_packages('src'))\n",
        "src/mypkg/__init__.py": "VALUE = 'main checkout'\n",
        "tests/test_value.py": "import mypkg\n\ndef test_value():\n    assert mypkg.VALUE == 'worktree', mypkg.__file__\n",
        ".gitignore": "*.egg-info/\n",
    })
    venv = tmp_path / "venv"
    # The person's venv: pytest from the system site-packages, the project installed editable.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    venv_python = venv / "bin" / "python"
    _editable_install(venv_python, main)
    where = subprocess.run([str(venv_python), "-c", "import mypkg; print(mypkg.__file__)"], cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(main)), "the editable install should point at the main checkout"

    ws = Repo.find(main).create_worktree("venv0001", "venv")
    write_files(ws.root, {"src/mypkg/__init__.py": "VALUE = 'worktree'\n"})
    monkeypatch.setenv("PATH", f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "elsewhere"))  # an existing PYTHONPATH is kept, last
    runner = TestRunner(ws.root)
    assert runner.command == "python -m pytest -q"
    assert runner.argv[0] == str(venv_python)  # the person's python, not the agent's sys.executable
    result = runner.run()
    assert result.passed, result.report
    assert result.counts == {"passed": 1}
    # And the main checkout, run the same way, really does see its own code.
    assert not TestRunner(main).run().passed
