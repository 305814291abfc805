"""Big diffs: a size limit with a clear message, and time linear in the diff (5 MB in seconds)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from agent.patch import apply_patch


def _module(n: int) -> list[str]:
    out: list[str] = []
    for i in range(n):
        out += [f"def func_{i}(x):", f"    return x + {i}", ""]
    return out


def _new_file_diff(n: int) -> str:
    body = _module(n)
    return f"--- /dev/null\n+++ b/big.py\n@@ -0,0 +1,{len(body)} @@\n" + "".join(f"+{ln}\n" for ln in body)


def _multi_hunk_edit(n: int) -> tuple[str, str, str]:
    """(before, after, diff): every other function's body changed, one hunk each."""
    before = _module(n)
    after = list(before)
    out = ["--- a/big.py\n", "+++ b/big.py\n"]
    for i in range(0, n, 2):
        after[3 * i + 1] = f"    return x + {i} + 1"
        out.append(f"@@ -{3 * i + 1},3 +{3 * i + 1},3 @@\n def func_{i}(x):\n-    return x + {i}\n"
                   f"+    return x + {i} + 1\n \n")
    return "\n".join(before) + "\n", "\n".join(after) + "\n", "".join(out)


def test_a_diff_over_the_limit_is_refused_with_its_size_and_changes_nothing(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    diff = "--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n" + "# padding\n" * 2000
    result = apply_patch(tmp_path, diff, max_bytes=10_000)
    assert not result.ok
    assert "over the 9.8 KB limit" in result.error
    assert "the diff is 19.6 KB" in result.error and "smaller diffs" in result.error
    assert (tmp_path / "a.py").read_text() == "x = 1\n"
    assert apply_patch(tmp_path, diff, max_bytes=1_000_000).ok  # the same diff under a higher limit


def test_time_grows_linearly_with_the_diff(tmp_path):
    """Ratio of two sizes in one run (no absolute timing): 4x the hunks must not cost 16x."""
    times = []
    for n in (1500, 6000):
        root = tmp_path / str(n)
        root.mkdir()
        before, after, diff = _multi_hunk_edit(n)
        (root / "big.py").write_text(before)
        t = time.process_time()
        result = apply_patch(root, diff, syntax_check=False)
        times.append(time.process_time() - t)
        assert result.ok and (root / "big.py").read_text() == after
    assert times[1] < 9 * max(times[0], 0.01), times


@pytest.mark.slow
def test_five_mb_new_file_and_five_mb_multi_hunk_edit(tmp_path):
    diff = _new_file_diff(140_000)
    assert len(diff) > 5_000_000
    result = apply_patch(tmp_path, diff)
    assert result.ok, result.render()[:2000]
    assert (tmp_path / "big.py").read_text().count("def func_") == 140_000

    root = tmp_path / "edit"
    root.mkdir()
    before, after, diff = _multi_hunk_edit(100_000)
    assert len(diff) > 4_500_000
    (root / "big.py").write_text(before)
    result = apply_patch(root, diff, syntax_check=False)
    assert result.ok, result.render()[:2000]
    assert (root / "big.py").read_text() == after


@pytest.mark.slow
def test_five_mb_diff_through_the_cli(tmp_path):
    before, after, diff = _multi_hunk_edit(100_000)
    (tmp_path / "big.py").write_text(before)
    (tmp_path / "big.diff").write_text(diff)
    proc = subprocess.run([sys.executable, "-m", "agent", "patch", "apply", "big.diff", "--no-syntax-check"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert (tmp_path / "big.py").read_text() == after
    small = subprocess.run([sys.executable, "-m", "agent", "patch", "apply", "big.diff", "--max-diff-mb", "1"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert small.returncode == 1 and "limit" in small.stdout
