"""Context re-typed in another indentation style, added lines already in the file's: only drifted
lines are re-indented (issue 17)."""

from __future__ import annotations

from agent.patch import apply_patch

PYPROJECT = '''[project]
name = "example"
version = "1.4.0"
description = "An example package"
requires-python = ">=3.9"
classifiers = [
  "Development Status :: 5 - Production/Stable",
  "Intended Audience :: Developers",
  "License :: OSI Approved :: MIT License",
  "Programming Language :: Python :: 3.10",
  "Programming Language :: Python :: 3.11",
]
dependencies = [
  "requests>=2.31",
]
'''


def test_added_line_in_the_files_style_keeps_its_indentation(tmp_path):
    # The model re-typed the context with tabs; its added line uses the file's two spaces.
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    diff = ("--- a/pyproject.toml\n+++ b/pyproject.toml\n@@ -8,5 +8,6 @@ classifiers = [\n"
            ' \t"License :: OSI Approved :: MIT License",\n'
            ' \t"Programming Language :: Python :: 3.10",\n'
            ' \t"Programming Language :: Python :: 3.11",\n'
            '+  "Programming Language :: Python :: 3.12",\n'
            " ]\n dependencies = [\n")
    result = apply_patch(tmp_path, diff)
    assert result.ok, result.render()
    assert (tmp_path / "pyproject.toml").read_text() == PYPROJECT.replace(
        '3.11",\n', '3.11",\n  "Programming Language :: Python :: 3.12",\n')


def test_added_lines_in_the_diffs_style_are_reindented_line_by_line(tmp_path):
    # Same context, two added lines: one typed with the diff's tab, one copied from the file.
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    diff = ("--- a/pyproject.toml\n+++ b/pyproject.toml\n@@ -9,4 +9,6 @@\n"
            ' \t"Programming Language :: Python :: 3.10",\n'
            ' \t"Programming Language :: Python :: 3.11",\n'
            '+\t"Programming Language :: Python :: 3.12",\n'
            '+  "Programming Language :: Python :: 3.13",\n'
            " ]\n dependencies = [\n")
    result = apply_patch(tmp_path, diff)
    assert result.ok, result.render()
    assert '3.11",\n  "Programming Language :: Python :: 3.12",\n  "Programming Language :: Python :: 3.13",\n]' \
        in (tmp_path / "pyproject.toml").read_text()


def test_a_tab_file_edited_with_space_context_keeps_tab_added_lines(tmp_path):
    src = "package main\n\nfunc main() {\n\tx := 1\n\tif x > 0 {\n\t\tprintln(x)\n\t}\n}\n"
    (tmp_path / "main.go").write_text(src)
    diff = ("--- a/main.go\n+++ b/main.go\n@@ -4,4 +4,5 @@\n"
            "     x := 1\n     if x > 0 {\n         println(x)\n+\t\tprintln(x + 1)\n     }\n")
    result = apply_patch(tmp_path, diff)
    assert result.ok, result.render()
    assert (tmp_path / "main.go").read_text() == src.replace("\t\tprintln(x)\n", "\t\tprintln(x)\n\t\tprintln(x + 1)\n")


def test_an_added_line_whose_style_nothing_shows_is_refused(tmp_path):
    # Tabs in the context for the file's four spaces, one tab dropped too (the shift is not just the
    # character), and an unindented added line: it could be at column 0 or shifted. Refused.
    src = "def f(x):\n    if x:\n        return 1\n    return 2\n"
    (tmp_path / "f.txt").write_text(src)
    diff = ("--- a/f.txt\n+++ b/f.txt\n@@ -2,2 +2,3 @@\n"
            " if x:\n \treturn 1\n+marker\n")
    result = apply_patch(tmp_path, diff)
    assert (tmp_path / "f.txt").read_text() == src
    assert not result.ok
    assert "could be in either style" in result.render()
