"""agent.cli.safe: what reaches the terminal from the model has no live control characters."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from agent.cli.safe import neutralise
from agent.cli.ui import call_text


def test_escape_sequences_are_shown_and_text_stays():
    assert neutralise("a\x1b[2Jb") == r"a\x1b[2Jb"
    assert neutralise("line\r\nnext\ttab\rback") == "line\nnext\ttab\\x0dback"
    assert neutralise("\x9b31m \u202eevil \u200b") == r"\x9b31m \u202eevil \u200b"
    assert neutralise("naïve — ✓ 日本") == "naïve — ✓ 日本"


@given(st.text())
def test_nothing_a_terminal_obeys_is_left(text):
    out = neutralise(text)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out)


def test_tool_calls_read_as_words_without_nulls():
    assert call_text("read_file", '{"path": "auth.py", "start_line": null, "end_line": 9}') == \
        "read_file path=auth.py end_line=9"
    assert call_text("search_code", '{"pattern": "def hash", "path": null}') == 'search_code pattern="def hash"'
    assert call_text("list_files", '{"path": "src", "pattern": "*.py…') == 'list_files {"path": "src", "pattern": "*.py…'


def test_markup_and_emoji_codes_in_model_text_print_as_written(capsys):
    from agent.cli.console import make_console, shown

    make_console().print(shown("[bold]not bold[/] :fire: \x1b[2J"))
    assert capsys.readouterr().out == "[bold]not bold[/] :fire: \\x1b[2J\n"
