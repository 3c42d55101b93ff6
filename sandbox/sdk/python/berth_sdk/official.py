"""Tools and prompts as the official MCP SDK makes them from a function, for its two spellings
(``mcp.server.fastmcp.FastMCP``, SDK 1.x; ``MCPServer``, SDK 2.x).

The official SDK does not shape schemas as fastmcp does. Its arguments are one pydantic model per function,
``<function>Arguments``, whose JSON Schema is listed as pydantic writes it (``title``s and ``$defs`` kept) and
which validates a call's arguments (so pydantic's errors name ``<function>Arguments``); a string sent for a
non-``str`` parameter is read as JSON first when it holds a list or an object. Its results have an output
model chosen by the return annotation (a model or TypedDict as it is, ``dict[str, T]`` as
``<function>DictOutput``, an annotated class as a model of its fields, anything else wrapped under ``result``
in ``<function>Output``), which both lists the output schema and validates and dumps the structured result.
1.x and 2.x differ in the details noted where they apply.
"""

import collections.abc
import inspect
import json
import sys
import types
import typing

from pydantic import BaseModel, ConfigDict, Field, PydanticUserError, RootModel, TypeAdapter, ValidationError, \
    WithJsonSchema, create_model, validate_call
from pydantic.json_schema import GenerateJsonSchema
import typing_extensions
from pydantic_core import SchemaError
from typing_extensions import is_typeddict

from berth_sdk.binding import ArgumentError
from berth_sdk.components import Prompt, Tool, _return_hint
from berth_sdk.content import CONTENT_TYPES, ToolResult, _Media, jsonable, tool_result
from berth_sdk.errors import DefinitionError, ToolError, where
from berth_sdk.mcp_types import CallToolResult, Model
from berth_sdk.official_types import stand_in
from berth_sdk.schema import NoneType, strip_annotated

_UNION_ORIGINS = (typing.Union, types.UnionType)
_SCALARS = (str, int, float, bool, bytes, NoneType)


class _Arguments(BaseModel):
    """The base of every arguments model (the SDK's ``ArgModelBase``)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)


class _Strict(GenerateJsonSchema):
    """A schema pydantic would only warn about (a type it cannot describe) is no schema at all."""

    def emit_warning(self, kind, detail):
        raise ValueError(f"JSON schema warning: {kind} - {detail}")


def arguments_model(fn, params):
    """The pydantic model of ``fn``'s arguments (``params``: its parameters without the context)."""
    fields = {}
    for p in params:
        if p.name.startswith("_"):
            raise DefinitionError(f"{where(fn)}: parameter {p.name} of {fn.__name__} cannot start with '_' "
                                  "(the official SDK refuses it); rename it")
        annotation = p.annotation
        metadata = []
        if annotation is inspect.Parameter.empty:
            annotation = typing.Any
            metadata.append(WithJsonSchema({"title": p.name, "type": "string"}))
        name, options = p.name, {}
        if callable(getattr(BaseModel, name, None)):  # a field may not shadow BaseModel's methods
            name, options = f"field_{name}", {"alias": name}
        field = typing.Annotated[(annotation, *metadata, Field(**options))]
        fields[name] = field if p.raw_default is inspect.Parameter.empty else (field, p.raw_default)
    return create_model(f"{fn.__name__}Arguments", __base__=_Arguments, **fields)


def _inline_root_ref(schema):
    """A schema whose root is only a ``$ref`` gets the definition's keywords at its root (``$defs`` kept)."""
    ref = schema.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/$defs/"):
        return schema
    definition = schema["$defs"][ref[len("#/$defs/"):]]
    return {**definition, **{k: v for k, v in schema.items() if k != "$ref"}}


def _returns_content(tp):
    """SDK 2.x: a return annotation of content blocks or Image/Audio (bare, in a list or tuple, or in a union)
    is no structured output."""
    origin = typing.get_origin(tp)
    if origin is None:
        return isinstance(tp, type) and issubclass(tp, CONTENT_TYPES + (_Media,))
    if origin is typing.Annotated:
        return _returns_content(typing.get_args(tp)[0])
    if origin in _UNION_ORIGINS or origin in (list, tuple, collections.abc.Sequence):
        return any(_returns_content(a) for a in typing.get_args(tp))
    return False


def _class_model(cls):
    """An annotated class (a dataclass, ...) as a model of its annotated fields, read from attributes."""
    hints = typing.get_type_hints(cls)
    if not hints:
        return None  # a class without annotations has no structured output
    fields = {}
    for name, tp in hints.items():
        if name.startswith("_"):
            continue
        default = getattr(cls, name, inspect.Parameter.empty)
        fields[name] = tp if default is inspect.Parameter.empty else (tp, default)
    return create_model(cls.__name__, __config__=ConfigDict(from_attributes=True), **fields)


def _typeddict_model(td):
    """SDK 1.x: a TypedDict as a model of the same name; its optional keys default to None."""
    hints = typing.get_type_hints(td)
    required = getattr(td, "__required_keys__", set(hints))
    return create_model(td.__name__, **{k: tp if k in required else (tp, None) for k, tp in hints.items()})


def _extensions_typeddict(td):
    """SDK 2.x: before Python 3.12 pydantic reads only ``typing_extensions.TypedDict``; the SDK rebuilds a
    ``typing.TypedDict`` as one (its keys, required or not, docstring and names). The guest's Python is newer."""
    if sys.version_info >= (3, 12) or type(td).__module__ != "typing":
        return td
    hints = typing.get_type_hints(td, include_extras=True)
    required = getattr(td, "__required_keys__", set(hints))
    rebuilt = typing_extensions.TypedDict(td.__name__, {k: tp if k in required else typing_extensions.NotRequired[tp]
                                                        for k, tp in hints.items()})
    for attr in ("__doc__", "__module__", "__qualname__", "__pydantic_config__"):
        if hasattr(td, attr):
            setattr(rebuilt, attr, getattr(td, attr))
    return rebuilt


def _dict_model(func_name, tp):
    """SDK 1.x: ``dict[str, T]`` as a root model named ``<function>DictOutput``."""
    return type(f"{func_name}DictOutput", (RootModel[tp],), {"__module__": __name__})


class Output:
    """A tool's output model: its JSON Schema, and how a return value becomes structured content."""

    def __init__(self, sdk, model, wrap):
        self.sdk, self.model, self.wrap = sdk, model, wrap
        if sdk == 1:
            self.adapter = None
            self.schema = _inline_root_ref(model.model_json_schema(schema_generator=_Strict))
        else:
            self.adapter = TypeAdapter(model)
            self.schema = _inline_root_ref(self.adapter.json_schema(schema_generator=_Strict))

    def structured(self, value):
        """The structured content of a return value (pydantic validates it against the output model)."""
        value = _plain(value)
        if self.wrap:
            value = {"result": value}
        if self.adapter is None:
            return self.model.model_validate(value).model_dump(mode="json", by_alias=True)
        validated = self.adapter.validate_python(value, by_alias=True, by_name=True)
        if isinstance(validated, BaseModel):
            return validated.model_dump(mode="json", by_alias=True)
        return self.adapter.dump_python(validated, mode="json", by_alias=True)

    def check(self, structured):
        """A returned ``CallToolResult``'s structured content must fit the output model."""
        if self.adapter is None:
            self.model.model_validate(structured)
        else:
            self.adapter.validate_python(structured)


def _plain(value):
    """``mcp.types`` records as the dicts pydantic validates (they are not pydantic models in Berth)."""
    if isinstance(value, Model):
        return value.model_dump(by_alias=True)
    if isinstance(value, (list, tuple)) and any(isinstance(v, Model) for v in value):
        return type(value)(_plain(v) for v in value)
    return value


def _output_model(sdk, func_name, annotation, tp):
    """``(model, wrap)`` for a return type, or ``(None, False)`` when it has no structured output."""
    if tp is None:
        return create_model(f"{func_name}Output", result=annotation), True
    if isinstance(tp, types.GenericAlias):
        args = typing.get_args(tp)
        if typing.get_origin(tp) is dict and len(args) == 2 and args[0] is str:
            if sdk == 1:
                return _dict_model(func_name, tp), False
            return typing.Annotated[tp, Field(title=f"{func_name}DictOutput")], False
        return create_model(f"{func_name}Output", result=annotation), True
    if isinstance(tp, type):
        if issubclass(tp, BaseModel):
            return tp, False
        if is_typeddict(tp):
            return (_typeddict_model(tp) if sdk == 1 else _extensions_typeddict(tp)), False
        if tp in _SCALARS:
            return create_model(f"{func_name}Output", result=annotation), True
        if issubclass(tp, (_Media, Model)):  # Berth's records: the SDK's own classes have no annotations
            return None, False
        return _class_model(tp), False
    return create_model(f"{func_name}Output", result=annotation), True


def output(sdk, fn, name, structured_output, at):
    """The tool's ``Output``, or None when it lists no output schema (as the official SDK decides)."""
    if structured_output is False:
        return None
    annotation = _return_hint(fn)
    if annotation is inspect.Signature.empty:
        if structured_output is True:
            raise DefinitionError(f"{at}: tool '{name}': structured_output=True needs a return annotation")
        return None
    tp, metadata = strip_annotated(annotation)
    if typing.get_origin(tp) in _UNION_ORIGINS and any(
            isinstance(a, type) and issubclass(a, CallToolResult) for a in typing.get_args(tp) if a is not NoneType):
        raise DefinitionError(f"{at}: tool '{name}': CallToolResult cannot be used in Union or Optional types; "
                              "to return empty results, use CallToolResult(content=[])")
    if isinstance(tp, type) and issubclass(tp, CallToolResult):
        if not metadata:
            return None
        tp = metadata[0]
        annotation = typing.Annotated[(tp, *metadata[1:])] if len(metadata) > 1 else tp
    if sdk == 2 and structured_output is None and _returns_content(tp):
        return None
    if sdk == 1:  # its content blocks are pydantic models, described and dumped as any other
        tp, annotation = stand_in(tp), stand_in(annotation)
    func_name = fn.__name__
    try:
        model, wrap = _output_model(sdk, func_name, annotation, tp)
        found = None if model is None else Output(sdk, model, wrap)
    except (PydanticUserError, NameError, TypeError, ValueError, SchemaError, ValidationError):
        found = None  # a type pydantic cannot describe: no structured output, as natively
    if found is None and structured_output is True:
        raise DefinitionError(f"{at}: tool '{name}': return type {tp} is not serializable for structured output")
    return found


_JSON_TYPES = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
               "null": (type(None),), "object": (dict,), "array": (list, tuple)}


def _is_type(value, name):
    if name in ("integer", "number") and isinstance(value, bool):
        return False
    if name == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _JSON_TYPES.get(name, object))


def _errors(value, schema, root, depth):
    """``(depth, message)`` for each keyword ``value`` fails, in the schema's keyword order."""
    if not isinstance(schema, dict):
        return
    for key, expected in schema.items():
        if key == "$ref" and isinstance(expected, str) and expected.startswith("#/$defs/"):
            yield from _errors(value, root.get("$defs", {}).get(expected[len("#/$defs/"):]), root, depth)
        elif key == "type":
            names = expected if isinstance(expected, list) else [expected]
            if not any(_is_type(value, n) for n in names):
                yield depth, f"{value!r} is not of type {', '.join(repr(n) for n in names)}"
        elif key == "enum" and value not in expected:
            yield depth, f"{value!r} is not one of {expected!r}"
        elif key == "const" and value != expected:
            yield depth, f"{expected!r} was expected"
        elif key == "required" and isinstance(value, dict):
            for name in expected:
                if name not in value:
                    yield depth, f"{name!r} is a required property"
        elif key == "properties" and isinstance(value, dict):
            for name, sub in expected.items():
                if name in value:
                    yield from _errors(value[name], sub, root, depth + 1)
        elif key == "additionalProperties" and isinstance(value, dict) and isinstance(expected, dict):
            for name, item in value.items():
                if name not in schema.get("properties", {}):
                    yield from _errors(item, expected, root, depth + 1)
        elif key == "items" and isinstance(value, (list, tuple)) and isinstance(expected, dict):
            for item in value:
                yield from _errors(item, expected, root, depth + 1)
        elif key == "anyOf" and not any(next(_errors(value, sub, root, depth), None) is None for sub in expected):
            yield depth, f"{value!r} is not valid under any of the given schemas"


def schema_error(value, schema):
    """The message of the SDK 1.x's check of structured content against the output schema (jsonschema's
    ``validate``: of the failures, one nearest the root, the first found), or None when it fits. The keywords
    pydantic writes are checked (type, enum, const, required, properties, additionalProperties, items, anyOf,
    ``$ref``); an ``anyOf`` failure is reported as a whole."""
    found = list(_errors(value, schema, schema, 0))
    if not found:
        return None
    shallowest = min(depth for depth, _ in found)
    return next(message for depth, message in found if depth == shallowest)


def pre_parse(model, arguments):
    """A string sent for a non-``str`` parameter that holds JSON (a list or an object) is read as JSON."""
    fields = {}
    for field_name, info in model.model_fields.items():
        fields[field_name] = info
        if info.alias:
            fields[info.alias] = info
    out = dict(arguments)
    for key, value in arguments.items():
        info = fields.get(key)
        if info is None or not isinstance(value, str) or info.annotation is str:
            continue
        try:
            parsed = json.loads(value)
        except (ValueError, RecursionError):
            continue
        if not isinstance(parsed, (str, int, float)):
            out[key] = parsed
    return out


class OfficialTool(Tool):
    """A tool of the official SDK's spellings: its schemas, arguments and structured results (``sdk``: 1 or 2)."""

    sdk = 1

    def __init__(self, fn, name=None, title=None, description=None, *args, **kwargs):
        super().__init__(fn, name, title, description, *args, **kwargs)
        self.description = description or fn.__doc__ or ""  # the docstring as written

    def _schemas(self, fn, output_schema_override, structured_output):
        at = where(fn)
        self.arguments_model = arguments_model(fn, self.params)
        schema = self.arguments_model.model_json_schema(by_alias=True)
        if self.sdk == 2:
            schema = {"type": "object", **schema}
        self.output = output(self.sdk, fn, self.name, structured_output, at)
        if output_schema_override is not ...:
            return schema, output_schema_override
        return schema, None if self.output is None else self.output.schema

    def bind_arguments(self, arguments):
        if not isinstance(arguments, dict):
            raise ArgumentError("arguments must be a JSON object")
        try:
            model = self.arguments_model.model_validate(pre_parse(self.arguments_model, arguments))
        except ValidationError as exc:
            raise ToolError(str(exc)) from None
        return {info.alias or name: getattr(model, name) for name, info in type(model).model_fields.items()}

    def result(self, value):
        """``(blocks, structured, is_error, meta)``: blocks as the SDK converts the value, structured content
        from the output model."""
        from berth_sdk.flavours import official_blocks

        if isinstance(value, CallToolResult):
            if self.output is not None and not value.isError:
                self.output.check(jsonable(value.structuredContent))
            return tool_result(value, None, self.name)
        if isinstance(value, ToolResult):
            return tool_result(value, None, self.name)
        blocks = official_blocks(value)
        if self.output is None:
            return blocks, None, False, None
        structured = self.output.structured(value)
        if self.sdk == 1:  # its server checks the structured content against the output schema
            problem = schema_error(structured, self.output.schema)
            if problem is not None:
                return [{"type": "text", "text": f"Output validation error: {problem}"}], None, True, None
        return blocks, structured, False, None


class Sdk2Tool(OfficialTool):
    sdk = 2


class OfficialPrompt(Prompt):
    """A prompt of the official SDK's spellings: arguments listed from its arguments model, required ones
    checked by name before the render, the rest validated by pydantic (``validate_call``) as it runs."""

    def __init__(self, fn, name=None, title=None, description=None, *args, **kwargs):
        super().__init__(fn, name, title, description, *args, **kwargs)
        self.description = description or fn.__doc__ or ""
        self._validated = validate_call(fn, config=ConfigDict(arbitrary_types_allowed=True))

    def _listed_arguments(self):
        schema = arguments_model(self.fn, self.params).model_json_schema()
        required = schema.get("required", [])
        out = []
        for name, prop in schema.get("properties", {}).items():
            arg = {"name": name}
            if prop.get("description") is not None:
                arg["description"] = prop["description"]
            arg["required"] = name in required
            out.append(arg)
        return out

    def bind_arguments(self, arguments):
        missing = {a["name"] for a in self.arguments if a["required"]} - set(arguments or {})
        if missing:
            raise ArgumentError(f"Missing required arguments: {missing}")
        return dict(arguments or {})

    def call(self, kwargs):
        return self._validated(**kwargs)

