"""``ctx.elicit``'s requested schema and the answer's reading, as fastmcp 4.x makes them.

A scalar, ``Literal``, ``Enum``, ``list[X]`` or a list of choices is wrapped in a ``value`` property of
fastmcp's ``ScalarElicitationType`` (pydantic's schema with its titles, enums inlined, the wrapper's own
title removed); a dataclass, TypedDict or model gives pydantic's schema of itself; the dict and nested-list
shorthands give SEP-1330's titled and multi-select enums. The schema must be flat (primitive properties
only), as fastmcp checks. ``response_type=None`` is refused, as fastmcp 4 refuses it. Beyond fastmcp, a
dict that is already a JSON Schema object is sent as given (Berth's conformance fixture uses that).
"""

import dataclasses
import enum
import typing

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import core_schema

NONE_RESPONSE_TYPE_ERROR = (
    "ctx.elicit() requires a response_type. The empty-schema form-mode request produced by response_type=None "
    "was ambiguous under the MCP spec and caused some clients to render an empty, non-functional form. Pass a "
    "type describing the data you expect back \u2014 use `bool` for a confirmation.")

T = typing.TypeVar("T")


@dataclasses.dataclass
class ScalarElicitationType(typing.Generic[T]):
    value: T


class ElicitationJsonSchema(GenerateJsonSchema):
    """pydantic's JSON Schema with every enum inlined (never a ``$ref``), and lists of choices as
    multi-select arrays (``anyOf`` items), as MCP elicitation needs."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._enum_definitions = {}

    def definitions_schema(self, schema):
        for definition in schema["definitions"]:
            if definition["type"] == "enum":
                self._enum_definitions[definition["ref"]] = definition
        return super().definitions_schema(schema)

    def definition_ref_schema(self, schema):
        found = self._enum_definitions.get(schema["schema_ref"])
        return self.enum_schema(found) if found is not None else super().definition_ref_schema(schema)

    def generate_inner(self, schema):
        if schema["type"] == "enum":
            return self.enum_schema(schema)
        if schema["type"] == "list":
            return self.list_schema(schema)
        return super().generate_inner(schema)

    def list_schema(self, schema: core_schema.ListSchema):
        items_schema = schema.get("items_schema")
        if items_schema and items_schema.get("type") == "enum":
            items = self.enum_schema(items_schema)
            return {"type": "array", "items": {"anyOf": items["oneOf"]} if "oneOf" in items else items}
        if items_schema:
            items = super().generate_inner(items_schema)
            if "const" in items or "enum" in items or "oneOf" in items:
                return {"type": "array", "items": {"anyOf": items["oneOf"]} if "oneOf" in items else items}
        return super().list_schema(schema)


class Config:
    """What to send (``schema``) and how to read the answer (``response_type``; ``raw``: take its ``value``)."""

    def __init__(self, schema, response_type, raw=False, as_given=False):
        self.schema, self.response_type, self.raw, self.as_given = schema, response_type, raw, as_given


def _choices(values):
    return typing.Literal[tuple(values)]


def _is_scalar(tp):
    return tp in (bool, int, float, str) or typing.get_origin(tp) is typing.Literal or (
        isinstance(tp, type) and issubclass(tp, enum.Enum))


def _titled_enum(choices, multi_select):
    pattern = [{"const": value, "title": (meta or {}).get("title", value)} for value, meta in choices.items()]
    return {"anyOf": pattern} if multi_select else {"oneOf": pattern, "type": "string"}


def _wrapped(value_schema):
    return {"type": "object", "properties": {"value": value_schema}, "required": ["value"]}


def schema_of(response_type):
    """The requested schema for a type, as fastmcp's ``get_elicitation_schema`` makes it."""
    from berth_sdk.schema import _refs, _resolve_root

    schema = _resolve_root(TypeAdapter(response_type).json_schema(schema_generator=ElicitationJsonSchema))
    if "$defs" in schema:  # definitions nothing refers to any more go, as fastmcp's compress_schema does
        used = _refs({k: v for k, v in schema.items() if k != "$defs"}, set())
        while True:
            more = _refs([schema["$defs"][n] for n in used if n in schema["$defs"]], set(used))
            if more == used:
                break
            used = more
        schema["$defs"] = {k: v for k, v in schema["$defs"].items() if k in used}
        if not schema["$defs"]:
            del schema["$defs"]
    if typing.get_origin(response_type) is ScalarElicitationType:
        schema.pop("title", None)
    check_flat(schema)
    return schema


def parse(response_type, response_title=None, response_description=None):
    """The ``Config`` for ``ctx.elicit(message, response_type, ...)``; TypeError/ValueError as fastmcp raises."""
    if response_type is None:
        raise TypeError(NONE_RESPONSE_TYPE_ERROR)
    if isinstance(response_type, dict) and response_type.get("type") == "object" and "properties" in response_type:
        return Config(response_type, None, as_given=True)
    has_metadata = response_title is not None or response_description is not None
    if isinstance(response_type, dict):
        if not response_type:
            raise ValueError("Dict response_type cannot be empty.")
        config = Config(_wrapped(_titled_enum(response_type, False)), _choices(response_type), raw=True)
    elif isinstance(response_type, list):
        config = _parse_list(response_type)
    elif typing.get_origin(response_type) is list or _is_scalar(response_type):
        wrapped = ScalarElicitationType[response_type]
        config = Config(schema_of(wrapped), wrapped)
    else:
        if has_metadata:
            raise TypeError("response_title and response_description are only supported when response_type is a "
                            "scalar, Literal, Enum, or the dict/list shorthand forms. For BaseModel or dataclass "
                            "response types, use Field(title=..., description=...) on the individual fields.")
        return Config(schema_of(response_type), response_type)
    value = config.schema.get("properties", {}).get("value")
    if value is not None:
        if response_title is not None:
            value["title"] = response_title
        if response_description is not None:
            value["description"] = response_description
    return config


def _parse_list(choices):
    if len(choices) == 1 and isinstance(choices[0], list) and choices[0] and all(isinstance(c, str) for c in choices[0]):
        return Config(_wrapped({"type": "array", "items": {"enum": choices[0]}}), list[_choices(choices[0])], raw=True)
    if len(choices) == 1 and isinstance(choices[0], dict) and choices[0]:
        return Config(_wrapped({"type": "array", "items": _titled_enum(choices[0], True)}),
                      list[_choices(choices[0])], raw=True)
    if choices and all(isinstance(c, str) for c in choices):
        wrapped = ScalarElicitationType[_choices(choices)]
        return Config(schema_of(wrapped), wrapped)
    raise ValueError(f"Invalid list response_type format. Received: {choices}")


def accepted_data(config, content):
    """The accepted answer read as fastmcp reads it (pydantic validates it against the response type)."""
    if config.as_given:
        return content
    if config.raw:
        if not isinstance(content, dict) or "value" not in content:
            raise ValueError("Elicitation response missing required 'value' field.")
        return TypeAdapter(config.response_type).validate_python(content["value"])
    data = TypeAdapter(config.response_type).validate_python(content)
    return data.value if isinstance(data, ScalarElicitationType) else data


_ALLOWED = {"string", "number", "integer", "boolean"}


def check_flat(schema):
    """fastmcp's ``validate_elicitation_json_schema``: a flat object of primitive properties."""
    if schema.get("type") != "object":
        raise TypeError(f"Elicitation schema must be an object schema, got type '{schema.get('type')}'. "
                        "Elicitation schemas are limited to flat objects with primitive properties only.")
    for name, prop in schema.get("properties", {}).items():
        kind = prop.get("type")
        if isinstance(kind, list) and "null" in kind:
            kind = [t for t in kind if t != "null"]
            kind = kind[0] if len(kind) == 1 else kind
        elif prop.get("nullable", False):
            continue
        if "const" in prop or "enum" in prop:
            continue
        if "$ref" in prop:
            ref = prop["$ref"]
            target = schema.get("$defs", {}).get(ref[8:], {}) if ref.startswith("#/$defs/") else {}
            if "enum" in target or target.get("type") in _ALLOWED:
                continue
            raise TypeError(f"Elicitation schema field '{name}' contains a reference '{ref}' that could not be "
                            "validated. Only references to enum types or primitive types are allowed.")
        if "oneOf" in prop or "anyOf" in prop:
            for option in prop.get("oneOf", []) + prop.get("anyOf", []):
                if "const" in option or "enum" in option:
                    continue
                if option.get("type") not in _ALLOWED:
                    raise TypeError(f"Elicitation schema field '{name}' has union type '{option.get('type')}' "
                                    f"which is not a primitive type. Only {_ALLOWED} are allowed in elicitation "
                                    "schemas.")
            continue
        if kind == "array":
            items = prop.get("items", {})
            if items.get("type") == "object":
                raise TypeError(f"Elicitation schema field '{name}' is an array of objects, but arrays of objects "
                                "are not allowed. Elicitation schemas must be flat objects with primitive properties "
                                "only.")
            options = items.get("oneOf", []) + items.get("anyOf", [])
            if "enum" in items or options and all("const" in o for o in options):
                continue
            raise TypeError(f"Elicitation schema field '{name}' is an array, but arrays are only allowed when items "
                            "are enums (for multi-select). Only enum arrays are supported in elicitation schemas.")
        if kind == "object":
            raise TypeError(f"Elicitation schema field '{name}' is an object, but nested objects are not allowed. "
                            "Elicitation schemas must be flat objects with primitive properties only.")
        if kind not in _ALLOWED:
            raise TypeError(f"Elicitation schema field '{name}' has type '{kind}' which is not a primitive type. "
                            f"Only {_ALLOWED} are allowed in elicitation schemas.")
