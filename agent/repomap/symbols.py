"""Definitions and references of one file, with one tree-sitter query per language.

Each query captures definitions as `@def.<kind>` (the whole node) with their `@name`, and every
identifier as `@ref`. One combined query run with `captures()` is about a third cheaper than
separate definition and reference passes, which matters on cold maps of thousands of files.

Python is read from the text instead (pyscan.py): regular expressions are several times cheaper
than a parse and query, and they tell imports, attribute uses and calls apart.

A file's record is a plain tuple so it pickles/marshals cheaply:
    (status, defs, refs, imports)
    status:  "ok" (parsed), "text" (no grammar), "binary", "huge", "generated"
    defs:    [(name, kind, line (1-based), depth, signature), ...] in source order
    refs:    {identifier: weight}: 1 per bare use, more per attribute use or call (pyscan.py);
             other languages count every identifier node once
    imports: [(module, [names])]: Python's `import a.b` is ("a.b", []), `from ..x import y, z`
             is ("..x", ["y", "z"]); resolved to files by imports.py. Empty for other languages.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache

from agent.languages import language_for, language_name
from agent.repomap.pyscan import scan

# Bump when the queries or the record shape change: it is part of the cache location.
EXTRACTOR_VERSION = 3
MAX_PARSE_BYTES = 512 * 1024  # larger files are almost always generated or data
MAX_SIG = 160

_JS_DEFS = """
(function_declaration name: (identifier) @name) @def.function
(generator_function_declaration name: (identifier) @name) @def.function
(method_definition name: [(property_identifier) (private_property_identifier)] @name) @def.method
(variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression)]) @def.function
(assignment_expression
  left: (member_expression property: (property_identifier) @name)
  right: [(arrow_function) (function_expression)]) @def.function
"""
_JS_REFS = "[(identifier) (property_identifier) (shorthand_property_identifier)] @ref"

_TS_DEFS = _JS_DEFS + """
(class_declaration name: (type_identifier) @name) @def.class
(abstract_class_declaration name: (type_identifier) @name) @def.class
(interface_declaration name: (type_identifier) @name) @def.interface
(type_alias_declaration name: (type_identifier) @name) @def.type
(enum_declaration name: (identifier) @name) @def.enum
(function_signature name: (identifier) @name) @def.function
(method_signature name: (property_identifier) @name) @def.method
(abstract_method_signature name: (property_identifier) @name) @def.method
"""

_C_DEFS = """
(function_definition declarator: (function_declarator declarator: (identifier) @name)) @def.function
(function_definition declarator: (pointer_declarator
   declarator: (function_declarator declarator: (identifier) @name))) @def.function
(declaration declarator: (function_declarator declarator: (identifier) @name)) @def.function
(struct_specifier name: (type_identifier) @name body: (field_declaration_list)) @def.struct
(union_specifier name: (type_identifier) @name body: (field_declaration_list)) @def.struct
(enum_specifier name: (type_identifier) @name body: (enumerator_list)) @def.enum
(type_definition declarator: (type_identifier) @name) @def.type
(preproc_function_def name: (identifier) @name) @def.macro
"""

QUERIES: dict[str, str] = {
    "javascript": _JS_DEFS + "(class_declaration name: (identifier) @name) @def.class\n" + _JS_REFS,
    "typescript": _TS_DEFS + _JS_REFS.replace("(identifier)", "(identifier) (type_identifier)"),
    "tsx": _TS_DEFS + _JS_REFS.replace("(identifier)", "(identifier) (type_identifier)"),
    "go": """
(function_declaration name: (identifier) @name) @def.function
(method_declaration name: (field_identifier) @name) @def.method
(type_spec name: (type_identifier) @name type: (struct_type)) @def.struct
(type_spec name: (type_identifier) @name type: (interface_type)) @def.interface
(type_spec name: (type_identifier) @name
   type: [(type_identifier) (qualified_type) (function_type) (map_type) (slice_type)
          (pointer_type) (channel_type) (array_type) (generic_type)]) @def.type
(method_elem name: (field_identifier) @name) @def.method
[(identifier) (field_identifier) (type_identifier)] @ref
""",
    "rust": """
(function_item name: (identifier) @name) @def.function
(function_signature_item name: (identifier) @name) @def.function
(struct_item name: (type_identifier) @name) @def.struct
(enum_item name: (type_identifier) @name) @def.enum
(union_item name: (type_identifier) @name) @def.struct
(trait_item name: (type_identifier) @name) @def.trait
(type_item name: (type_identifier) @name) @def.type
(macro_definition name: (identifier) @name) @def.macro
(impl_item type: (_) @name) @def.impl
[(identifier) (field_identifier) (type_identifier)] @ref
""",
    "java": """
(class_declaration name: (identifier) @name) @def.class
(interface_declaration name: (identifier) @name) @def.interface
(enum_declaration name: (identifier) @name) @def.enum
(record_declaration name: (identifier) @name) @def.class
(annotation_type_declaration name: (identifier) @name) @def.interface
(method_declaration name: (identifier) @name) @def.method
(constructor_declaration name: (identifier) @name) @def.method
[(identifier) (type_identifier)] @ref
""",
    "c": _C_DEFS + "[(identifier) (field_identifier) (type_identifier)] @ref",
    "cpp": _C_DEFS.replace(
        "declarator: (identifier) @name)) @def.function\n(function_definition declarator: (pointer",
        "declarator: [(identifier) (field_identifier) (qualified_identifier) (destructor_name)"
        " (operator_name)] @name)) @def.function\n(function_definition declarator: (pointer",
        1,
    ) + """
(field_declaration declarator: (function_declarator declarator: (field_identifier) @name)) @def.method
(class_specifier name: (type_identifier) @name body: (field_declaration_list)) @def.class
[(identifier) (field_identifier) (type_identifier) (namespace_identifier)] @ref
""",
    "ruby": """
(class name: [(constant) (scope_resolution)] @name) @def.class
(module name: [(constant) (scope_resolution)] @name) @def.module
(method name: (_) @name) @def.method
(singleton_method name: (_) @name) @def.method
[(identifier) (constant)] @ref
""",
}

_CONTAINERS = {"class", "interface", "struct", "trait", "impl", "module", "enum"}
_BINARY_SNIFF = 8192
_GENERATED = re.compile(rb"(?i)(code generated .{0,80}do not edit|@generated\b|autogenerated file)")


@cache
def _query(lang_name: str, language):
    from tree_sitter import Query

    return Query(language, QUERIES[lang_name])


@cache
def _by_suffix(suffix: str) -> tuple[str | None, object]:
    return language_name("x" + suffix), language_for("x" + suffix)


def _language(path: str) -> tuple[str | None, object]:
    """(name, tree_sitter.Language) of a file, from its suffix as PurePath computes it, without
    building a PurePath per call (three per file add up over thousands of files)."""
    name = path[path.rfind("/") + 1 :]
    dot = name.rfind(".")
    return _by_suffix(name[dot:] if 0 < dot < len(name) - 1 else "")


def classify(path: str, src: bytes) -> str | None:
    """Why a file is left out of the map ("binary", "huge", "generated"), or None."""
    if len(src) > MAX_PARSE_BYTES:
        return "huge"
    head = src[:_BINARY_SNIFF]
    if b"\0" in head:
        return "binary"
    if _GENERATED.search(src[:1024]):
        return "generated"
    if _language(path)[0] in ("javascript", "typescript", "tsx", "c", "cpp") and src.count(b"\n") < len(src) / 1000:
        return "generated"  # minified: lines average over 1,000 characters
    return None


def extract(path: str, src: bytes) -> tuple:
    """The record for one file's content (see the module docstring)."""
    why = classify(path, src)
    if why:
        return (why, [], {}, [])
    name, lang = _language(path)
    if name == "python":
        return ("ok", *scan(src))
    if lang is None or name not in QUERIES:
        return ("text", [], {}, [])
    from tree_sitter import Parser, QueryCursor

    tree = Parser(lang).parse(src)
    caps = QueryCursor(_query(name, lang)).captures(tree.root_node)
    defs = _definitions(src, caps, name)
    counts = Counter(src[n.start_byte : n.end_byte] for n in caps.get("ref", ()))
    # decode once per distinct name, not per occurrence
    return ("ok", defs, {k.decode("utf-8", "replace"): v for k, v in counts.items() if len(k) > 1}, [])


def _definitions(src: bytes, caps: dict, lang: str) -> list[tuple]:
    found = [(n.start_byte, -n.end_byte, cap[4:], n) for cap, nodes in caps.items() if cap.startswith("def.")
             for n in nodes]
    found.sort(key=lambda f: (f[0], f[1]))
    names = sorted(caps.get("name", ()), key=lambda n: n.start_byte)
    # A name belongs to the innermost definition containing it: `typedef struct a {..} b;` is
    # named b, its struct a. Sweep definitions and names together in source order.
    named: dict[int, object] = {}
    stack: list[tuple[int, int]] = []  # (end byte, index into found)
    j = 0
    for name in names:
        while j < len(found) and found[j][0] <= name.start_byte:
            while stack and stack[-1][0] <= found[j][0]:
                stack.pop()
            stack.append((-found[j][1], j))
            j += 1
        while stack and stack[-1][0] <= name.start_byte:
            stack.pop()
        if stack and stack[-1][1] not in named:
            named[stack[-1][1]] = name
    out: list[tuple] = []
    enclosing: list[tuple[int, str]] = []  # (end byte, kind) of enclosing definitions
    seen: set[int] = set()
    for idx, (start, neg_end, kind, node) in enumerate(found):
        name_node = named.get(idx)
        if name_node is None or start in seen:  # one node matched by two patterns: keep the first
            continue
        seen.add(start)
        while enclosing and enclosing[-1][0] <= start:
            enclosing.pop()
        inside = bool(enclosing) and enclosing[-1][1] in _CONTAINERS
        if kind == "function" and inside:
            kind = "method"
        elif kind == "method" and not inside and lang == "ruby":
            kind = "function"  # a `def` at the top level
        name = src[name_node.start_byte : name_node.end_byte].decode("utf-8", "replace")
        if kind != "impl":
            name = name.rsplit("::", 1)[-1].rsplit(".", 1)[-1]  # C++ Foo::bar, Ruby self.bar
        out.append((name, kind, node.start_point[0] + 1, len(enclosing), _signature(src, node)))
        enclosing.append((-neg_end, kind))
    return out


def _signature(src: bytes, node) -> str:
    """The definition's header: from the start of its line to its body, whitespace collapsed."""
    start = node.start_byte
    line_start = src.rfind(b"\n", 0, start) + 1
    body = node.child_by_field_name("body")
    if body is not None and body.start_byte > start:
        end = body.start_byte
        head = src[start:end]
        # a comment between header and body is not the header; no comment marker, no comment
        # (listing the children costs more than this check)
        if b"#" in head or b"/" in head or b"=begin" in head:
            for child in node.children:
                if child.type == "comment" and child.start_byte < end:
                    end = child.start_byte
                    break
    else:
        end = src.find(b"\n", start)
        end = node.end_byte if end == -1 else min(end, node.end_byte)
    text = src[line_start:end][: MAX_SIG * 4].decode("utf-8", "replace")
    text = " ".join(text.split()).rstrip("{:").rstrip()  # split() and re's \s: same whitespace
    if "( " in text or " )" in text:
        text = text.replace("( ", "(").replace(", )", ")").replace(" )", ")")
    if text.endswith("=") and "=>" not in text:
        text = text[:-1].rstrip()
    return text if len(text) <= MAX_SIG else text[: MAX_SIG - 1] + "…"
