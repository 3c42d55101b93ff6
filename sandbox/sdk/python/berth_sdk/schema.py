"""JSON Schemas from Python type hints, shaped exactly as fastmcp (via pydantic) shapes them.

The rules mirror pydantic's validation-mode JSON Schema generation followed by fastmcp's clean-up:
keys sorted alphabetically (except inside ``properties``), titles dropped, ``$ref`` inlined, defaults
kept as JSON values, and descriptions from ``Field`` or the docstring.
"""

import dataclasses
import enum
import inspect
import re
import types
import typing

from pydantic import BaseModel, FieldInfo, MISSING

NoneType = type(None)
_UNION_ORIGINS = (typing.Union, types.UnionType)


class SchemaError(TypeError):
    """A type hint the schema generator cannot express."""


def to_jsonable(value):
    """Converts a default value or a result to plain JSON data, as pydantic serializes it."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, BaseModel):
        return {k: to_jsonable(v) for k, v in value.model_dump().items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(to_jsonable(k)): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _is_typeddict(tp):
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__required_keys__")


def is_object_type(tp):
    """True when ``tp`` produces an object schema (so a result needs no ``{"result": ...}`` wrap)."""
    tp = strip_annotated(tp)[0]
    if tp is dict or typing.get_origin(tp) is dict:
        return True
    return (
        _is_typeddict(tp)
        or (isinstance(tp, type) and dataclasses.is_dataclass(tp))
        or (isinstance(tp, type) and issubclass(tp, BaseModel))
    )


def strip_annotated(tp):
    """Splits ``Annotated[T, meta...]`` into ``(T, [meta...])``; other types come back unchanged."""
    metadata = []
    while typing.get_origin(tp) is typing.Annotated:
        args = typing.get_args(tp)
        tp = args[0]
        metadata = list(args[1:]) + metadata
    return tp, metadata


def field_from_metadata(metadata):
    """Folds ``Annotated`` metadata (``Field(...)`` or a bare string) into one FieldInfo."""
    merged = FieldInfo()
    for item in metadata:
        if isinstance(item, FieldInfo):
            merged = merged.merge(item)
        elif isinstance(item, str):
            merged = merged.merge(FieldInfo(description=item))
    return merged


class _Generator:
    """Builds one schema; shared definitions are inlined at the end (fastmcp dereferences them)."""

    def __init__(self):
        self.defs = {}
        self._building = set()

    def generate(self, tp):
        tp, metadata = strip_annotated(tp)
        schema = self._inner(tp)
        if metadata:
            schema = apply_field(schema, field_from_metadata(metadata))
        return schema

    def _inner(self, tp):
        if tp is inspect.Parameter.empty or tp is typing.Any or tp is object:
            return {}
        if tp is None or tp is NoneType:
            return {"type": "null"}
        if isinstance(tp, typing.TypeVar):
            return {}
        if isinstance(tp, str):
            raise SchemaError(f"cannot resolve the forward reference {tp!r}")
        if tp is bool:
            return {"type": "boolean"}
        if tp is int:
            return {"type": "integer"}
        if tp is float:
            return {"type": "number"}
        if tp is str:
            return {"type": "string"}
        if tp in (bytes, bytearray):
            return {"format": "binary", "type": "string"}
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin in _UNION_ORIGINS:
            return self._union(args)
        if origin is typing.Literal:
            return _literal(args)
        if tp in (list, typing.List) or origin in (list, typing.Sequence) or tp is typing.Sequence:
            item = self.generate(args[0]) if args else {}
            return {"items": item, "type": "array"}
        if tp in (set, frozenset) or origin in (set, frozenset):
            item = self.generate(args[0]) if args else {}
            return {"items": item, "type": "array", "uniqueItems": True}
        if tp is tuple or origin is tuple:
            return self._tuple(args)
        if tp in (dict, typing.Dict) or origin in (dict, typing.Mapping) or tp is typing.Mapping:
            value = args[1] if len(args) == 2 else typing.Any
            value_schema = self.generate(value)
            return {"additionalProperties": value_schema if value_schema else True, "type": "object"}
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return self._ref(tp, self._enum)
        if _is_typeddict(tp):
            return self._ref(tp, self._typeddict)
        if isinstance(tp, type) and dataclasses.is_dataclass(tp):
            return self._ref(tp, self._dataclass)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return self._ref(tp, self._model)
        raise SchemaError(f"unsupported type {getattr(tp, '__name__', tp)!r}")

    def _union(self, args):
        choices = []
        for arg in args:
            schema = self.generate(arg)
            if schema not in choices:
                choices.append(schema)
        if len(choices) == 1:
            return choices[0]
        return {"anyOf": choices}

    def _tuple(self, args):
        if not args:
            return {"items": {}, "type": "array"}
        if len(args) == 2 and args[1] is Ellipsis:
            return {"items": self.generate(args[0]), "type": "array"}
        if args == ((),):
            return {"maxItems": 0, "minItems": 0, "type": "array"}
        return {
            "maxItems": len(args),
            "minItems": len(args),
            "prefixItems": [self.generate(a) for a in args],
            "type": "array",
        }

    def _ref(self, cls, build):
        key = cls.__qualname__
        if key not in self.defs and key not in self._building:
            self._building.add(key)
            self.defs[key] = build(cls)
            self._building.discard(key)
        elif key in self._building:
            raise SchemaError(f"recursive type {cls.__name__!r} is not supported")
        return {"$ref": key}

    def _enum(self, cls):
        values = [to_jsonable(m.value) for m in cls]
        schema = {"enum": values}
        kinds = {type(v) for v in values}
        if kinds == {str}:
            schema["type"] = "string"
        elif kinds == {int}:
            schema["type"] = "integer"
        elif kinds <= {int, float}:
            schema["type"] = "number"
        schema["title"] = cls.__name__
        doc = inspect.cleandoc(cls.__doc__) if cls.__doc__ else None
        if doc and doc != "An enumeration.":
            schema["description"] = doc
        return schema

    def _object(self, fields, doc, title):
        properties = {}
        required = []
        for name, tp, info, default in fields:
            schema = self.generate(tp)
            schema = {**schema, "title": title_from_name(name)}
            if info is not None:
                schema = apply_field(schema, info)
            if default is MISSING:
                required.append(name)
            else:
                schema = with_default(schema, default)
            properties[name] = schema
        schema = {"properties": properties}
        if required:
            schema["required"] = required
        schema["type"] = "object"
        schema["title"] = title
        if doc:
            schema["description"] = doc
        return schema

    def _dataclass(self, cls):
        hints = typing.get_type_hints(cls, include_extras=True)
        fields = []
        for f in dataclasses.fields(cls):
            if f.default is not dataclasses.MISSING:
                default = f.default
            elif f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            else:
                default = MISSING
            info = None
            if isinstance(default, FieldInfo):
                info, default = default, default.default
            fields.append((f.name, hints.get(f.name, typing.Any), info, default))
        doc = cls.__doc__
        if doc and doc.startswith(cls.__name__ + "("):
            doc = None
        return self._object(fields, inspect.cleandoc(doc) if doc else None, cls.__name__)

    def _typeddict(self, cls):
        hints = typing.get_type_hints(cls, include_extras=True)
        fields = [
            (name, tp, None, MISSING if name in cls.__required_keys__ else _NOT_REQUIRED)
            for name, tp in hints.items()
        ]
        doc = cls.__doc__
        return self._object(fields, inspect.cleandoc(doc) if doc else None, cls.__name__)

    def _model(self, cls):
        fields = [(name, tp, info, info.default_value()) for name, (tp, info) in cls.model_fields_info().items()]
        doc = cls.__doc__
        return self._object(fields, inspect.cleandoc(doc) if doc else None, cls.__name__)


class _NotRequired:
    """Marks a TypedDict key that may be absent: not required, and no default in the schema."""


_NOT_REQUIRED = _NotRequired()


def with_default(schema, default):
    if default is _NOT_REQUIRED:
        return schema
    return {**schema, "default": to_jsonable(default)}


def apply_field(schema, info):
    """Adds a Field's description, title and constraints, as pydantic names them."""
    extra = {}
    if info.description is not None:
        extra["description"] = info.description
    if info.title is not None:
        extra["title"] = info.title
    if info.examples is not None:
        extra["examples"] = to_jsonable(info.examples)
    is_array = schema.get("type") == "array"
    is_object = schema.get("type") == "object"
    for attr, key in (("ge", "minimum"), ("le", "maximum"), ("gt", "exclusiveMinimum"), ("lt", "exclusiveMaximum"), ("multiple_of", "multipleOf")):
        if getattr(info, attr) is not None:
            extra[key] = getattr(info, attr)
    for attr, kind in (("min_length", "min"), ("max_length", "max")):
        value = getattr(info, attr)
        if value is not None:
            word = "Items" if is_array else "Properties" if is_object else "Length"
            extra[kind + word] = value
    if info.pattern is not None:
        extra["pattern"] = info.pattern
    if info.json_schema_extra:
        extra.update(info.json_schema_extra)
    return {**schema, **extra}


def _literal(values):
    values = [to_jsonable(v) for v in values]
    kinds = {type(v) for v in values}
    schema = {"const": values[0]} if len(values) == 1 else {"enum": values}
    names = {str: "string", int: "integer", float: "number", bool: "boolean", NoneType: "null"}
    if len(kinds) == 1 and next(iter(kinds)) in names:
        schema["type"] = names[next(iter(kinds))]
    return schema


def _sorted(schema, keep_order=False):
    """Sorts schema keys as pydantic does; ``properties`` keeps declaration order, values stay as given."""
    if isinstance(schema, dict):
        items = schema.items() if keep_order else sorted(schema.items())
        out = {}
        for key, value in items:
            if keep_order:
                out[key] = _sorted(value)
            elif key == "properties" or key == "$defs":
                out[key] = _sorted(value, keep_order=True)
            elif key in ("default", "const", "enum", "examples"):
                out[key] = value
            else:
                out[key] = _sorted(value)
        return out
    if isinstance(schema, list):
        return [_sorted(v) for v in schema]
    return schema


def _inline(schema, defs):
    """Replaces every ``{"$ref": name, ...siblings}`` by the definition followed by its siblings."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            target = _inline(defs[schema["$ref"]], defs)
            siblings = {k: _inline(v, defs) for k, v in schema.items() if k != "$ref"}
            return {**target, **siblings}
        return {k: (_inline(v, defs) if k not in ("default", "const", "enum", "examples") else v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_inline(v, defs) for v in schema]
    return schema


def title_from_name(name):
    """pydantic's default title for a field: ``top_k`` becomes ``Top K``."""
    return name.title().replace("_", " ").strip()


_STRUCTURAL = frozenset({"type", "properties", "$ref", "items", "allOf", "oneOf", "anyOf", "required"})
_METADATA = frozenset({"title", "description", "deprecated", "readOnly", "writeOnly"})
_LITERAL = frozenset({"default", "const", "examples", "example", "enum"})


def _prune_titles(node):
    """fastmcp's title pruning: drop ``title`` from every node that is clearly a schema."""
    if isinstance(node, list):
        return [_prune_titles(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in _LITERAL:
            out[key] = value
        elif key in ("properties", "$defs") and isinstance(value, dict):
            out[key] = {k: _prune_titles(v) for k, v in value.items()}
        else:
            out[key] = _prune_titles(value)
    if isinstance(out.get("title"), str) and (
        any(k in out for k in _STRUCTURAL) or all(k in _METADATA for k in out)
    ):
        del out["title"]
    return out


def finish(schema, defs):
    """Sorts, prunes titles, then inlines definitions, in the order pydantic and fastmcp do."""
    sorted_defs = {k: _prune_titles(_sorted(v)) for k, v in defs.items()}
    return _inline(_prune_titles(_sorted(schema)), sorted_defs)


@dataclasses.dataclass
class Param:
    """One tool or prompt parameter, as the schema and the argument binder see it."""

    name: str
    annotation: object
    default: object
    field: FieldInfo
    description: str | None


def input_schema(params):
    """The ``inputSchema`` of a tool whose parameters are ``params`` (context parameters excluded)."""
    gen = _Generator()
    properties = {}
    required = []
    for p in params:
        tp, metadata = strip_annotated(p.annotation)
        schema = gen._inner(tp)
        info = field_from_metadata(metadata).merge(p.field)
        title = info.title
        info.title = None
        schema = apply_field({**schema, "title": title or title_from_name(p.name)}, info)
        if p.default is MISSING:
            required.append(p.name)
        else:
            schema = with_default(schema, p.default)
        properties[p.name] = (schema, title, p.description)
    raw = {"properties": {name: s for name, (s, _, _) in properties.items()}}
    finished = finish(raw, gen.defs)["properties"]
    for name, (_, title, doc) in properties.items():
        if title is not None and title != title_from_name(name):
            finished[name]["title"] = title
        if doc and "description" not in finished[name]:
            finished[name]["description"] = doc
    result = {"type": "object", "additionalProperties": False, "properties": finished}
    if required:
        result["required"] = required
    return result


def output_schema(annotation):
    """The ``outputSchema`` for a return annotation, or None when fastmcp would not declare one."""
    if annotation in (inspect.Signature.empty, None, NoneType, typing.Any, Ellipsis):
        return None
    if _mentions_unserializable(annotation):
        return None
    bare = strip_annotated(annotation)[0]
    if bare in (list, tuple, typing.List, typing.Tuple, typing.Sequence):
        return None
    origin = typing.get_origin(bare)
    if origin in (list, tuple, typing.Sequence) and all(a is typing.Any or a is Ellipsis for a in typing.get_args(bare)):
        if not (origin is tuple and len(typing.get_args(bare)) == 2 and typing.get_args(bare)[1] is not Ellipsis):
            return None
    gen = _Generator()
    try:
        schema = gen.generate(annotation)
    except SchemaError:
        return None
    if is_object_type(annotation):
        return finish(schema, gen.defs)
    wrapped = {"properties": {"result": schema}, "required": ["result"], "type": "object"}
    out = finish(wrapped, gen.defs)
    out["x-fastmcp-wrap-result"] = True
    return out


def _mentions_unserializable(tp):
    from berth_sdk.content import UNSTRUCTURED_TYPES  # content imports this module; loaded by then

    tp = strip_annotated(tp)[0]
    if tp in (bytes, bytearray) or (isinstance(tp, type) and issubclass(tp, UNSTRUCTURED_TYPES)):
        return True
    return any(_mentions_unserializable(a) for a in typing.get_args(tp) if a is not Ellipsis)


_SECTION = re.compile(r"^\s*(Args|Arguments|Parameters|Params|Returns|Return|Raises|Yields|Examples?|Notes?)\s*:\s*$")
_PARAM = re.compile(r"^\s*\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")


def parse_docstring(doc):
    """Splits a docstring into its description and Google-style ``Args:`` descriptions."""
    if not doc:
        return None, {}
    lines = inspect.cleandoc(doc).splitlines()
    description = []
    params = {}
    section = None
    current = None
    base_indent = None
    for index, line in enumerate(lines):
        header = _SECTION.match(line) if index else None  # the first line is always the summary
        if header and not line.startswith((" ", "\t")):
            section = header.group(1).lower()
            current, base_indent = None, None
            continue
        if section is None:
            description.append(line)
            continue
        if section not in ("args", "arguments", "parameters", "params") or not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        match = _PARAM.match(line)
        if match and (base_indent is None or indent <= base_indent):
            base_indent = indent
            current = match.group(1)
            params[current] = match.group(2).strip()
        elif current:
            params[current] = (params[current] + "\n" + line.strip()).strip()
    text = "\n".join(description).strip()
    return (text or None), params


def raw_schema(annotation):
    """pydantic's schema for one type before fastmcp's clean-up (titles and ``$defs`` kept)."""
    gen = _Generator()
    schema = _sorted(gen.generate(annotation))
    if gen.defs:
        schema = {"$defs": {k: _sorted(v) for k, v in gen.defs.items()}, **schema}
        schema = _sorted(_refs_to_pointers(schema))
    return schema


def _refs_to_pointers(node):
    if isinstance(node, dict):
        return {k: ("#/$defs/" + v if k == "$ref" else _refs_to_pointers(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_refs_to_pointers(v) for v in node]
    return node
