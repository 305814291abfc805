"""A Python file's definitions, imports and weighted references, read from its text.

Regular expressions over the bytes, not a syntax tree: on a cold map of Django this is several
times cheaper than tree-sitter's parse and query, and it gives what the map needs.

Definitions: `def`/`class` at the start of a line, outside triple-quoted strings; nesting from
indentation; the signature runs from the line's start to the header's colon (the same records
symbols.py builds for other languages).

References. Import statements name modules, not definitions: `from django.db import models`
says nothing about a function called `django` somewhere, so the words of a module path are not
counted, and a name bound to a module (`import numpy as np`) is not a reference to anything
defined under that name. The modules are returned for index.py to resolve to files.
Every other word counts: 1 per bare use, REF_ATTR more after a dot (`obj.name`), REF_CALL more
before a parenthesis (`name(`); `x.save()` says more about `save` than a local `save = 1` does.
Words in strings and comments count too: a docstring that names `QuerySet` is about it.
"""

from __future__ import annotations

import bisect
import functools
import keyword
import re
from collections import Counter

REF_ATTR = 2
REF_CALL = 2
MAX_SIG = 160

_TOKEN = re.compile(rb"(\.[ \t]*)?([A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]+)([ \t]*\()?")
_DEF = re.compile(rb"^([ \t]*)(?:async[ \t]+)?(def|class)[ \t]+([A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*)", re.M)
# the rest of a header without strings or comments: (params, nested twice), -> annotation, colon
_PARENS = rb"\((?:[^()'\"#]|\((?:[^()'\"#]|\([^()'\"#]*\))*\))*\)"
_HEAD = re.compile(rb"[ \t]*(?:\[[^\]'\"#]*\][ \t]*)?(?:" + _PARENS + rb")?[ \t]*(?:->[^:\n#'\"]*)?:")
_TRIPLE = re.compile(rb"\"\"\"|'''")
_IMPORT = re.compile(
    rb"^[ \t]*(?:from[ \t]+([.\w]+)[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)|import[ \t]+([^\n]*))", re.M)
_COMMENT = re.compile(rb"#[^\n]*")
_SKIP = frozenset(w.encode() for w in keyword.kwlist + ["self", "cls", "None", "True", "False"])


def scan(src: bytes) -> tuple[list[tuple], dict[str, int], list[tuple[str, list[str]]]]:
    """(definitions, {name: weight}, [(module, [imported names])]) of one Python file."""
    defs = definitions(src)
    refs, imports = references(src, defs)
    return defs, refs, imports


def definitions(src: bytes) -> list[tuple]:
    """[(name, kind, line, depth, signature)] in source order, as symbols.py describes."""
    spans = _strings(src)
    starts = [s for s, _ in spans]
    out: list[tuple] = []
    stack: list[tuple[int, str]] = []  # (indent, kind) of enclosing definitions
    line, counted = 1, 0
    body = 0  # where the previous definition's body starts
    for m in _DEF.finditer(src):
        start = m.start(2)
        k = bisect.bisect_right(starts, start) - 1
        if k >= 0 and spans[k][1] > start:
            continue  # a `def` line inside a docstring
        _close_blocks(src, stack, body, m.start(), spans, starts)
        indent = len(m.group(1).expandtabs())
        while stack and stack[-1][0] >= indent:
            stack.pop()
        kind = "class" if m.group(2) == b"class" else "function"
        if kind == "function" and stack and stack[-1][1] == "class":
            kind = "method"
        line += src.count(b"\n", counted, start)
        counted = start
        signature, body = _signature(src, m.start(), m.end())
        out.append((m.group(3).decode("utf-8", "replace"), kind, line, len(stack), signature))
        stack.append((indent, kind))
    return out


def _close_blocks(src: bytes, stack: list, begin: int, end: int, spans: list, starts: list) -> None:
    """Pop the definitions whose blocks a line of code at their indentation or less closed
    between `begin` and `end` (`if x:` after a method ends its class: nothing else would)."""
    while stack:
        found = _dedent(stack[-1][0]).search(src, begin, end)
        while found is not None:
            k = bisect.bisect_right(starts, found.start()) - 1
            if k < 0 or spans[k][1] <= found.start():
                break
            found = _dedent(stack[-1][0]).search(src, spans[k][1], end)  # that line was in a string
        if found is None:
            return
        indent = len(found.group().expandtabs()) - 1
        while stack and stack[-1][0] >= indent:
            stack.pop()
        begin = found.end()


@functools.cache
def _dedent(indent: int) -> re.Pattern:
    return re.compile(rb"^[ \t]{0,%d}[^ \t\r\n#]" % indent, re.M)


def _strings(src: bytes) -> list[tuple[int, int]]:
    """Spans of triple-quoted strings (a quote after a `#` on its line opens none)."""
    spans = []
    pos = 0
    while (m := _TRIPLE.search(src, pos)) is not None:
        line_start = src.rfind(b"\n", 0, m.start()) + 1
        if b"#" in src[line_start : m.start()]:
            pos = src.find(b"\n", m.end())
            if pos < 0:
                break
            continue
        end = src.find(m.group(), m.end())
        end = len(src) if end < 0 else end + 3
        spans.append((m.start(), end))
        pos = end
    return spans


def _signature(src: bytes, line_start: int, name_end: int) -> tuple[str, int]:
    """The header's text, whitespace collapsed, and where its body starts."""
    head = _HEAD.match(src, name_end)
    end = head.end() - 1 if head else _colon(src, name_end)
    text = src[line_start:end][: MAX_SIG * 4].decode("utf-8", "replace")
    text = " ".join(text.split())
    if "( " in text or " )" in text:
        text = text.replace("( ", "(").replace(", )", ")").replace(" )", ")")
    return (text if len(text) <= MAX_SIG else text[: MAX_SIG - 1] + "…"), end + 1


def _colon(src: bytes, i: int) -> int:
    """Where the header from `i` ends, skipping strings and comments (the rare slow case)."""
    depth, n = 0, len(src)
    while i < n:
        c = src[i]
        if c in b"([{":
            depth += 1
        elif c in b")]}":
            depth -= 1
        elif c == 58 and depth <= 0:  # ':'
            return i
        elif c == 35:  # '#': to the end of the line
            i = src.find(b"\n", i)
            if i < 0:
                return n
            continue
        elif c in b"'\"":
            quote = src[i : i + 3] if src[i : i + 3] in (b'"""', b"'''") else src[i : i + 1]
            j = i + len(quote)
            while j < n and src[j : j + len(quote)] != quote:
                j += 2 if src[j] == 92 else 1  # a backslash escapes what follows
            i = j + len(quote)
            continue
        elif c == 10 and depth <= 0 and src[i - 1] != 92:
            return i  # no colon on a header line: broken code, stop at the line's end
        i += 1
    return n


def references(src: bytes, defs: list[tuple] = ()) -> tuple[dict[str, int], list[tuple[str, list[str]]]]:
    """({name: weight}, [(module, [imported names])]) (see the module docstring)."""
    weights: dict[bytes, int] = {}
    for (dot, word, paren), n in Counter(_TOKEN.findall(src)).items():
        w = n * (1 + (REF_ATTR if dot else 0) + (REF_CALL if paren else 0))
        weights[word] = weights.get(word, 0) + w
    for d in defs:  # a definition's own name is not a use (`def name(` looked like a call)
        name = d[0].encode("utf-8", "replace")
        weights[name] = weights.get(name, 0) - 1 - (REF_CALL if b"(" in d[4].encode()[:200] else 0)
    imports: list[tuple[str, list[str]]] = []
    bound: set[bytes] = set()
    for m in _IMPORT.finditer(src):
        if m.group(1) is not None:
            module = m.group(1)
            imports.append((module.decode("ascii", "replace"), [n.decode("ascii", "replace")
                                                                for n in _names(m.group(2))]))
            _unweigh(weights, module)
            continue
        for item in _COMMENT.sub(b"", m.group(3)).split(b","):
            parts = item.split()
            if not parts:
                continue
            imports.append((parts[0].decode("ascii", "replace"), []))
            _unweigh(weights, parts[0])
            bound.add(parts[2] if len(parts) >= 3 and parts[1] == b"as" else parts[0].split(b".")[0])
    refs = {name.decode("utf-8", "replace"): w for name, w in weights.items()
            if w > 0 and name not in _SKIP and name not in bound}
    return refs, imports


def _unweigh(weights: dict[bytes, int], module: bytes) -> None:
    """Take back what a module path's words were counted as: `a.b` is a bare `a`, an attribute `b`."""
    for k, part in enumerate(module.split(b".")):
        if part:
            dotted = k > 0 or module.startswith(b".")
            weights[part] = weights.get(part, 0) - 1 - (REF_ATTR if dotted else 0)


def _names(text: bytes) -> list[bytes]:
    """The names of `from x import a, b as c, (d)`: a, b, d (or ["*"])."""
    text = _COMMENT.sub(b"", text).strip().strip(b"()\\")
    out = []
    for item in text.replace(b"\\\n", b" ").split(b","):
        parts = item.split()
        if parts:
            out.append(parts[0].strip(b"()"))
    return out
