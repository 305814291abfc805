"""`agent patch apply` end to end, in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import MODULE, udiff


def run(args, cwd, stdin=None):
    return subprocess.run([sys.executable, "-m", "agent", "patch", "apply", *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, timeout=60)


def test_applies_from_file_and_reports_levels(repo):
    diff = udiff(MODULE, MODULE.replace("import os\n", "import io\n")).replace("@@ -1,4 +1,4 @@", "@@ @@")
    (repo / "change.diff").write_text(diff)
    proc = run(["change.diff"], repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "mod.py" in proc.stdout and "applied" in proc.stdout
    assert (repo / "mod.py").read_text().startswith("import io\n")


def test_stdin_json_and_root(repo, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("cwd")
    diff = udiff(MODULE, MODULE.replace("import sys\n", "import json\n"))
    proc = run(["-", "--root", str(repo), "--json"], elsewhere, stdin=diff)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    assert data["ok"] and data["changed_paths"] == ["mod.py"]


def test_check_changes_nothing(repo):
    diff = udiff(MODULE, MODULE.replace("import sys\n", "import json\n"))
    proc = run(["-", "--check"], repo, stdin=diff)
    assert proc.returncode == 0
    assert (repo / "mod.py").read_text() == MODULE


def test_failure_exits_nonzero_and_changes_nothing(repo):
    (repo / "b.txt").write_text("x\n")
    diff = udiff("x\n", "y\n", "b.txt") + "--- a/mod.py\n+++ b/mod.py\n@@ -1 +1 @@\n-import nothing\n+import x\n"
    proc = run(["-"], repo, stdin=diff)
    assert proc.returncode == 1
    assert "REJECTED" in proc.stdout
    assert (repo / "b.txt").read_text() == "x\n"


def test_no_syntax_check_flag(repo):
    diff = udiff(MODULE, MODULE.replace("import os\n", "import (\n"))
    assert run(["-"], repo, stdin=diff).returncode == 1
    proc = run(["-", "--no-syntax-check"], repo, stdin=diff)
    assert proc.returncode == 0, proc.stdout
