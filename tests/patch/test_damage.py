"""Table tests: each kind of damage models do to diffs must still apply to exactly the right file."""

from __future__ import annotations

import pytest

from agent.patch import apply_patch

from .conftest import MODULE, udiff

AFTER = MODULE.replace(
    "        return self.items.get(key, default)\n",
    "        value = self.items.get(key, default)\n        return value\n",
).replace('    print(cfg.get("name", "world"))\n', '    print(cfg.get("name", "there"))\n    return 0\n')
CLEAN = udiff(MODULE, AFTER)


def _hunk_lines(diff: str):
    return diff.split("\n")


def _map_body(diff: str, fn) -> str:
    """Apply fn(line) to every hunk body line (context, - and +)."""
    out = []
    in_hunk = False
    for line in diff.split("\n"):
        if line.startswith("@@"):
            in_hunk = True
            out.append(line)
        elif in_hunk and line[:1] in (" ", "-", "+"):
            out.append(fn(line))
        else:
            out.append(line)
    return "\n".join(out)


def _reorder(diff: str) -> str:
    head, *hunks = diff.split("\n@@")
    return head + "".join("\n@@" + h.rstrip("\n") for h in reversed(hunks)) + "\n"


DAMAGED = {
    "clean": CLEAN,
    "wrong line numbers and counts": CLEAN.replace("@@ -16,7 +16,8 @@", "@@ -3,2 +9,1 @@").replace(
        "@@ -25,4 +26,5 @@", "@@ -90,9 +91,2 @@"),
    "no numbers": "\n".join("@@ @@" if ln.startswith("@@") else ln for ln in CLEAN.split("\n")),
    "trailing whitespace drift": _map_body(CLEAN, lambda ln: ln + "  " if ln[0] == " " else ln),
    "indentation shifted uniformly": _map_body(CLEAN, lambda ln: ln[0] + "  " + ln[1:] if ln[1:].strip() else ln),
    "curly quotes in context": CLEAN.replace(' print(cfg.get("name", "world"))', " print(cfg.get(\u201cname\u201d, \u201cworld\u201d))"),
    "missing blank context line": CLEAN.replace("\n \n def main():", "\n def main():"),
    "extra hallucinated context line": CLEAN.replace("     def get(self, key, default=None):\n",
                                                     "     def get(self, key, default=None):\n         pass\n"),
    "missing a/ b/ prefixes": CLEAN.replace("--- a/mod.py", "--- mod.py").replace("+++ b/mod.py", "+++ mod.py"),
    "./ prefix": CLEAN.replace("--- a/mod.py", "--- ./mod.py").replace("+++ b/mod.py", "+++ ./mod.py"),
    "hunks out of order": _reorder(CLEAN),
    "no final newline in the diff": CLEAN.rstrip("\n"),
    "fenced with prose": "Here you go:\n\n```diff\n" + CLEAN + "```\n\nThat fixes it.\n",
    "blank context line lost its leading space": CLEAN.replace("\n \n def main():", "\n\n def main():"),
}


def test_the_table_damages_something():
    assert len(set(DAMAGED.values())) == len(DAMAGED)


@pytest.mark.parametrize("kind", list(DAMAGED))
def test_damaged_diff_applies_exactly(repo, kind):
    result = apply_patch(repo, DAMAGED[kind])
    assert result.ok, result.render()
    assert (repo / "mod.py").read_text() == AFTER
    assert result.changed_paths == ["mod.py"]


def test_level_is_reported(repo):
    result = apply_patch(repo, DAMAGED["trailing whitespace drift"])
    levels = {h.level for f in result.files for h in f.hunks}
    assert levels == {"whitespace"}
    assert "whitespace" in result.render()


def test_tabs_turned_to_spaces_keep_the_files_tabs(tmp_path):
    before = "func main() {\n\tif ok {\n\t\tgo()\n\t}\n}\n"
    after = "func main() {\n\tif ok {\n\t\tgo()\n\t\tstop()\n\t}\n}\n"
    (tmp_path / "main.go").write_text(before)
    diff = udiff(before, after, "main.go").replace("\t", "    ")
    result = apply_patch(tmp_path, diff)
    assert result.ok, result.render()
    assert (tmp_path / "main.go").read_text() == after


def test_indentation_drift_uses_the_files_real_indentation_on_added_lines(repo):
    # The model wrote the method at top level (dedented by 4): added lines must land at 8 spaces.
    diff = ("--- a/mod.py\n+++ b/mod.py\n@@ -22,3 +22,4 @@\n"
            " def set(self, key, value):\n-    self.items[key] = value\n+    assert key\n+    self.items[key] = value\n"
            "     return value\n")
    result = apply_patch(repo, diff)
    assert result.ok, result.render()
    assert "        assert key\n        self.items[key] = value\n" in (repo / "mod.py").read_text()
