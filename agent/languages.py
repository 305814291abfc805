"""Tree-sitter grammars by file extension, from per-language packages that ship their parsers.

Loaded lazily and cached: importing a grammar package costs a few milliseconds each, and most
runs touch one or two languages.
"""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import PurePath

# extension -> (language name, module, function returning the language pointer)
_GRAMMARS: dict[str, tuple[str, str, str]] = {
    ".py": ("python", "tree_sitter_python", "language"),
    ".pyi": ("python", "tree_sitter_python", "language"),
    ".js": ("javascript", "tree_sitter_javascript", "language"),
    ".mjs": ("javascript", "tree_sitter_javascript", "language"),
    ".cjs": ("javascript", "tree_sitter_javascript", "language"),
    ".jsx": ("javascript", "tree_sitter_javascript", "language"),
    ".ts": ("typescript", "tree_sitter_typescript", "language_typescript"),
    ".mts": ("typescript", "tree_sitter_typescript", "language_typescript"),
    ".cts": ("typescript", "tree_sitter_typescript", "language_typescript"),
    ".tsx": ("tsx", "tree_sitter_typescript", "language_tsx"),
    ".go": ("go", "tree_sitter_go", "language"),
    ".rs": ("rust", "tree_sitter_rust", "language"),
    ".java": ("java", "tree_sitter_java", "language"),
    ".c": ("c", "tree_sitter_c", "language"),
    ".h": ("c", "tree_sitter_c", "language"),
    ".cc": ("cpp", "tree_sitter_cpp", "language"),
    ".cpp": ("cpp", "tree_sitter_cpp", "language"),
    ".cxx": ("cpp", "tree_sitter_cpp", "language"),
    ".hpp": ("cpp", "tree_sitter_cpp", "language"),
    ".hh": ("cpp", "tree_sitter_cpp", "language"),
    ".rb": ("ruby", "tree_sitter_ruby", "language"),
}

# Extensions more than one grammar claims: a `.h` header is C or C++. Callers that must not mistake
# one for the other (the patch syntax guard) try each; the first is the default (_GRAMMARS).
_ALTERNATIVES: dict[str, list[tuple[str, str, str]]] = {
    ".h": [("c", "tree_sitter_c", "language"), ("cpp", "tree_sitter_cpp", "language")],
}


def language_name(path: str | PurePath) -> str | None:
    """The language of a file by its extension, or None when we have no grammar for it."""
    entry = _GRAMMARS.get(PurePath(path).suffix.lower())
    return entry[0] if entry else None


@cache
def _language(module: str, func: str):
    from tree_sitter import Language

    return Language(getattr(importlib.import_module(module), func)())


def language_for(path: str | PurePath):
    """The tree_sitter.Language for a file, or None (no grammar, or its package is missing)."""
    entry = _GRAMMARS.get(PurePath(path).suffix.lower())
    if entry is None:
        return None
    try:
        return _language(entry[1], entry[2])
    except (ImportError, AttributeError, ValueError):
        return None


def parser_for(path: str | PurePath):
    """A fresh tree_sitter.Parser for a file (parsers are not thread-safe), or None."""
    lang = language_for(path)
    if lang is None:
        return None
    from tree_sitter import Parser

    return Parser(lang)


def parser_candidates(path: str | PurePath) -> list[tuple[str, object]]:
    """(language name, fresh tree_sitter.Parser) for every grammar that may fit the file, default first."""
    suffix = PurePath(path).suffix.lower()
    entries = _ALTERNATIVES.get(suffix) or ([_GRAMMARS[suffix]] if suffix in _GRAMMARS else [])
    out = []
    for name, module, func in entries:
        try:
            lang = _language(module, func)
        except (ImportError, AttributeError, ValueError):
            continue
        from tree_sitter import Parser

        out.append((name, Parser(lang)))
    return out
