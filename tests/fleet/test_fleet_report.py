"""What a person sees of a fleet: the live table on a terminal, the Markdown report, exit codes."""

from __future__ import annotations

import json
import sys

import pexpect

from tests.sessions.conftest import cli, user_env


def test_a_terminal_gets_a_live_table_and_a_task_that_cannot_start_is_a_usage_error(tmp_path):
    (tmp_path / "plain").mkdir()  # no git repository: the task ends before any session, exit 2
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps({"intent": "x", "repo": "plain", "id": "no-repo"}) + "\n")
    child = pexpect.spawn(sys.executable, ["-m", "agent", "batch", str(tasks), "--fleet-dir", str(tmp_path / "f")],
                          cwd=str(tmp_path), env=user_env(), encoding="utf-8", timeout=60, dimensions=(40, 160))
    child.expect(r"fleet: 0 done, 0 running, 1 not done, 0 waiting")
    child.expect("usage_error")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    line = json.loads((tmp_path / "f" / "status" / "1.json").read_text())
    assert (line["id"], line["status"], line["exit_code"]) == ("no-repo", "usage_error", 2)


def test_summary_md_counts_statuses_and_lists_each_task(tmp_path):
    (tmp_path / "plain").mkdir()
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("".join(json.dumps({"intent": "x", "repo": "plain", "id": f"r{n}"}) + "\n" for n in (1, 2)))
    run = cli(tmp_path, "batch", str(tasks), "--summary-md", str(tmp_path / "s.md"), "--fleet-dir", str(tmp_path / "f"))
    assert run.returncode == 1
    summary = (tmp_path / "s.md").read_text()
    assert "0/2 done" in summary and "2 usage_error" in summary
    assert summary.count("| usage_error | 2 |") == 2 and "| r1 |" in summary and "| r2 |" in summary
