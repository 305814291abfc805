"""What the sandbox adds to a test run: a 20-test pytest suite run through TestRunner many times,
sandboxed (bubblewrap) and unsandboxed, interleaved; medians, ratio and milliseconds.

    python bench/sandbox_bench.py [--runs 30] [--out bench/results/sandbox.md]

Target (issue 9): under 5% or under 50 ms per run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.sandbox import make_sandbox  # noqa: E402
from agent.testsuite.runner import TestRunner  # noqa: E402

SUITE = "".join(f"def test_{i}(tmp_path):\n    (tmp_path / 'f').write_text('{i}')\n    assert {i} + 1 == {i + 1}\n\n"
                for i in range(20))


def make_project(root: Path) -> Path:
    repo = root / "repo"
    (repo / "tests").mkdir(parents=True)
    (repo / "pyproject.toml").write_text("[project]\nname='b'\nversion='0'\n")
    (repo / "tests" / "test_suite.py").write_text(SUITE)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--out", type=Path)
    opts = parser.parse_args()
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    os.environ.setdefault("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_project(Path(tmp))
        session = repo / ".git" / "agent" / "sessions" / "bench"
        sandbox = make_sandbox(None, worktree=repo, session_dir=session, repo_root=repo, git_common_dir=repo / ".git")
        plain = TestRunner(repo, timeout=120)
        boxed = TestRunner(repo, timeout=120, sandbox=sandbox)
        for runner in (plain, boxed):  # warm the page cache and check both pass
            result = runner.run()
            assert result.passed and result.counts.get("passed") == 20, result.report
        times: dict[str, list[float]] = {"off": [], "bwrap": []}
        for _ in range(opts.runs):
            for name, runner in (("off", plain), ("bwrap", boxed)):
                start = time.perf_counter()
                result = runner.run()
                times[name].append(time.perf_counter() - start)
                assert result.passed, result.report
        wrap_cost, bare = [], {"off": [], "bwrap": []}
        for _ in range(200):
            start = time.perf_counter()
            sandbox.wrap(plain.argv, cwd=repo, env=dict(os.environ))
            wrap_cost.append(time.perf_counter() - start)
        for _ in range(60):  # the fixed cost alone: `true`, sandboxed and not
            for name in ("off", "bwrap"):
                argv, env = (["true"], dict(os.environ)) if name == "off" else sandbox.wrap(
                    ["true"], cwd=repo, env=dict(os.environ))
                start = time.perf_counter()
                subprocess.run(argv, env=env, cwd=repo, check=True)
                bare[name].append(time.perf_counter() - start)
    off, box = statistics.median(times["off"]), statistics.median(times["bwrap"])
    lines = [
        "# Sandbox cost per test run",
        "",
        f"`python bench/sandbox_bench.py --runs {opts.runs}`: a 20-test pytest suite (tmp_path in every test) "
        f"through TestRunner, {opts.runs} runs each, interleaved; bubblewrap "
        f"{subprocess.run(['bwrap', '--version'], capture_output=True, text=True).stdout.strip()}, "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs (shared).",
        "",
        "| | median | min | max |",
        "| --- | --- | --- | --- |",
        f"| unsandboxed | {off * 1000:.0f} ms | {min(times['off']) * 1000:.0f} ms | {max(times['off']) * 1000:.0f} ms |",
        f"| bubblewrap | {box * 1000:.0f} ms | {min(times['bwrap']) * 1000:.0f} ms | {max(times['bwrap']) * 1000:.0f} ms |",
        "",
        f"Sandbox adds **{(box - off) * 1000:+.0f} ms** per run (median), a ratio of **{box / off:.3f}** "
        f"({(box / off - 1) * 100:+.1f}%); building the bwrap argv: {statistics.median(wrap_cost) * 1e6:.0f} µs.",
        f"Starting a sandbox at all (`true`, 60 runs each): {statistics.median(bare['off']) * 1000:.1f} ms unsandboxed, "
        f"{statistics.median(bare['bwrap']) * 1000:.1f} ms in bubblewrap: "
        f"**{(statistics.median(bare['bwrap']) - statistics.median(bare['off'])) * 1000:+.1f} ms** fixed cost.",
        "The suite can run faster sandboxed: its /tmp (pytest's tmp_path) is a tmpfs there. The machine was shared "
        "(`uptime` when this ran: " + os.popen("uptime").read().strip() + ").",
        "",
        "Target: under 5% or under 50 ms per run: " + ("met." if (box - off) < 0.050 or box / off < 1.05 else "NOT met."),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if opts.out:
        opts.out.write_text(text)


if __name__ == "__main__":
    main()
