import sys
from pathlib import Path

# `from tests.helpers_git import ...` under plain `pytest` too (`python -m pytest` adds the cwd).
ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
