"""The exit codes are one documented list: agent.errors.EXIT_CODES, the README's table and the
error hierarchy agree."""

from __future__ import annotations

import re
from pathlib import Path

from agent import errors

ROOT = Path(__file__).resolve().parent.parent


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_error_maps_to_a_documented_exit_code():
    codes = {cls.__name__: cls.exit_code for cls in [errors.AgentError, *_subclasses(errors.AgentError)]}
    assert {name: code for name, code in codes.items() if code not in errors.EXIT_CODES} == {}


def test_the_readme_table_lists_exactly_the_exit_codes():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("### Exit codes"):]
    listed = [int(n) for n in re.findall(r"^\| (\d+) \|", table, re.M)]
    assert sorted(listed) == sorted(errors.EXIT_CODES)
