"""Fixtures shared by every test folder."""

from __future__ import annotations

import os

# Every event our code emits in tests (in process and in the CLI subprocesses, which inherit
# this) must carry only the fields agent.events.EVENT_TYPES documents. Set before agent imports.
os.environ.setdefault("AGENT_STRICT_EVENTS", "1")

import pytest  # noqa: E402

from tests.helpers_loop import person_path, run_loop  # noqa: E402


@pytest.fixture
def loop_run(monkeypatch):
    """Run a session in process with a scripted model (see tests/helpers_loop.py)."""
    monkeypatch.setenv("PATH", person_path())
    return run_loop


def pytest_configure(config):
    # The projects our tests create run their own pytest in child processes. This interpreter's
    # installed plugins (hypothesis alone costs over a second per start) are nothing those
    # projects asked for: keep the children to pytest itself. Our own run has loaded its
    # plugins already, so only the children see this.
    import os

    os.environ.setdefault("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    # A suite started in the background (`cmd &` in a script) inherits SIGINT ignored, and so would
    # every agent it starts: the Ctrl-C tests could then never see one. Restore the default, which
    # children inherit as the normal disposition.
    import signal

    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _hypothesis_profiles() -> None:
    """CI draws the same examples every run (derandomize): a red CI is reproducible, never luck.
    Locally examples stay random, which is how new cases are found."""
    from hypothesis import settings

    settings.register_profile("ci", derandomize=True, print_blob=True)
    if os.environ.get("CI"):
        settings.load_profile("ci")


_hypothesis_profiles()
