"""Never wrong: ambiguity, all-or-nothing, already applied, encodings, files, paths, syntax guard."""

from __future__ import annotations

import json
import os
import stat

import pytest

from agent.errors import ToolError
from agent.patch import apply_patch

from .conftest import MODULE, udiff


def snapshot(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_ambiguous_context_is_rejected_with_the_candidate_places(tmp_path):
    text = "def a():\n    x = 1\n    return x\n\n\ndef b():\n    x = 1\n    return x\n"
    (tmp_path / "m.py").write_text(text)
    diff = "--- a/m.py\n+++ b/m.py\n@@ @@\n     x = 1\n-    return x\n+    return x + 1\n"
    result = apply_patch(tmp_path, diff)
    assert not result.ok
    assert (tmp_path / "m.py").read_text() == text
    out = result.render()
    assert "ambiguous" in out and "lines 2, 7" in out


def test_header_line_number_breaks_a_tie_only_when_it_points_exactly(tmp_path):
    text = "def a():\n    x = 1\n    return x\n\n\ndef b():\n    x = 1\n    return x\n"
    (tmp_path / "m.py").write_text(text)
    diff = "--- a/m.py\n+++ b/m.py\n@@ -7,2 +7,2 @@\n     x = 1\n-    return x\n+    return x + 1\n"
    assert apply_patch(tmp_path, diff).ok
    assert (tmp_path / "m.py").read_text().endswith("    x = 1\n    return x + 1\n")
    assert (tmp_path / "m.py").read_text().startswith("def a():\n    x = 1\n    return x\n")


def test_no_match_changes_nothing_in_any_file_and_shows_the_closest_region(repo):
    (repo / "other.py").write_text("a = 1\n")
    good = udiff("a = 1\n", "a = 2\n", "other.py")
    bad = "--- a/mod.py\n+++ b/mod.py\n@@ -13,3 +13,3 @@\n class Config:\n-    def __init__(self, pth):\n+    def __init__(self, p):\n         self.path = path\n"
    before = snapshot(repo)
    result = apply_patch(repo, good + bad)
    assert not result.ok and result.changed_paths == []
    assert snapshot(repo) == before
    out = result.render()
    assert "mod.py" in out and "hunk 1" in out and "no match" in out
    assert ">13 |     def __init__(self, path):" in out  # the real line, numbered and flagged
    assert "Nothing was changed on disk" in out


def test_already_applied_hunk_is_reported_not_failed(repo):
    after = MODULE.replace("import sys\n", "import sys\nimport json\n")
    diff = udiff(MODULE, after)
    assert apply_patch(repo, diff).ok
    again = apply_patch(repo, diff)
    assert again.ok and again.changed_paths == []
    assert again.files[0].hunks[0].status == "already-applied"
    assert "already applied" in again.render()
    assert (repo / "mod.py").read_text() == after


def test_check_mode_writes_nothing(repo):
    after = MODULE.replace("import os\n", "import io\n")
    result = apply_patch(repo, udiff(MODULE, after), check=True)
    assert result.ok and result.changed_paths == []
    assert (repo / "mod.py").read_text() == MODULE
    assert "check only" in result.render()


def test_crlf_file_keeps_crlf_and_diff_in_lf_applies(tmp_path):
    before, after = "one\ntwo\nthree\n", "one\n2\nthree\n"
    (tmp_path / "t.txt").write_bytes(before.replace("\n", "\r\n").encode())
    assert apply_patch(tmp_path, udiff(before, after, "t.txt")).ok
    assert (tmp_path / "t.txt").read_bytes() == b"one\r\n2\r\nthree\r\n"


@pytest.mark.parametrize("markers", [True, False])
def test_file_without_final_newline_keeps_that_state(tmp_path, markers):
    before, after = "a\nb\nc", "a\nb\nC"
    (tmp_path / "t.txt").write_text(before)
    diff = udiff(before, after, "t.txt")
    if not markers:
        diff = diff.replace("\\ No newline at end of file\n", "")
    assert apply_patch(tmp_path, diff).ok
    assert (tmp_path / "t.txt").read_text() == after


def test_marker_can_add_a_final_newline(tmp_path):
    (tmp_path / "t.txt").write_text("a\nb")
    assert apply_patch(tmp_path, udiff("a\nb", "a\nb\n", "t.txt")).ok
    assert (tmp_path / "t.txt").read_text() == "a\nb\n"


def test_latin1_file_keeps_its_encoding(tmp_path):
    (tmp_path / "l.txt").write_bytes("caf\xe9\nbar\n".encode("latin-1"))
    diff = "--- a/l.txt\n+++ b/l.txt\n@@ -1,2 +1,2 @@\n caf\xe9\n-bar\n+b\xe4r\n"
    assert apply_patch(tmp_path, diff).ok
    assert (tmp_path / "l.txt").read_bytes() == "caf\xe9\nb\xe4r\n".encode("latin-1")


def test_binary_file_is_refused(tmp_path):
    (tmp_path / "img.bin").write_bytes(b"\x89PNG\x00\x01\x02abc\n")
    diff = "--- a/img.bin\n+++ b/img.bin\n@@ -1 +1 @@\n-abc\n+abd\n"
    result = apply_patch(tmp_path, diff)
    assert not result.ok and "binary" in result.render()
    git_binary = "diff --git a/img.bin b/img.bin\nindex 1..2 100644\nGIT binary patch\nliteral 3\nabc\n"
    assert "binary" in apply_patch(tmp_path, git_binary).render()
    assert (tmp_path / "img.bin").read_bytes() == b"\x89PNG\x00\x01\x02abc\n"


@pytest.mark.parametrize("path", ["../outside.txt", "/etc/passwd", ".git/config", "sub/../../x.txt", "link/evil.txt"])
def test_paths_outside_the_root_are_refused(tmp_path, path):
    root = tmp_path / "root"
    root.mkdir()
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]\n")
    (root / "link").symlink_to(tmp_path)
    diff = f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1 @@\n+pwned\n"
    result = apply_patch(root, diff)
    assert not result.ok and "refused" in result.render()
    assert not (tmp_path / "outside.txt").exists() and not (tmp_path / "x.txt").exists()
    assert not (tmp_path / "evil.txt").exists()
    assert (root / ".git" / "config").read_text() == "[core]\n"


def test_new_file_delete_rename_and_mode(tmp_path):
    (tmp_path / "gone.txt").write_text("bye\n")
    (tmp_path / "old.py").write_text("x = 1\ny = 2\n")
    (tmp_path / "run.sh").write_text("echo hi\n")
    diff = (
        "diff --git a/new/dir/hello.txt b/new/dir/hello.txt\nnew file mode 100644\n--- /dev/null\n"
        "+++ b/new/dir/hello.txt\n@@ -0,0 +1,2 @@\n+hello\n+world\n"
        "diff --git a/gone.txt b/gone.txt\ndeleted file mode 100644\n--- a/gone.txt\n+++ /dev/null\n"
        "@@ -1 +0,0 @@\n-bye\n"
        "diff --git a/old.py b/pkg/new.py\nsimilarity index 80%\nrename from old.py\nrename to pkg/new.py\n"
        "--- a/old.py\n+++ b/pkg/new.py\n@@ -1,2 +1,2 @@\n x = 1\n-y = 2\n+y = 3\n"
        "diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n"
    )
    result = apply_patch(tmp_path, diff)
    assert result.ok, result.render()
    assert {f.action for f in result.files} == {"create", "delete", "rename", "mode"}
    assert (tmp_path / "new/dir/hello.txt").read_text() == "hello\nworld\n"
    assert not (tmp_path / "gone.txt").exists()
    assert not (tmp_path / "old.py").exists()
    assert (tmp_path / "pkg/new.py").read_text() == "x = 1\ny = 3\n"
    assert os.stat(tmp_path / "run.sh").st_mode & stat.S_IXUSR
    assert sorted(result.changed_paths) == ["gone.txt", "new/dir/hello.txt", "old.py", "pkg/new.py", "run.sh"]


def test_creating_an_existing_file_is_refused(tmp_path):
    (tmp_path / "a.txt").write_text("mine\n")
    result = apply_patch(tmp_path, "--- /dev/null\n+++ b/a.txt\n@@ -0,0 +1 @@\n+theirs\n")
    assert not result.ok and "already exists" in result.render()
    assert (tmp_path / "a.txt").read_text() == "mine\n"


def test_missing_file_names_similar_files(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("x = 1\n")
    result = apply_patch(tmp_path, "--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n")
    assert not result.ok and "src/app.py" in result.render()


@pytest.mark.parametrize("name,before,broken", [
    ("m.py", "def f():\n    return 1\n", "def f():\n    return (1\n"),
    ("m.js", "function f() {\n  return 1;\n}\n", "function f() {\n  return 1;\n"),
    ("m.go", "package m\n\nfunc F() int {\n\treturn 1\n}\n", "package m\n\nfunc F() int {\n\treturn 1 +\n}\n"),
    ("m.rs", "fn f() -> i32 {\n    1\n}\n", "fn f() -> i32 {\n    let = 1\n}\n"),
])
def test_syntax_guard_refuses_edits_that_break_parsing(tmp_path, name, before, broken):
    (tmp_path / name).write_text(before)
    diff = udiff(before, broken, name)
    result = apply_patch(tmp_path, diff)
    assert not result.ok
    assert "syntax error" in result.render() or "missing" in result.render()
    assert (tmp_path / name).read_text() == before
    assert apply_patch(tmp_path, diff, syntax_check=False).ok
    assert (tmp_path / name).read_text() == broken


def test_syntax_guard_tolerates_errors_that_were_already_there(tmp_path):
    before = "def f(:\n    return 1\n\nx = 1\n"
    (tmp_path / "m.py").write_text(before)
    assert apply_patch(tmp_path, udiff(before, before.replace("x = 1", "x = 2"), "m.py")).ok


def test_to_dict_is_json(repo):
    result = apply_patch(repo, udiff(MODULE, MODULE.replace("import os\n", "import io\n")))
    data = json.loads(json.dumps(result.to_dict()))
    assert data["ok"] is True and data["changed_paths"] == ["mod.py"]
    assert data["files"][0]["hunks"][0]["status"] == "applied"
    assert data["files"][0]["hunks"][0]["level"] == "exact"


def test_not_a_diff(repo):
    result = apply_patch(repo, "please change the greeting")
    assert not result.ok and "no edit found" in result.render() and "SEARCH/REPLACE" in result.render()


def test_missing_root_raises(tmp_path):
    with pytest.raises(ToolError):
        apply_patch(tmp_path / "nope", "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n")
