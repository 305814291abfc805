import sys
from pathlib import Path

import pytest

# `from tests.helpers_git import ...` under plain `pytest` too (`python -m pytest` adds the cwd).
ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


@pytest.fixture(autouse=True)
def _fast_inner_pytest(monkeypatch):
    # The suites we run are plain pytest; skipping the machine's plugins makes each run ~1 s faster.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
