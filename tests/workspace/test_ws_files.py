"""The model's read tools: what the model sees, what is capped, what is refused and why."""

from __future__ import annotations

import os

import pytest

from agent.errors import PathEscape, ToolError
from agent.workspace import Repo, files
from tests.helpers_git import make_repo, write_files

FILES = {
    "README.md": "# demo\n",
    ".gitignore": "*.log\nbuild/\n",
    "src/pkg/__init__.py": "",
    "src/pkg/auth.py": "import hashlib\n\ndef hash_password(pw):\n    return hashlib.md5(pw).hexdigest()\n",
    "src/pkg/deep/more.py": "VALUE = 'md5'\n",
    "tests/test_auth.py": "from pkg.auth import hash_password\n",
    "logo.png": b"\x89PNG\r\n\x1a\n\x00\x00binary",
}


@pytest.fixture
def ws(tmp_path):
    ws = Repo.find(make_repo(tmp_path, FILES)).create_worktree("files001", "files")
    write_files(ws.root, {"notes_untracked.py": "md5 = 'untracked'\n", "debug.log": "md5 ignored\n",
                          "build/out.py": "md5 = 'ignored'\n"})
    return ws


def test_list_files_tracked_and_untracked_not_ignored(ws):
    (ws.root / "README.md").unlink()  # deleted in the worktree: not listed
    listed = ws.list_files().splitlines()
    assert "notes_untracked.py" in listed and "src/pkg/auth.py" in listed and "logo.png" in listed
    assert "README.md" not in listed and "debug.log" not in listed and "build/out.py" not in listed
    assert listed == sorted(listed)


def test_list_files_path_and_patterns(ws):
    assert ws.list_files("src/pkg/deep").splitlines() == ["src/pkg/deep/more.py"]
    assert ws.list_files("src", "*.py").splitlines() == [
        "src/pkg/__init__.py", "src/pkg/auth.py", "src/pkg/deep/more.py"]
    assert ws.list_files(None, "auth*").splitlines() == ["src/pkg/auth.py"]  # basename match
    assert ws.list_files(None, "src/**/*.py").splitlines() == [
        "src/pkg/__init__.py", "src/pkg/auth.py", "src/pkg/deep/more.py"]
    assert ws.list_files(None, "src/*/auth.py").splitlines() == ["src/pkg/auth.py"]
    assert ws.list_files(None, "**/test_*.py").splitlines() == ["tests/test_auth.py"]
    assert ws.list_files("src", "pkg/deep/*.py").splitlines() == ["src/pkg/deep/more.py"]  # relative to path
    assert "no files matching '*.rs'" in ws.list_files(None, "*.rs")
    with pytest.raises(ToolError, match="no such file or directory"):
        ws.list_files("nope")


def test_list_files_is_capped_with_a_hint(ws):
    write_files(ws.root, {f"many/f{i:04}.txt": "" for i in range(files.MAX_LIST + 7)})
    lines = ws.list_files("many").splitlines()
    assert len(lines) == files.MAX_LIST + 1
    assert "7 more files not shown" in lines[-1] and "narrow" in lines[-1]


def test_read_file_numbers_lines_and_ranges(ws):
    text = ws.read_file("src/pkg/auth.py")
    assert text.splitlines()[0] == "   1| import hashlib"
    assert text.splitlines()[3] == "   4|     return hashlib.md5(pw).hexdigest()"
    part = ws.read_file("src/pkg/auth.py", 3, 3)
    assert part.splitlines() == ["   3| def hash_password(pw):", "[lines 3-3 of 4]"]
    assert ws.read_file("src/pkg/auth.py", 3, 99).splitlines()[-1] == "[lines 3-4 of 4]"
    assert "is empty" in ws.read_file("src/pkg/__init__.py")
    with pytest.raises(ToolError, match="past the end"):
        ws.read_file("src/pkg/auth.py", 10)


@pytest.mark.parametrize("path, words", [
    ("missing.py", "no such file"), ("src/pkg", "is a directory"), ("logo.png", "binary file")])
def test_read_file_mistakes_are_tool_errors(ws, path, words):
    with pytest.raises(ToolError, match=words):
        ws.read_file(path)


def test_read_file_caps_long_files_and_says_what_to_ask_next(ws):
    write_files(ws.root, {"big.txt": "".join(f"line {i}\n" for i in range(1, 5001))})
    lines = ws.read_file("big.txt").splitlines()
    assert len(lines) == files.MAX_READ_LINES + 1
    assert lines[-1] == f"[showing lines 1-2000 of 5000; ask for start_line={files.MAX_READ_LINES + 1} to read on]"
    assert ws.read_file("big.txt", 4999).splitlines()[0] == "4999| line 4999"
    write_files(ws.root, {"wide.txt": ("x" * 1500 + "\n") * 200})  # 300 KB: the byte cap wins
    text = ws.read_file("wide.txt")
    assert len(text) < files.MAX_READ_BYTES + 200 and "ask for start_line=" in text


def test_search_code(ws):
    hits = ws.search_code(r"md5").splitlines()
    assert "src/pkg/auth.py:4:    return hashlib.md5(pw).hexdigest()" in hits
    assert "notes_untracked.py:1:md5 = 'untracked'" in hits
    assert not any(h.startswith(("debug.log", "build/", "logo.png")) for h in hits)
    assert ws.search_code(r"md5", "src/pkg/deep").splitlines() == ["src/pkg/deep/more.py:1:VALUE = 'md5'"]
    assert ws.search_code(r"def \w+\(pw\)", "src/pkg/auth.py") == "src/pkg/auth.py:3:def hash_password(pw):"
    assert "no matches for 'argon2'" in ws.search_code("argon2")


def test_search_code_bad_regex_is_a_tool_error_with_the_reason(ws):
    with pytest.raises(ToolError, match=r"invalid regular expression '\(unclosed': missing \), unterminated"):
        ws.search_code("(unclosed")


def test_search_code_caps_matches_and_long_lines(ws):
    write_files(ws.root, {"hits.py": "needle\n" * (files.MAX_MATCHES + 50), "long.py": "x" * 5000 + "needle\n"})
    out = ws.search_code("needle").splitlines()
    assert len(out) == files.MAX_MATCHES + 1
    assert "51 more matches not shown" in out[-1]
    long_line = ws.search_code("needle", "long.py")
    assert "needle" in long_line and len(long_line) < 400


@pytest.mark.parametrize("path, words", [
    ("../outside.txt", "outside the repository"),
    ("/etc/passwd", "absolute paths are not allowed"),
    (".git/config", ".git directory is off limits"),
    ("link_out/secret.txt", "symlink"),
    ("src/../../..", "outside the repository"),
])
def test_paths_outside_the_worktree_are_refused_by_every_tool(ws, tmp_path, path, words):
    (tmp_path / "outside.txt").write_text("secret\n")
    (tmp_path / "secret.txt").write_text("secret\n")
    os.symlink(tmp_path, ws.root / "link_out")
    with pytest.raises(PathEscape, match=words):
        ws.read_file(path)
    with pytest.raises(PathEscape):
        ws.list_files(path)
    with pytest.raises(PathEscape):
        ws.search_code("secret", path)
    assert ws.resolve("src/pkg/auth.py") == ws.root / "src/pkg/auth.py"


def test_search_code_does_not_follow_symlinks_out(ws, tmp_path):
    (tmp_path / "secret.txt").write_text("password = hunter2\n")
    os.symlink(tmp_path / "secret.txt", ws.root / "evil.txt")
    os.symlink(ws.root / ".git", ws.root / "gitlink")
    assert ws.search_code("hunter2|gitdir") == "no matches for 'hunter2|gitdir'"
