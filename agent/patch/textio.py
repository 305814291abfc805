"""Read a file as text lines and write it back with the same encoding, line endings and final newline."""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field

_BOMS = [(codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")]
_CONTROL = set(range(0, 32)) - {9, 10, 12, 13, 27}


class NotText(ValueError):
    """Binary or undecodable content: the patch engine refuses to touch it."""


@dataclass
class TextFile:
    lines: list[str]  # without line endings
    ends: list[str]  # the ending of each line ("" only possible for the last one)
    encoding: str
    eol: str  # dominant ending, used for added lines
    # (old start, old end, new start, new end) line ranges each hunk replaced, when built by a patch
    changed: list[tuple[int, int, int, int]] = field(default_factory=list)

    @property
    def final_newline(self) -> bool:
        return not self.lines or self.ends[-1] != ""

    @classmethod
    def decode(cls, data: bytes) -> TextFile:
        encoding = None
        for bom, enc in _BOMS:
            if data.startswith(bom):
                encoding = enc
                break
        if encoding is None:
            if b"\0" in data[:8192]:
                raise NotText("binary file (contains NUL bytes)")
            try:
                text = data.decode("utf-8")
                encoding = "utf-8"
            except UnicodeDecodeError:
                # Legacy 8-bit text (latin-1/cp1252) round-trips through latin-1 byte for byte.
                if sum(1 for b in data[:8192] if b in _CONTROL) > 0:
                    raise NotText("not a text file (undecodable bytes and control characters)") from None
                text, encoding = data.decode("latin-1"), "latin-1"
        else:
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                raise NotText(f"not decodable as {encoding}") from None
        return cls.from_text(text, encoding)

    @classmethod
    def from_text(cls, text: str, encoding: str = "utf-8") -> TextFile:
        # Only \n and \r\n end lines; a lone \r, \f or \u2028 stays inside its line.
        parts = text.split("\n")
        lines, ends = [], []
        for part in parts[:-1]:
            if part.endswith("\r"):
                lines.append(part[:-1])
                ends.append("\r\n")
            else:
                lines.append(part)
                ends.append("\n")
        if parts[-1]:
            lines.append(parts[-1])
            ends.append("")
        crlf = ends.count("\r\n")
        eol = "\r\n" if crlf * 2 > len(ends) - ends.count("") else "\n"
        return cls(lines, ends, encoding, eol)

    def encode(self) -> bytes:
        return self.text().encode(self.encoding)

    def text(self) -> str:
        return "".join(a + b for a, b in zip(self.lines, self.ends, strict=True))
