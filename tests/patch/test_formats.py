"""The other edit formats apply_diff takes: the apply_patch envelope, SEARCH/REPLACE blocks, and
unified diffs carrying read_file's line-number prefixes. Same engine: location, all-or-nothing."""

from __future__ import annotations

from agent.patch import apply_patch
from agent.workspace.files import read_file

from .conftest import MODULE, udiff

TWO_CLASSES = '''class Reader:
    def close(self):
        self.done = True
        return None


class Writer:
    def close(self):
        self.done = True
        return None
'''


def test_envelope_update_add_delete_and_move_in_one_patch(repo):
    (repo / "old.txt").write_text("bye\n")
    (repo / "notes.md").write_text("# Notes\n")
    patch = """*** Begin Patch
*** Update File: mod.py
@@ class Config:
     def get(self, key, default=None):
-        # Look the key up; fall back to the default.
+        # Look the key up.
         return self.items.get(key, default)
*** Add File: pkg/new.py
+x = 1
+y = 2
*** Delete File: old.txt
*** Update File: notes.md
*** Move to: docs/notes.md
*** End Patch
"""
    result = apply_patch(repo, patch)
    assert result.ok, result.render()
    assert "# Look the key up.\n" in (repo / "mod.py").read_text()
    assert (repo / "pkg/new.py").read_text() == "x = 1\ny = 2\n"
    assert not (repo / "old.txt").exists()
    assert (repo / "docs/notes.md").read_text() == "# Notes\n" and not (repo / "notes.md").exists()


def test_envelope_anchor_picks_between_identical_blocks(tmp_path):
    (tmp_path / "io.py").write_text(TWO_CLASSES)
    patch = ("*** Begin Patch\n*** Update File: io.py\n@@ class Writer:\n"
             "     def close(self):\n-        self.done = True\n+        self.flush()\n+        self.done = True\n"
             "*** End Patch\n")
    result = apply_patch(tmp_path, patch)
    assert result.ok, result.render()
    assert (tmp_path / "io.py").read_text() == TWO_CLASSES.replace(
        "class Writer:\n    def close(self):\n", "class Writer:\n    def close(self):\n        self.flush()\n")
    without = patch.replace("@@ class Writer:\n", "@@\n")
    (tmp_path / "io.py").write_text(TWO_CLASSES)
    refused = apply_patch(tmp_path, without)
    assert not refused.ok and "ambiguous" in refused.render()
    assert (tmp_path / "io.py").read_text() == TWO_CLASSES


def test_envelope_end_of_file_and_no_end_marker_inside_a_fence(repo):
    text = ("Here you go:\n```\n*** Begin Patch\n*** Update File: mod.py\n@@ def main():\n"
            '     print(cfg.get("name", "world"))\n+    return 0\n*** End of File\n```\nDone.\n')
    result = apply_patch(repo, text)
    assert result.ok, result.render()
    assert (repo / "mod.py").read_text() == MODULE + "    return 0\n"


def test_envelope_failure_anywhere_changes_nothing(repo):
    patch = ("*** Begin Patch\n*** Add File: fresh.py\n+ok = True\n*** Update File: mod.py\n@@\n"
             "-this line is not in the file\n+replacement\n*** End Patch\n")
    result = apply_patch(repo, patch)
    assert not result.ok and "no match" in result.render()
    assert not (repo / "fresh.py").exists() and (repo / "mod.py").read_text() == MODULE


def test_search_replace_blocks_path_before_and_inside_the_fence(repo):
    text = """I'll change two things.

mod.py
```python
<<<<<<< SEARCH
import os
import sys
=======
import os
import json
import sys
>>>>>>> REPLACE
```

```python
mod.py
<<<<<<< SEARCH
    print(cfg.get("name", "world"))
=======
    print(cfg.get("name", "there"))
>>>>>>> REPLACE
```
"""
    result = apply_patch(repo, text)
    assert result.ok, result.render()
    assert (repo / "mod.py").read_text() == MODULE.replace("import sys\n", "import json\nimport sys\n", 1).replace(
        '"world"', '"there"')


def test_search_replace_must_match_exactly_once(tmp_path):
    (tmp_path / "io.py").write_text(TWO_CLASSES)
    text = "io.py\n<<<<<<< SEARCH\n        self.done = True\n=======\n        self.done = False\n>>>>>>> REPLACE\n"
    result = apply_patch(tmp_path, text)
    assert not result.ok and "ambiguous" in result.render() and "SEARCH/REPLACE block 1" in result.render()
    assert (tmp_path / "io.py").read_text() == TWO_CLASSES
    missing = "io.py\n<<<<<<< SEARCH\n    def open(self):\n=======\n    def start(self):\n>>>>>>> REPLACE\n"
    assert "no match" in apply_patch(tmp_path, missing).render()


def test_search_replace_tolerates_a_miscopied_search_without_writing_the_slips(repo):
    # Trailing spaces and curly quotes in the search (and copied into the replacement): the file's
    # own text is kept on the unchanged line, the changed line is written as asked.
    text = ("mod.py\n<<<<<<< SEARCH\n    cfg = Config(sys.argv[1])  \n    print(cfg.get(\u201cname\u201d, \"world\"))\n"
            "=======\n    cfg = Config(sys.argv[1])  \n    print(cfg.get(\"name\", \"everyone\"))\n>>>>>>> REPLACE\n")
    result = apply_patch(repo, text)
    assert result.ok, result.render()
    assert (repo / "mod.py").read_text() == MODULE.replace('"world"', '"everyone"')


def test_search_replace_empty_search_creates_a_file_and_a_block_needs_a_path(repo):
    result = apply_patch(repo, "src/hello.py\n```\n<<<<<<< SEARCH\n=======\nprint('hi')\n>>>>>>> REPLACE\n```\n")
    assert result.ok, result.render()
    assert (repo / "src/hello.py").read_text() == "print('hi')\n"
    nameless = apply_patch(repo, "<<<<<<< SEARCH\nimport os\n=======\nimport io\n>>>>>>> REPLACE\n")
    assert not nameless.ok and "path on its own line" in nameless.render()


def test_read_file_line_numbers_in_context_are_stripped_when_they_agree(repo):
    shown = read_file(repo, "mod.py", 17, 19).split("\n")  # exactly what the model was shown
    assert shown[0].startswith("  17| ")
    diff = ("--- a/mod.py\n+++ b/mod.py\n@@ @@\n"
            f" {shown[0]}\n-{shown[1]}\n+        # Look it up.\n {shown[2]}\n")
    result = apply_patch(repo, diff)
    assert result.ok, result.render()
    assert (repo / "mod.py").read_text() == MODULE.replace("# Look the key up; fall back to the default.",
                                                           "# Look it up.")


def test_line_numbers_that_disagree_with_the_file_are_not_stripped(repo):
    shown = read_file(repo, "mod.py", 17, 19).split("\n")
    wrong = [ln.replace("  1", "  3", 1) for ln in shown]  # numbers of other lines
    diff = f"--- a/mod.py\n+++ b/mod.py\n@@ @@\n {wrong[0]}\n-{wrong[1]}\n+        # Look it up.\n {wrong[2]}\n"
    result = apply_patch(repo, diff)
    assert not result.ok and (repo / "mod.py").read_text() == MODULE


def test_numbered_context_with_some_numbered_added_lines_is_refused(repo):
    shown = read_file(repo, "mod.py", 17, 19).split("\n")
    diff = ("--- a/mod.py\n+++ b/mod.py\n@@ @@\n"
            f" {shown[0]}\n-{shown[1]}\n+  18|         # Look it up.\n+        # twice\n {shown[2]}\n")
    result = apply_patch(repo, diff)
    assert not result.ok and "line numbers" in result.render()
    assert (repo / "mod.py").read_text() == MODULE


def test_mixed_formats_in_one_reply_apply_together_or_not_at_all(repo):
    after = MODULE.replace("import os\n", "import io\n")
    text = (udiff(MODULE, after) + "\nAnd the main function:\n\nmod.py\n```\n<<<<<<< SEARCH\n"
            "def main():\n=======\ndef main() -> None:\n>>>>>>> REPLACE\n```\n\n"
            "*** Begin Patch\n*** Add File: VERSION\n+1.0\n*** End Patch\n")
    result = apply_patch(repo, text)
    assert result.ok, result.render()
    assert (repo / "mod.py").read_text() == after.replace("def main():", "def main() -> None:")
    assert (repo / "VERSION").read_text() == "1.0\n"
    broken = text.replace("def main():\n=======", "def nope():\n=======").replace("VERSION", "VERSION2")
    (repo / "mod.py").write_text(MODULE)
    refused = apply_patch(repo, broken)
    assert not refused.ok and (repo / "mod.py").read_text() == MODULE and not (repo / "VERSION2").exists()
