"""An MCP tool's input schema made strict for the provider where that keeps its meaning.

Strict function calling needs every property listed in `required` and `additionalProperties: false`
on every object. An optional property becomes required-but-nullable, and `drop_nulls` takes those
nulls out again before the call reaches the server, so the server sees what it asked for. A
schema using anything strict mode cannot express (free-form objects, allOf/oneOf/not, pattern
properties, ...) is sent as it is, non-strict.
"""

from __future__ import annotations

import copy
from typing import Any

# Keywords strict mode accepts; annotations we may drop without changing what is valid.
_STRICT_KEYWORDS = {"type", "properties", "required", "additionalProperties", "items", "enum", "const",
                    "anyOf", "description", "$ref", "$defs", "definitions", "pattern", "format", "minimum",
                    "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minItems", "maxItems"}
_ANNOTATIONS = {"title", "default", "examples", "$schema", "$id", "$comment", "readOnly", "writeOnly",
                "deprecated"}


class NotStrict(Exception):
    pass


def for_model(schema: dict[str, Any] | None) -> tuple[dict[str, Any], bool]:
    """(the schema to send, whether it is strict)."""
    base = copy.deepcopy(schema) if isinstance(schema, dict) else {}
    base.setdefault("type", "object")
    base.setdefault("properties", {})
    try:
        strict = _strict(copy.deepcopy(base), root=True)
    except NotStrict:
        base.pop("$schema", None)
        return base, False
    return strict, True


def _strict(node: Any, root: bool = False) -> dict[str, Any]:
    if not isinstance(node, dict):
        raise NotStrict
    for key in list(node):
        if key in _ANNOTATIONS:
            del node[key]
        elif key not in _STRICT_KEYWORDS:
            raise NotStrict(key)
    for defs in ("$defs", "definitions"):
        if defs in node:
            node[defs] = {k: _strict(v) for k, v in node[defs].items()}
    if "anyOf" in node:
        if root:
            raise NotStrict("anyOf at the root")
        node["anyOf"] = [_strict(v) for v in node["anyOf"]]
    types = node.get("type")
    type_list = types if isinstance(types, list) else [types] if types else []
    if "object" in type_list or "properties" in node:
        _strict_object(node)
    if "array" in type_list:
        if "items" not in node or not isinstance(node["items"], dict):
            raise NotStrict("array without an items schema")
        node["items"] = _strict(node["items"])
    elif "items" in node:
        raise NotStrict("items without type array")
    return node


def _strict_object(node: dict[str, Any]) -> None:
    extra = node.get("additionalProperties", False)
    props = node.get("properties")
    if extra is not False or not isinstance(props, dict):
        raise NotStrict("free-form object")
    required = set(node.get("required", []))
    for name, sub in list(props.items()):
        sub = _strict(sub)
        if name not in required:
            sub = _nullable(sub)
        props[name] = sub
    node["required"] = list(props)
    node["additionalProperties"] = False


def _nullable(node: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return {"anyOf": [node, {"type": "null"}]}
    if "anyOf" in node:
        if not any(s.get("type") == "null" for s in node["anyOf"]):
            node["anyOf"].append({"type": "null"})
        return node
    types = node.get("type")
    if types is None:
        raise NotStrict("an optional property without a type")
    if isinstance(types, str):
        types = [types]
    if "null" not in types:
        node["type"] = [*types, "null"]
    if "enum" in node and None not in node["enum"]:
        node["enum"] = [*node["enum"], None]
    if "const" in node:
        node["enum"] = [node.pop("const"), None]
    return node


def drop_nulls(value: Any, original: dict[str, Any] | None) -> Any:
    """The model's arguments with the nulls strict mode made it write for optional properties taken
    out again (where the server's own schema does not allow null there)."""
    if not isinstance(original, dict):
        return value
    if isinstance(value, dict):
        props = original.get("properties") or {}
        required = set(original.get("required") or [])
        out = {}
        for key, item in value.items():
            sub = props.get(key)
            if item is None and key not in required and not _allows_null(sub):
                continue
            out[key] = drop_nulls(item, sub)
        return out
    if isinstance(value, list) and isinstance(original.get("items"), dict):
        return [drop_nulls(item, original["items"]) for item in value]
    return value


def _allows_null(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    types = schema.get("type")
    if types == "null" or (isinstance(types, list) and "null" in types):
        return True
    return any(_allows_null(s) for s in schema.get("anyOf") or [])
