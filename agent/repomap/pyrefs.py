"""What a Python file refers to, read from its text: imported modules, and weighted names.

Import statements name modules, not definitions: `from django.db import models` says nothing
about a function called `django` somewhere, so the words of a module path are not counted as
references, and a name bound to a module (`import numpy as np`) is not a reference to anything
defined under that name. The modules themselves are returned for imports.py to resolve to files.

Every other word counts: 1 per bare use, REF_ATTR more after a dot (`obj.name`), REF_CALL more
before a parenthesis (`name(`); `x.save()` says more about `save` than a local `save = 1` does.
Words in strings and comments count too: a docstring that names `QuerySet` is about it.
A regex pass over the bytes is several times cheaper than walking a syntax tree for this.
"""

from __future__ import annotations

import keyword
import re
from collections import Counter

REF_ATTR = 2
REF_CALL = 2

_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]+")
_ATTR = re.compile(rb"\.[ \t]*([A-Za-z_][A-Za-z0-9_]+)")
_CALL = re.compile(rb"([A-Za-z_][A-Za-z0-9_]+)[ \t]*\(")
_DEFINED = re.compile(rb"\b(?:def|class)[ \t]+([A-Za-z_][A-Za-z0-9_]*)")
_IMPORT = re.compile(
    rb"^[ \t]*(?:from[ \t]+([.\w]+)[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)|import[ \t]+([^\n]*))", re.M)
_COMMENT = re.compile(rb"#[^\n]*")
_SKIP = frozenset(w.encode() for w in keyword.kwlist + ["self", "cls", "None", "True", "False"])


def python_refs(src: bytes) -> tuple[dict[str, int], list[tuple[str, list[str]]]]:
    """({name: weight}, [(module, [imported names])]) for one Python file (see module docstring)."""
    words = Counter(_WORD.findall(src))
    for name in _DEFINED.findall(src):  # a definition's own name is not a use
        words[name] -= 1
    calls = Counter(_CALL.findall(src))
    for name in _DEFINED.findall(src):
        calls[name] -= 1
    imports: list[tuple[str, list[str]]] = []
    bound: set[bytes] = set()
    for m in _IMPORT.finditer(src):
        if m.group(1) is not None:
            module, names = m.group(1), _names(m.group(2))
            imports.append((module.decode("ascii", "replace"), [n.decode("ascii", "replace") for n in names]))
            for part in module.split(b"."):
                words[part] -= 1
        else:
            for item in _COMMENT.sub(b"", m.group(3)).split(b","):
                parts = item.split()
                if not parts:
                    continue
                module = parts[0]
                imports.append((module.decode("ascii", "replace"), []))
                for part in module.split(b"."):
                    words[part] -= 1
                bound.add(parts[2] if len(parts) >= 3 and parts[1] == b"as" else module.split(b".")[0])
    attrs = Counter(_ATTR.findall(src))
    refs: dict[str, int] = {}
    for name, n in words.items():
        if n <= 0 or name in _SKIP or name in bound:
            continue
        weight = n + REF_ATTR * attrs.get(name, 0) + REF_CALL * max(calls.get(name, 0), 0)
        refs[name.decode("ascii")] = weight
    return refs, imports


def _names(text: bytes) -> list[bytes]:
    """The names of `from x import a, b as c, (d)`: a, b, d (or ["*"])."""
    text = _COMMENT.sub(b"", text).strip().strip(b"()\\")
    out = []
    for item in text.replace(b"\\\n", b" ").split(b","):
        parts = item.split()
        if parts:
            out.append(parts[0].strip(b"()"))
    return out
