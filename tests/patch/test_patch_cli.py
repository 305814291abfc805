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


def test_every_edit_format_through_the_cli(repo):
    shown = __import__("agent.workspace.files", fromlist=["read_file"]).read_file(repo, "mod.py", 1, 3).split("\n")
    texts = {
        "envelope.txt": ("*** Begin Patch\n*** Update File: mod.py\n@@\n-import os\n+import io\n"
                         "*** Add File: extra.py\n+EXTRA = 1\n*** End Patch\n"),
        "blocks.txt": "mod.py\n```\n<<<<<<< SEARCH\nimport sys\n=======\nimport json\n>>>>>>> REPLACE\n```\n",
        "numbered.diff": f"--- a/mod.py\n+++ b/mod.py\n@@ @@\n {shown[0]}\n+import re\n {shown[1]}\n",
    }
    for name, text in texts.items():
        (repo / name).write_text(text)
    for name in ("numbered.diff", "envelope.txt", "blocks.txt"):  # numbers as read before any edit
        proc = run([name, "--json"], repo)
        assert proc.returncode == 0, name + proc.stdout + proc.stderr
        assert json.loads(proc.stdout)["ok"]
    now = (repo / "mod.py").read_text()
    assert now.startswith("import io\nimport re\nimport json\n\n") and (repo / "extra.py").exists()


def test_a_damaged_block_is_refused_by_the_cli_and_changes_nothing(repo):
    (repo / "bad.txt").write_text("mod.py\n<<<<<<< SEARCH\nimport nothing_like_this\n=======\nimport x\n"
                                  ">>>>>>> REPLACE\n*** Begin Patch\n*** Delete File: mod.py\n*** End Patch\n")
    before = (repo / "mod.py").read_text()
    proc = run(["bad.txt"], repo)
    assert proc.returncode == 1 and "no match" in proc.stdout
    assert (repo / "mod.py").read_text() == before
