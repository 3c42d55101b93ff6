"""OpenAPI schemas made JSON Schema, and listings dereferenced, as fastmcp 4.x does.

``to_json_schema`` is fastmcp's ``convert_openapi_schema_to_json_schema``: 3.0's ``nullable`` and boolean
exclusive bounds become JSON Schema, ``oneOf`` becomes ``anyOf``, OpenAPI-only keywords go, and readOnly
(inputs) or writeOnly (outputs) properties are removed. ``dereference`` is its listing middleware: every local
``$ref`` inlined, ``$defs`` dropped, a recursive schema left with its root resolved.
"""

import copy
import urllib.parse


def pointer(root, path):
    """``path`` (``a/b~1c``, the part after ``#/``) looked up in ``root``; None when a segment is missing."""
    node = root
    for segment in path.split("/") if path else []:
        key = segment.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict):
            node = node.get(key)
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return None
    return node


# OpenAPI to JSON Schema --------------------------------------------------------------------------

_OPENAPI_ONLY = ("nullable", "discriminator", "readOnly", "writeOnly", "xml", "externalDocs", "deprecated")
_RECURSE = (("properties", dict), ("$defs", dict), ("$definitions", dict), ("items", dict),
            ("additionalProperties", dict), ("allOf", list), ("anyOf", list), ("oneOf", list), ("not", dict))


def to_json_schema(schema, version=None, remove_read_only=False, remove_write_only=False, definitions=None):
    """fastmcp's ``convert_openapi_schema_to_json_schema``: OpenAPI keywords become JSON Schema."""
    if not isinstance(schema, dict):
        return schema
    if definitions is None and isinstance(schema.get("$defs"), dict):
        definitions = schema["$defs"]
    result = dict(schema)
    if remove_read_only or remove_write_only:
        keys = (("readOnly",) if remove_read_only else ()) + (("writeOnly",) if remove_write_only else ())
        excluded = _restricted(result, keys, definitions)
        if excluded:
            result = _drop(result, excluded)
    if version and version.startswith("3.0"):
        result = _nullable(result)
        for keyword, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
            flag = result.get(keyword)
            if isinstance(flag, bool):
                del result[keyword]
                if flag and bound in result:
                    result[keyword] = result.pop(bound)
    if "oneOf" in result:
        result["anyOf"] = result.pop("oneOf")
    result = _require_tag(result)
    for key in _OPENAPI_ONLY:
        result.pop(key, None)
    for key, kind in _RECURSE:
        value = result.get(key)
        args = (version, remove_read_only, remove_write_only, definitions)
        if kind is dict and isinstance(value, dict):
            if key in ("properties", "$defs", "$definitions"):
                result[key] = {k: to_json_schema(v, *args) if isinstance(v, dict) else v for k, v in value.items()}
            else:
                result[key] = to_json_schema(value, *args)
        elif kind is list and isinstance(value, list):
            result[key] = [to_json_schema(v, *args) if isinstance(v, dict) else v for v in value]
    return result


def _nullable(schema):
    if "nullable" not in schema:
        return schema
    result = dict(schema)
    if not result.pop("nullable"):
        return result
    if "type" in result:
        t = result["type"]
        if isinstance(t, str):
            result["type"] = [t, "null"]
        elif isinstance(t, list) and "null" not in t:
            result["type"] = [*t, "null"]
    elif "oneOf" in result:
        result["anyOf"] = [*result.pop("oneOf"), {"type": "null"}]
    elif "anyOf" in result:
        if not any(isinstance(i, dict) and i.get("type") == "null" for i in result["anyOf"]):
            result["anyOf"] = [*result["anyOf"], {"type": "null"}]
    elif "allOf" in result:
        result["anyOf"] = [{"allOf": result.pop("allOf")}, {"type": "null"}]
    if "enum" in result and None not in result["enum"]:
        result["enum"] = result["enum"] + [None]
    return result


def _require_tag(schema):
    d = schema.get("discriminator")
    if not isinstance(d, dict) or not isinstance(d.get("propertyName"), str):
        return schema
    prop = d["propertyName"]
    result = dict(schema)
    for key in ("anyOf", "oneOf"):
        if isinstance(result.get(key), list):
            result[key] = [_require(v, prop) if isinstance(v, dict) else v for v in result[key]]
    return result


def _require(schema, prop):
    required = schema.get("required")
    if required is None:
        return {**schema, "required": [prop]}
    if isinstance(required, list) and prop not in required:
        return {**schema, "required": [*required, prop]}
    return schema


def _scopes(schema, definitions, seen=None):
    seen = set() if seen is None else seen
    yield schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/") and ref not in seen:
        seen.add(ref)
        target = pointer(definitions or {}, ref[len("#/$defs/"):])
        if isinstance(target, dict):
            yield from _scopes(target, definitions, seen)
    for member in schema.get("allOf") if isinstance(schema.get("allOf"), list) else []:
        if isinstance(member, dict):
            yield from _scopes(member, definitions, seen)


def _restricted(schema, keys, definitions):
    names = set()
    for scope in _scopes(schema, definitions):
        props = scope.get("properties")
        if not isinstance(props, dict):
            continue
        for name, prop in props.items():
            if isinstance(prop, dict) and any(m.get(k) for m in _scopes(prop, definitions) for k in keys):
                names.add(name)
    return names


def _drop(schema, names):
    result = dict(schema)
    if isinstance(result.get("properties"), dict):
        result["properties"] = {k: v for k, v in result["properties"].items() if k not in names}
    if isinstance(result.get("required"), list):
        remaining = [n for n in result["required"] if n not in names]
        if remaining:
            result["required"] = remaining
        else:
            result.pop("required")
    for key in ("allOf", "anyOf", "oneOf"):
        if isinstance(result.get(key), list):
            result[key] = [_drop(m, names) if isinstance(m, dict) else m for m in result[key]]
    return result


# Serving listings --------------------------------------------------------------------------------

_DATA_KEYS = {"default", "const", "examples", "enum"}
_SUBSCHEMA_MAPS = {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}


def _strip_remote(node):
    if isinstance(node, dict):
        ref = node.get("$ref")
        return {k: _strip_remote(v) for k, v in node.items()
                if not (k == "$ref" and isinstance(ref, str) and not ref.startswith("#"))}
    if isinstance(node, list):
        return [_strip_remote(v) for v in node]
    return node


class _Cycle(Exception):
    pass


def _inline(node, root, active):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            if ref in active:
                raise _Cycle(ref)
            target = pointer(root, urllib.parse.unquote(ref[1:].lstrip("/")))
            if target is None:
                raise _Cycle(ref)
            inlined = _inline(target, root, active | {ref})
            siblings = {k: _inline(v, root, active) for k, v in node.items() if k not in ("$ref", "$defs")}
            if not isinstance(inlined, dict):
                return inlined if not siblings else {**siblings}
            return {**inlined, **siblings}
        return {k: (copy.deepcopy(v) if k in _DATA_KEYS else _inline(v, root, active)) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, root, active) for v in node]
    return node


def _strip_discriminator(node):
    if isinstance(node, dict):
        skip = "discriminator" in node and ("anyOf" in node or "oneOf" in node)
        if skip:
            node = _require_tag(node)
        out = {}
        for k, v in node.items():
            if k == "discriminator" and skip:
                continue
            if k in _SUBSCHEMA_MAPS and isinstance(v, dict):
                out[k] = {n: _strip_discriminator(s) for n, s in v.items()}
            elif k in _DATA_KEYS:
                out[k] = v
            else:
                out[k] = _strip_discriminator(v)
        return out
    if isinstance(node, list):
        return [_strip_discriminator(v) for v in node]
    return node


def _resolve_root(schema):
    ref = schema.get("$ref")
    if "type" in schema or not isinstance(ref, str) or not ref.startswith("#"):
        return schema
    resolved = {k: v for k, v in schema.items() if k != "$ref"}
    seen = set()
    while len(seen) < 32:
        if ref in seen:
            return schema
        seen.add(ref)
        target = pointer(schema, urllib.parse.unquote(ref[1:].lstrip("/")))
        if not isinstance(target, dict) or target is schema:
            return schema
        nxt = target.get("$ref")
        alias = "type" not in target and isinstance(nxt, str) and nxt.startswith("#")
        resolved = {**({k: v for k, v in target.items() if k != "$ref"} if alias else target), **resolved}
        if not alias:
            return resolved
        ref = nxt
    return schema


def _has_ref(node):
    if isinstance(node, dict):
        return "$ref" in node or any(_has_ref(v) for v in node.values())
    if isinstance(node, list):
        return any(_has_ref(v) for v in node)
    return False


def dereference(schema):
    """fastmcp's listing middleware: every local ``$ref`` inlined (its siblings after the target's keywords),
    ``$defs`` dropped; a recursive schema only has its root ``$ref`` resolved and keeps ``$defs``."""
    if schema is None or ("$defs" not in schema and not _has_ref(schema)):
        return schema
    schema = _strip_remote(schema)
    try:
        out = _inline(schema, schema, frozenset())
    except (_Cycle, RecursionError):
        return _resolve_root(schema)
    if not isinstance(out, dict):
        return _resolve_root(schema)
    out.pop("$defs", None)
    return _strip_discriminator(out)
