"""AGENTS.md from the repository root down to the working directory, nearest last, capped."""

from __future__ import annotations

import pytest

from agent.core.instructions import format_instructions, load_instructions, load_system_prompt
from agent.errors import ConfigError


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "repo"
    (root / "pkg" / "sub").mkdir(parents=True)
    (root / "other").mkdir()
    (root / "AGENTS.md").write_text("root rules\n")
    (root / "pkg" / "AGENTS.md").write_text("pkg rules\n")
    (root / "pkg" / "sub" / "AGENTS.md").write_text("sub rules\n")
    (root / "other" / "AGENTS.md").write_text("not on the way\n")
    return root


def test_root_first_nearest_last_only_on_the_way_down(tree):
    loaded = load_instructions(tree, tree / "pkg" / "sub")
    assert loaded == [("AGENTS.md", "root rules\n"), ("pkg/AGENTS.md", "pkg rules\n"),
                      ("pkg/sub/AGENTS.md", "sub rules\n")]
    assert load_instructions(tree, tree) == [("AGENTS.md", "root rules\n")]
    assert [p for p, _ in load_instructions(tree, tree / "other")] == ["AGENTS.md", "other/AGENTS.md"]
    text = format_instructions(loaded)
    assert text.index("root rules") < text.index("pkg rules") < text.index("sub rules")


def test_missing_levels_and_outside_cwd(tree, tmp_path):
    (tree / "pkg" / "AGENTS.md").unlink()
    assert [p for p, _ in load_instructions(tree, tree / "pkg" / "sub")] == ["AGENTS.md", "pkg/sub/AGENTS.md"]
    assert [p for p, _ in load_instructions(tree, tmp_path)] == ["AGENTS.md"]
    assert load_instructions(tmp_path / "empty", tmp_path / "empty") == []


def test_capped_in_size_and_says_so(tree):
    (tree / "AGENTS.md").write_text("r" * 100)
    (tree / "pkg" / "AGENTS.md").write_text("p" * 100)
    loaded = load_instructions(tree, tree / "pkg" / "sub", max_bytes=150)
    assert [p for p, _ in loaded] == ["AGENTS.md", "pkg/AGENTS.md"]
    assert loaded[0][1] == "r" * 100
    assert loaded[1][1].startswith("p" * 50 + "\n[… truncated")


def test_symlink_leading_outside_is_ignored(tree, tmp_path):
    (tmp_path / "secret.md").write_text("outside\n")
    (tree / "pkg" / "AGENTS.md").unlink()
    (tree / "pkg" / "AGENTS.md").symlink_to(tmp_path / "secret.md")
    assert "outside\n" not in [t for _, t in load_instructions(tree, tree / "pkg")]


def test_system_prompt_override(tree):
    assert load_system_prompt(None, tree) is None
    (tree / "prompts").mkdir()
    (tree / "prompts" / "system.md").write_text("You are terse.\n")
    assert load_system_prompt("prompts/system.md", tree) == "You are terse.\n"
    with pytest.raises(ConfigError):
        load_system_prompt("prompts/missing.md", tree)
