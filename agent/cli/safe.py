"""Model-authored text made safe for a terminal: control and escape sequences shown, not obeyed.

Plan titles, summaries, reasoning, tool arguments, diffs and test output come from the model (or
from code it wrote). Raw, an `ESC[2J`, an OSC 8 link or a cursor move could wipe or fake the
approval screen, so every such character is shown visibly (`\\x1b`, `\\u202e`). Newlines and tabs
stay; a CRLF line ending becomes a newline. The --json stream and the session log keep the exact
text: only what is printed for people goes through here.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls; zero-width and bidirectional controls, which
# can make text read differently from what it is (the "Trojan Source" characters).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def neutralise(text: object) -> str:
    """`text` as a string with every terminal control character shown as an escape."""
    s = text if isinstance(text, str) else str(text)
    if "\r\n" in s:
        s = s.replace("\r\n", "\n")
    return _UNSAFE.sub(_visible, s)
