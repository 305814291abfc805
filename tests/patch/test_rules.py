"""Table tests for the looser placement rules: each applies a case correctly and refuses a look-alike."""

from __future__ import annotations

import pytest

from agent.patch import apply_patch

from .conftest import udiff


def _run(tmp_path, before: str, diff: str, name: str = "m.txt"):
    (tmp_path / name).write_text(before)
    result = apply_patch(tmp_path, diff, syntax_check=False)
    return result, (tmp_path / name).read_text()


def _hdr(body: str, head: str = "@@ @@") -> str:
    return f"--- a/m.txt\n+++ b/m.txt\n{head}\n{body}"


LINES = [f"line {i}" for i in range(40)]


def _text(lines) -> str:
    return "\n".join(lines) + "\n"


# 1. A trimmed edge line found a little further on is harmless when a kept context line pins the change.
def test_trimmed_edge_line_nearby_is_fine_when_kept_context_pins_the_change(tmp_path):
    before = _text(LINES)
    # The model's last context line is "line 14", though the file has 12 and 13 first.
    diff = _hdr(" line 8\n line 9\n+new\n line 10\n line 11\n line 14\n")
    result, now = _run(tmp_path, before, diff)
    assert result.ok, result.render()
    assert now == _text([*LINES[:10], "new", *LINES[10:]])


def test_trimmed_edge_line_nearby_still_refused_when_it_was_the_only_context_on_that_side(tmp_path):
    before = _text(LINES)
    diff = _hdr(" line 7\n line 8\n line 9\n+new\n line 12\n")  # new after 9, or right before 12?
    result, now = _run(tmp_path, before, diff)
    assert not result.ok and now == before


# 2. Two matched lines around a line the hunk lost: enough only if one of them is unique in the file.
def test_lost_line_between_two_matched_lines_one_of_them_unique(tmp_path):
    before = "a = 1\n\nclass Hashable:\n    pass\n\nclass Other:\n    pass\n\n@define(unsafe_hash=True)\nclass Last:\n    pass\n"
    after = before + "\n\ndef test():\n    return 1\n"
    diff = udiff(before, after, "m.txt").replace(" class Last:\n", "")
    result, now = _run(tmp_path, before, diff)
    assert result.ok, result.render()
    assert now == after


def test_lost_line_between_two_common_lines_is_refused(tmp_path):
    before = "def a():\n    pass\n\ndef b():\n    x = 1\n    pass\n\ndef c():\n    pass\n"
    # "x = 1 / (lost line) / pass": both lines occur elsewhere, so the gap pattern is too weak.
    before = before.replace("def b():\n    x = 1\n", "def b():\n    x = 1\n    y = 2\n") + "\nx = 1\n"
    diff = _hdr("     x = 1\n     pass\n+    z = 3\n")
    result, now = _run(tmp_path, before, diff)
    assert not result.ok and now == before


# 3. The header breaks a tie even when the hunk lost (or gained) lines before its first line.
BLOCK = ["def f{}():", "    x = compute()", "    y = x + 1", "    return y", ""]
DUP = _text([ln.format(i) for i in range(3) for ln in BLOCK])


def test_header_tie_break_allows_for_a_lost_first_line(tmp_path):
    # Hunk lost "def f1():" (line 6): its header still says 6, the first line it has is line 7.
    diff = _hdr("     x = compute()\n-    y = x + 1\n+    y = x + 2\n     return y\n", "@@ -6,4 +6,4 @@")
    result, now = _run(tmp_path, DUP, diff)
    assert result.ok, result.render()
    assert now == DUP.replace("def f1():\n    x = compute()\n    y = x + 1", "def f1():\n    x = compute()\n    y = x + 2")


def test_header_tie_break_allows_for_a_hallucinated_first_line(tmp_path):
    diff = _hdr(" \n     x = compute()\n-    y = x + 1\n+    y = x + 2\n     return y\n", "@@ -7,3 +7,3 @@")
    result, now = _run(tmp_path, DUP, diff)
    assert result.ok, result.render()
    assert now == DUP.replace("def f1():\n    x = compute()\n    y = x + 1", "def f1():\n    x = compute()\n    y = x + 2")


@pytest.mark.parametrize("head", ["@@ -9,4 +9,4 @@", "@@ -20,4 +20,4 @@"])
def test_header_tie_break_still_refuses_when_it_points_elsewhere(tmp_path, head):
    # One line missing allows the header to be one line early, not two (-9), and not anywhere (-20).
    diff = _hdr("     x = compute()\n-    y = x + 1\n+    y = x + 2\n     return y\n", head)
    result, now = _run(tmp_path, DUP, diff)
    assert not result.ok and now == DUP


# 4. Added lines between blank context lines whose count differs from the file's: refused.
def test_added_lines_between_miscounted_blank_lines_are_refused(tmp_path):
    before = "import os\n\n\nclass A:\n    pass\n"
    diff = _hdr(" import os\n \n \n+X = 1\n \n class A:\n")  # three blanks in the hunk, two in the file
    result, now = _run(tmp_path, before, diff)
    assert not result.ok and now == before


def test_added_lines_after_blank_lines_pinned_by_the_next_line_apply(tmp_path):
    before = "import os\n\n\nclass A:\n    pass\n"
    diff = _hdr(" import os\n \n \n \n+X = 1\n class A:\n")  # a spurious blank, but X sits right before A
    result, now = _run(tmp_path, before, diff)
    assert result.ok, result.render()
    assert now == "import os\n\n\nX = 1\nclass A:\n    pass\n"


# 5. Added lines next to a run of blank lines: only the hunk's blank-line counts can place them.
TWO_BLANKS = "import os\n\n\ndef f():\n    pass\n"


def test_added_lines_in_a_blank_run_apply_when_the_hunk_shows_all_its_blank_lines(tmp_path):
    diff = _hdr(" import os\n \n+X = 1\n \n def f():\n")  # 1 + 1 blank lines = the file's 2
    result, now = _run(tmp_path, TWO_BLANKS, diff)
    assert result.ok, result.render()
    assert now == "import os\n\nX = 1\n\ndef f():\n    pass\n"


def test_added_lines_in_a_blank_run_refused_when_a_blank_line_may_be_lost_next_to_them(tmp_path):
    # The model meant "import os, blank, X, blank, def f" but lost the blank after X: the hunk
    # shows 1 blank line where the file has 2, and X touching "def f" proves nothing.
    diff = _hdr(" import os\n \n+X = 1\n def f():\n")
    result, now = _run(tmp_path, TWO_BLANKS, diff)
    assert not result.ok and now == TWO_BLANKS
    assert "blank line" in result.render() and "Include the blank lines" in result.render()


def test_replaced_blank_line_refused_when_the_other_blank_is_not_shown(tmp_path):
    # The failure the property test found: "-<blank> +X" next to a second, unshown blank line.
    diff = _hdr(" import os\n-\n+X = 1\n def f():\n")
    result, now = _run(tmp_path, TWO_BLANKS, diff)
    assert not result.ok and now == TWO_BLANKS
