"""What a task's text and files point at in one tree: files first, personalisation, named idents.

Not every word of a task counts alike. `Concat`, ``JSONObject()``, `bulk_create` and
`QuerySet.filter` are names; "using", "items" and "admin" are mostly English that happens to
name a function or a file somewhere. A word is code-like when it is written as code (in
backticks or quotes, before `(` or after `.`), or its shape says so (an inner capital, an
underscore, a capital mid-sentence); other words count a fifth as much. A name or file stem that
many files share says little about any one of them, so its weight is shared out among them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

PLAIN = 0.2  # an English-looking word, against a code-like one
_TOKEN = re.compile(r"(?P<pre>[`'\".]?)(?P<word>[A-Za-z_][A-Za-z0-9_]*)(?P<post>[`'\"(]?)")
_PATHISH = re.compile(r"[\w.\-/]*[/.][\w.\-/]*\w")
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
_SENTENCE_END = re.compile(r"[.!?:]\s*$|^\s*$|\n\s*[*\-]?\s*$")


@dataclass
class Focus:
    """What the task text and files say, resolved against one tree."""

    first: list[int]  # files named, in order: shown first
    personal: dict[int, float]  # PageRank's personalisation
    mentioned: dict[str, float]  # identifiers the text names that the tree defines: strength
    named: set[int]  # files the focus names (by path or code-like file stem): never demoted


def words(text: str) -> dict[str, float]:
    """Each word of the text with its strength: 1 when code-like, PLAIN otherwise."""
    out: dict[str, float] = {}
    for m in _TOKEN.finditer(text):
        word = m.group("word")
        if len(word) < 3:
            continue
        code = bool(m.group("pre") or m.group("post")) or "_" in word or any(c.isupper() for c in word[1:])
        if not code and word[0].isupper():
            code = not _SENTENCE_END.search(text[max(0, m.start() - 3) : m.start()])
        out[word] = max(out.get(word, 0.0), 1.0 if code else PLAIN)
    return out


def resolve(paths: list[str], definers: dict[str, list[int]], text: str, files: list[str]) -> Focus:
    where = {p: i for i, p in enumerate(paths)}
    strength = words(text)
    mentioned = {w: s for w, s in strength.items() if w in definers}
    first = [where[p] for p in files if p in where]
    first += [i for i in named_paths(text, paths) if i not in first]
    first += [i for i in named_modules(text, paths) if i not in first]
    personal: dict[int, float] = dict.fromkeys(first, 1.0)
    named = set(first)
    stems: dict[str, float] = {}
    for w, s in strength.items():
        stems[w.lower()] = max(stems.get(w.lower(), 0.0), s)
    by_stem: dict[str, list[int]] = {}
    for i, p in enumerate(paths):
        stem = _stem(p).lower()
        if stem in stems:
            by_stem.setdefault(stem, []).append(i)
    for stem, files_ in by_stem.items():
        s = stems[stem]
        for i in files_:
            personal[i] = max(personal.get(i, 0.0), 0.5 * s / len(files_))
            if s == 1.0 and len(files_) <= 3:
                named.add(i)
    for name, s in mentioned.items():
        ds = definers[name]
        for i in ds:
            personal[i] = max(personal.get(i, 0.0), 0.5 * s / len(ds) ** 0.5)
    return Focus(first, personal, mentioned, named)


def _stem(path: str) -> str:
    """PurePosixPath(path).stem, without building a path object per file."""
    name = path[path.rfind("/") + 1 :]
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def normalise(focus_files: Iterable[str], root: Path) -> list[str]:
    """Focus files as posix paths relative to `root` (absolute ones outside it are dropped)."""
    out = []
    for f in focus_files or ():
        p = Path(f)
        if p.is_absolute():
            try:
                p = p.resolve().relative_to(root)
            except ValueError:
                continue
        s = PurePosixPath(p.as_posix()).as_posix()
        out.append(s[2:] if s.startswith("./") else s)
    return list(dict.fromkeys(out))


def named_modules(text: str, paths: list[str]) -> list[int]:
    """Python modules the text names by dotted path (`django.utils.html.escape` names
    django/utils/html.py): the longest prefix of each dotted name that is a module."""
    dotted = _DOTTED.findall(text)
    if not dotted:
        return []
    from agent.repomap.index import module_names

    modules = module_names(paths)
    out: list[int] = []
    for name in dotted:
        parts = name.split(".")
        for n in range(len(parts), 1, -1):  # one word alone is too weak: `click` in "click.echo"
            found = modules.get(".".join(parts[:n]))
            if found:
                out.extend(i for i in found if i not in out and not paths[i].endswith(".pyi"))
                break
    return out


def named_paths(text: str, paths: list[str]) -> list[int]:
    """Files the text names by path or file name (`agent/x.py`, `x.py`), in order of mention."""
    out: list[int] = []
    for token in _PATHISH.findall(text):
        token = token.strip("./") if token.startswith("./") else token.rstrip(".")
        if not token:
            continue
        for i, p in enumerate(paths):
            if (p == token or p.endswith("/" + token)) and i not in out:
                out.append(i)
    return out
