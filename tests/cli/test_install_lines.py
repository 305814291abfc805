"""Every install line in README.md and docs/ installs this project (issue 12, item 2): from a
checkout, a wheel we built, or by our distribution name, never PyPI's unrelated `agent`."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INSTALL = re.compile(r"\b(?:pipx|uv tool|uv pip|pip3?|python3? -m pip) install\b([^#&;|`\n]*)")
REQUIREMENT = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[(?P<extras>[^\]]*)\])?(?P<rest>.*)", re.S)


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def install_lines() -> list[tuple[str, str]]:
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return [(f"{path.name}: {m.group(0).strip()}", m.group(1)) for path in docs
            for m in INSTALL.finditer(path.read_text(encoding="utf-8"))]


def problem(spec: str, name: str, extras: set[str]) -> str | None:
    """Why `spec` (one argument of an install command) would not install this project, if so."""
    if spec.startswith(("./", "/", "dist/")) or spec == "." or spec.startswith(".["):
        wanted = set(re.findall(r"\[([^\]]*)\]", spec)[0].split(",")) if "[" in spec else set()
        if spec.endswith(".whl") and not Path(spec).name.startswith(name.replace("-", "_") + "-"):
            return f"a wheel not named after {name}"
        return f"unknown extra(s) {sorted(wanted - extras)}" if wanted - extras else None
    if spec.startswith(("git+", "http:", "https:")):
        return f"a URL without `{name} @` in front (pip cannot check what it installs)"
    m = REQUIREMENT.fullmatch(spec)
    if m is None or normalised(m["name"]) != normalised(name):
        return f"installs {spec!r}, not {name}"
    wanted = {e.strip() for e in (m["extras"] or "").split(",") if e.strip()}
    return f"unknown extra(s) {sorted(wanted - extras)}" if wanted - extras else None


def test_every_install_line_in_the_docs_installs_this_project():
    meta = project()
    name, extras = meta["name"], set(meta.get("optional-dependencies", {}))
    lines = install_lines()
    assert len(lines) >= 5  # README's quick start, everyday install, dev setup; the CI workflow
    problems = []
    for where, args in lines:
        specs = [a for a in shlex.split(args) if not a.startswith("-")]
        assert specs, f"{where}: nothing to install"
        problems += [f"{where}: {why}" for spec in specs if (why := problem(spec, name, extras))]
    assert problems == []


def test_the_distribution_is_not_pypis_agent_and_the_command_is_agent():
    meta = project()
    assert normalised(meta["name"]) != "agent"
    assert meta["scripts"] == {"agent": "agent.cli.app:main"}


def test_the_checker_catches_what_the_issue_found():
    extras = {"azure", "dev"}
    assert problem("agent", "worktree-agent", extras)
    assert problem("agent[azure]", "worktree-agent", extras)
    assert problem("git+https://github.com/org/agent", "worktree-agent", extras)
    assert problem(".[gpu]", "worktree-agent", extras)
    assert problem("worktree-agent[azure]", "worktree-agent", extras) is None
    assert problem("worktree_agent @ git+https://x/y", "worktree-agent", extras) is None
