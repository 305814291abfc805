"""docs/configuration.md lists every setting, with whether it needs trust, as the code says."""

from __future__ import annotations

import re
from pathlib import Path

from agent.config.schema import SETTINGS
from agent.config.trust import NEEDS_TRUST, needs_trust

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
ROW = re.compile(r"^\| `([a-z_]+)` \| (.*?) \| (yes|no|partly: [^|]+) \| (.*) \|$")


def rows() -> dict[str, str]:
    return {m.group(1): m.group(3) for line in DOC.read_text().splitlines() if (m := ROW.match(line))}


def expected_trust(name: str) -> str:
    if needs_trust(name):
        return "yes"
    below = sorted(p.split(".")[-1] for p in NEEDS_TRUST if p.startswith(name + "."))
    return "partly: " + ", ".join(f"`{b}`" for b in below) if below else "no"


def test_every_setting_has_a_row_and_no_row_is_stale():
    assert sorted(rows()) == sorted(SETTINGS)


def test_the_trust_column_matches_the_code():
    documented = rows()
    assert {name: documented[name] for name in SETTINGS} == {name: expected_trust(name) for name in SETTINGS}


def test_readme_links_the_configuration_doc():
    readme = (DOC.parents[1] / "README.md").read_text()
    assert "docs/configuration.md" in readme


def test_every_environment_variable_is_documented():
    from agent.config import ENV_VARS

    text = DOC.read_text()
    assert [var for var in ENV_VARS if f"`{var}`" not in text] == []
