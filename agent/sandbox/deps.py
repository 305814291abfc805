"""Dependencies a step adds: installed into the session's own environment, inside the sandbox.

Before each test run, the dependency manifests in the worktree are compared with what they were
when the session started (or at the last install). What a step added is installed:

    Python  requirement lines added to requirements*.txt, `[project] dependencies`, the optional
            groups and dependency groups tests use: `pip install --target <session>/sandbox/env/python`,
            which the test runs get on PYTHONPATH after the worktree's own source
    Node    a changed package.json: `npm install` in the worktree (its own node_modules)

The install runs in the sandbox with network (`install_network = true`, the default) and pip's
and npm's own index settings (PIP_*/npm_config_* variables, pip.conf, .npmrc shown read-only).
The person's own environment is never modified. A trusted `setup_command` replaces the detection:
it runs (in the sandbox, with PIP_TARGET set to the session's environment) when a manifest changes.
"""

from __future__ import annotations

import os
import re
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from agent.testsuite.process import run_group

INSTALL_TIMEOUT = 600.0
_TEST_GROUPS = {"test", "tests", "testing", "dev", "develop", "development", "check", "ci"}
_INDEX_VARS = re.compile(r"^(PIP_|npm_config_|NPM_CONFIG_)", re.I)
_CONFIG_FILES = (".config/pip", ".pip", ".npmrc", ".config/uv")


@dataclass
class Installed:
    ok: bool
    manager: str
    packages: list[str] = field(default_factory=list)
    message: str = ""
    output: str = ""

    def as_result(self, shown: str, duration: float):
        from agent.testsuite.result import TestResult

        report = f"installing the dependencies this step added failed ({self.manager}): {self.message}"
        return TestResult(False, None, duration, False, shown, report=report + "\n" + self.output[-3000:],
                          output=self.output)


class Dependencies:
    def __init__(self, root: Path, sandbox, emit, *, setup_command=None, timeout: float = INSTALL_TIMEOUT):
        self.root = Path(root)
        self.sandbox = sandbox
        self.emit = emit
        self.setup_command = setup_command
        self.timeout = timeout
        self.site = Path(sandbox.env_dir) / "python"
        self._seen = self.snapshot()

    def snapshot(self) -> dict[str, str]:
        files = {}
        for pattern in ("requirements*.txt", "requirements/*.txt", "pyproject.toml", "package.json"):
            for path in sorted(self.root.glob(pattern)):
                try:
                    files[path.relative_to(self.root).as_posix()] = path.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    continue
        return files

    def ensure(self, runner) -> Installed | None:
        """Install what the manifests gained since last time; None when nothing changed."""
        now = self.snapshot()
        before, self._seen = self._seen, now
        if now == before:
            return None
        if self.setup_command:
            return self._run("setup_command", _argv(self.setup_command), [])
        outcome = None
        added = sorted(python_requirements(now) - python_requirements(before))
        if added:
            bad = [r for r in added if not _is_requirement(r)]
            if bad:
                return self._report(Installed(False, "pip", message=f"not a requirement: {bad[0]!r}"))
            python = runner.argv[0] if runner.kind == "pytest" else (shutil.which("python3") or "python3")
            argv = [python, "-I", "-m", "pip", "install", "--target", str(self.site), "--upgrade", "--no-input",
                    "--disable-pip-version-check", "--no-warn-script-location", "--", *added]
            outcome = self._run("pip", argv, added)
            if not outcome.ok:
                return outcome
        if now.get("package.json") != before.get("package.json") and "package.json" in now:
            outcome = self._run("npm", ["npm", "install", "--no-audit", "--no-fund"], [])
        return outcome

    def _run(self, manager: str, argv: list[str], wanted: list[str]) -> Installed:
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL") or _INDEX_VARS.match(k)}
        env["PIP_TARGET"] = str(self.site)
        if manager == "setup_command":
            env["AGENT_ENV_DIR"] = str(self.sandbox.env_dir)
        self.site.mkdir(parents=True, exist_ok=True)
        network = self.sandbox.settings.install_network
        home = Path(os.path.expanduser("~"))
        wrapped, wenv = self.sandbox.wrap(argv, cwd=self.root, env=env, network=network)
        wenv.update({k: v for k, v in env.items() if _INDEX_VARS.match(k)})  # the index settings, as they are
        wrapped = _show_configs(wrapped, home)
        before = _dists(self.site)
        code, timed_out, output = run_group(wrapped, self.root, wenv, self.timeout)
        packages = sorted(_dists(self.site) - before) if manager != "npm" else []
        ok = code == 0 and not timed_out
        message = "" if ok else (f"timed out after {self.timeout:g}s" if timed_out else f"exit code {code}")
        return self._report(Installed(ok, manager, packages or wanted, message, output))

    def _report(self, outcome: Installed) -> Installed:
        self.emit("dependencies_installed", manager=outcome.manager, ok=outcome.ok, packages=outcome.packages,
                  message=outcome.message, output=outcome.output[-2000:] if not outcome.ok else "")
        return outcome


def python_requirements(files: dict[str, str]) -> set[str]:
    """Requirement strings of every Python manifest (normalised spacing)."""
    reqs: set[str] = set()
    for name, text in files.items():
        if name.endswith(".txt"):
            for line in text.splitlines():
                line = line.split(" #", 1)[0].strip()
                if line and not line.startswith(("#", "-")):
                    reqs.add(" ".join(line.split()))
        elif name == "pyproject.toml":
            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError:
                continue
            project = data.get("project") or {}
            groups = [project.get("dependencies") or []]
            groups += [v for k, v in (project.get("optional-dependencies") or {}).items() if k.lower() in _TEST_GROUPS]
            groups += [v for k, v in (data.get("dependency-groups") or {}).items() if k.lower() in _TEST_GROUPS]
            for group in groups:
                reqs |= {" ".join(r.split()) for r in group if isinstance(r, str)}
    return reqs


def _is_requirement(text: str) -> bool:
    if text.startswith("-"):
        return False
    try:
        from packaging.requirements import InvalidRequirement, Requirement
    except ImportError:  # pragma: no cover - packaging comes with pytest
        return bool(re.match(r"^[A-Za-z0-9][A-Za-z0-9._\-\[\], ]*([<>=!~]=?[^;]*)?(;.*)?$", text))
    try:
        Requirement(text)
    except InvalidRequirement:
        return False
    return True


def _dists(site: Path) -> set[str]:
    out = set()
    for info in site.glob("*.dist-info"):
        name, _, version = info.name[: -len(".dist-info")].partition("-")
        out.add(f"{name}=={version}")
    return out


def _argv(command) -> list[str]:
    from agent.testsuite.selectors import split_command

    return split_command(command)[0]


def _show_configs(wrapped: list[str], home: Path) -> list[str]:
    """pip's and npm's config files from the person's $HOME, read-only in the sandbox's empty one."""
    if not wrapped or Path(wrapped[0]).name != "bwrap" or "--" not in wrapped:
        return wrapped
    binds = []
    for rel in _CONFIG_FILES:
        path = home / rel
        if path.exists():
            binds += ["--ro-bind", str(path), str(path)]
    cut = wrapped.index("--chdir")
    return wrapped[:cut] + binds + wrapped[cut:]
