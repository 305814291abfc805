"""read_file on a 1 GB file under a memory limit: streamed, never loaded (issue 11, item 3)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.helpers_git import make_repo

CHILD = textwrap.dedent('''
    import resource, sys
    from pathlib import Path
    from agent.workspace import files
    limit = 400 * 2**20  # far below the file: loading it whole cannot fit
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    root = Path(sys.argv[1])
    print(files.read_file(root, "huge.log", None, 3))
    print("---")
    print(files.read_file(root, "huge.log", 1000, 1001))
''')


def test_a_1_gb_sparse_file_is_read_under_a_400_mb_memory_limit(tmp_path):
    repo = make_repo(tmp_path, {"README.md": "hi\n"})
    huge = repo / "huge.log"
    with huge.open("wb") as fh:
        fh.write(b"".join(b"log line %d\n" % n for n in range(1, 2001)))
        fh.truncate(2**30)  # the rest is a hole: a 1 GB file that costs no disk
    proc = subprocess.run([sys.executable, "-c", CHILD, str(repo)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    first, ranged = proc.stdout.split("---\n")
    assert first.splitlines()[:3] == ["   1| log line 1", "   2| log line 2", "   3| log line 3"]
    assert "of ? (the file is 1073.7 MB; not counted)" in first
    assert ranged.splitlines()[:2] == ["1000| log line 1000", "1001| log line 1001"]


def test_an_enormous_single_line_is_cut_not_loaded(tmp_path):
    from agent.workspace import files

    repo = make_repo(tmp_path, {"README.md": "hi\n"})
    (repo / "min.js").write_text("x" * 5_000_000 + "\nsecond\n")
    text = files.read_file(repo, "min.js")
    first, second = text.splitlines()[:2]
    assert first.endswith(f"… [{5_000_000 - files.MAX_LINE_CHARS} more characters]")
    assert second == "   2| second"
