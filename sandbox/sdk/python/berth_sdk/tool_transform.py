"""Tool transformation as fastmcp 4.x does it (``fastmcp.tools.tool_transform``): ``Tool.from_tool(tool,
name=..., description=..., transform_args={"q": ArgTransform(name="query", ...)}, transform_fn=...)`` makes a
new tool over a parent one, with arguments renamed, redescribed, given defaults, retyped or hidden, and
optionally a function of its own that calls the parent through ``forward(...)``/``forward_raw(...)``.

Schemas are built from the parent's listed schema as fastmcp builds them; arguments of a transformed tool
are not validated by the transformed tool itself (the parent validates what reaches it), as natively.
"""

import contextvars
import copy
import dataclasses
import inspect
import typing

from berth_sdk.components import Tool, _return_hint
from berth_sdk.content import ToolResult, tool_result
from berth_sdk.schema import adapter, clean

_current = contextvars.ContextVar("berth_transformed_tool", default=None)


class _NotSet:
    def __repr__(self):
        return "NotSet"

    def __bool__(self):
        return False


NotSet = _NotSet()


@dataclasses.dataclass(kw_only=True)
class ArgTransform:
    """How one argument of the parent tool appears in the transformed tool."""

    name: typing.Any = NotSet
    description: typing.Any = NotSet
    default: typing.Any = NotSet
    default_factory: typing.Any = NotSet
    type: typing.Any = NotSet
    hide: bool = False
    required: typing.Any = NotSet
    examples: typing.Any = NotSet

    def __post_init__(self):
        has_default, has_factory = self.default is not NotSet, self.default_factory is not NotSet
        if has_default and has_factory:
            raise ValueError("Cannot specify both 'default' and 'default_factory' in ArgTransform. Use either "
                             "'default' for a static value or 'default_factory' for a callable.")
        if has_factory and not self.hide:
            raise ValueError("default_factory can only be used with hide=True. Visible parameters must use static "
                             "'default' values since JSON schema cannot represent dynamic factories.")
        if self.required is True and (has_default or has_factory):
            raise ValueError("Cannot specify 'required=True' with 'default' or 'default_factory'. Required "
                             "parameters cannot have defaults.")
        if self.hide and self.required is True:
            raise ValueError("Cannot specify both 'hide=True' and 'required=True'. Hidden parameters cannot be "
                             "required since clients cannot provide them.")
        if self.required is False:
            raise ValueError("Cannot specify 'required=False'. Set a default value instead.")


async def forward(**kwargs):
    """From a transformed tool's function: calls the parent with the transformed arguments mapped back."""
    tool = _current.get()
    if tool is None:
        raise RuntimeError("forward() can only be called within a transformed tool")
    return await tool.forwarding_fn(**kwargs)


async def forward_raw(**kwargs):
    """From a transformed tool's function: calls the parent with its own argument names, untransformed."""
    tool = _current.get()
    if tool is None:
        raise RuntimeError("forward_raw() can only be called within a transformed tool")
    return await run_tool(tool.parent_tool, kwargs)


async def run_tool(tool, arguments):
    """Runs ``tool`` with ``arguments`` (validated as it validates them) and gives its ``ToolResult``."""
    from berth_sdk.context import Context, _active_server

    kwargs = tool.bind_arguments(arguments)
    for name in tool.context_params:
        kwargs[name] = Context(_active_server)
    value = tool.call(kwargs)
    if inspect.isawaitable(value):
        value = await value
    blocks, structured, is_error, meta = tool_result(value, tool.output_schema, tool.name,
                                                     getattr(tool, "return_type", None))
    return ToolResult._of(blocks, structured, is_error, meta)


def _ensure_tool(tool):
    if isinstance(tool, Tool) or hasattr(tool, "input_schema") and hasattr(tool, "listing"):  # or a mounted one
        return tool
    from berth_sdk import standalone

    return Tool.from_function(tool, **standalone.recorded(tool, "tool"))


def _single(old_name, old_schema, transform, required):
    """``(new name, schema, required, $defs)`` for one kept argument."""
    new_name = transform.name if isinstance(transform.name, str) else old_name
    schema = dict(old_schema)
    if transform.description is not NotSet:
        if transform.description is None:
            schema.pop("description", None)
        else:
            schema["description"] = transform.description
    if transform.required is True:
        required = True
        schema.pop("default", None)
    if transform.default is not NotSet and transform.required is not True:
        schema["default"] = transform.default
        required = False
    defs = {}
    if transform.type is not NotSet:
        type_schema = adapter(transform.type).json_schema()
        defs = type_schema.pop("$defs", {})
        schema.update(type_schema)
    if transform.examples is not NotSet:
        schema["examples"] = transform.examples
    return new_name, schema, required, defs


def _object_schema(properties, required, defs):
    schema = {"type": "object", "properties": properties, "required": [p for p in properties if p in required],
              "additionalProperties": False}
    if defs:
        schema["$defs"] = defs
        schema = {"type": "object", **clean(schema)}
    return schema


def _forwarding(parent, transform_args):
    """The transformed schema and the function that maps its arguments back to the parent's."""
    parent_schema = parent.input_schema
    defs = copy.deepcopy(parent_schema.get("$defs", {}))
    parent_required = set(parent_schema.get("required", []))
    properties, required, new_to_old, hidden = {}, set(), {}, {}
    for old_name, old_schema in copy.deepcopy(parent_schema.get("properties", {})).items():
        transform = transform_args.get(old_name) or ArgTransform()
        if transform.hide:
            has_default = transform.default is not NotSet or transform.default_factory is not NotSet
            if not has_default and old_name in parent_required:
                raise ValueError(
                    f"Hidden parameter '{old_name}' has no default value in parent tool and no default or "
                    "default_factory provided in ArgTransform. Either provide a default or default_factory in "
                    "ArgTransform or don't hide required parameters.")
            if has_default:
                hidden[old_name] = transform
            continue
        new_name, schema, is_required, extracted = _single(old_name, old_schema, transform, old_name in parent_required)
        properties[new_name] = schema
        new_to_old[new_name] = old_name
        if is_required:
            required.add(new_name)
        for def_name, def_schema in extracted.items():
            if def_name in defs and defs[def_name] != def_schema:
                raise ValueError(f"$defs collision for '{def_name}': an ArgTransform introduces a definition with the "
                                 "same name as an existing $defs entry but a different schema. Rename one of the "
                                 "colliding types to avoid the conflict.")
            defs[def_name] = def_schema

    async def forwarding_fn(**kwargs):
        unknown = set(kwargs) - set(properties)
        if unknown:
            raise TypeError(f"Got unexpected keyword argument(s): {', '.join(sorted(unknown))}")
        missing = required - set(kwargs)
        if missing:
            raise TypeError(f"Missing required argument(s): {', '.join(sorted(missing))}")
        parent_args = {new_to_old.get(k, k): v for k, v in kwargs.items()}
        for old_name, transform in hidden.items():
            parent_args[old_name] = transform.default if transform.default is not NotSet else transform.default_factory()
        return await run_tool(parent, parent_args)

    return _object_schema(properties, required, defs), forwarding_fn


def _merge(base, override):
    """fastmcp's ``_merge_schema_with_precedence``: the function's schema, the transformed one on top."""
    merged = dict(base.get("properties", {}))
    base_required = set(base.get("required", []))
    over = override.get("properties", {})
    over_required = set(override.get("required", []))
    for name, schema in over.items():
        merged[name] = {**merged[name], **schema} if name in merged else dict(schema)
    required = set(over_required)
    for name in base_required:
        if name not in over or "default" not in merged[name] and name not in over_required:
            required.add(name)
    required -= {name for name, schema in merged.items() if "default" in schema}
    defs = dict(base.get("$defs", {}))
    for name, schema in override.get("$defs", {}).items():
        defs[name] = {**defs[name], **schema} if name in defs else dict(schema)
    schema = {"type": "object", "properties": merged,
              "required": [p for p in merged if p in required] + sorted(required - set(merged)),
              "additionalProperties": False}
    if defs:
        schema["$defs"] = defs
        schema = {"type": "object", **clean(schema)}
    return schema


class TransformedTool(Tool):
    """A tool made from another by ``Tool.from_tool``."""

    def __init__(self, parent, fn, forwarding_fn, input_schema, output_schema, transform_args, name, title,
                 description, tags, annotations, meta, version):
        self.parent_tool, self.fn, self.forwarding_fn = parent, fn, forwarding_fn
        self.transform_args = transform_args
        self.name, self._title, self.description = name, title, description
        self.tags, self.annotations, self.meta = tags, annotations, meta
        self.icons, self.version = parent.icons, version
        self.input_schema, self.output_schema = input_schema, output_schema
        self.params, self.context_params, self.hidden, self.dependencies = [], [], {}, {}
        self.timeout, self.task_mode = None, None
        self.return_type = None if fn is forwarding_fn else _return_hint(fn)

    @classmethod
    def from_tool(cls, tool, name=None, version=NotSet, title=NotSet, description=NotSet, tags=None,
                  transform_fn=None, transform_args=None, annotations=NotSet, output_schema=NotSet, meta=NotSet):
        tool = _ensure_tool(tool)
        transform_args = dict(transform_args or {})
        parent_params = set(tool.input_schema.get("properties", {}))
        unknown = set(transform_args) - parent_params
        if unknown:
            raise ValueError(f"Unknown arguments in transform_args: {', '.join(sorted(unknown))}. Parent tool "
                             f"`{tool.name}` has: {', '.join(sorted(parent_params))}")
        schema, forwarding_fn = _forwarding(tool, transform_args)
        parsed = Tool(transform_fn) if transform_fn is not None and not _has_kwargs(transform_fn) else None
        if transform_fn is not None and parsed is None:  # a **kwargs function: only its declared parameters
            parsed = Tool(_declared_only(transform_fn))
        if output_schema is NotSet:
            if parsed is not None and parsed.output_schema is None:
                final_output = None if _returns_tool_result(transform_fn) else tool.output_schema
            else:
                final_output = parsed.output_schema if parsed is not None else tool.output_schema
        else:
            final_output = output_schema
        if transform_fn is None:
            fn, final_schema = forwarding_fn, schema
        else:
            fn = transform_fn
            if not _has_kwargs(transform_fn):
                missing = set(schema.get("properties", {})) - set(parsed.input_schema.get("properties", {}))
                if missing:
                    raise ValueError(f"Function missing parameters required after transformation: "
                                     f"{', '.join(sorted(missing))}. Function declares: "
                                     f"{', '.join(sorted(parsed.input_schema.get('properties', {})))}")
            final_schema = _merge(parsed.input_schema, schema)
        kept = [old for old in parent_params if not (old in transform_args and transform_args[old].hide)]
        names = [transform_args[old].name if old in transform_args and isinstance(transform_args[old].name, str)
                 else old for old in kept]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"Multiple arguments would be mapped to the same names: {', '.join(duplicates)}")
        final_meta = tool.meta if meta is NotSet else meta
        return cls(tool, fn, forwarding_fn, final_schema, final_output, transform_args, name or tool.name,
                   tool._title if title is NotSet else title, tool.description if description is NotSet else description,
                   sorted(tags) if tags else tool.tags, tool.annotations if annotations is NotSet else _hints(annotations),
                   final_meta, tool.version if version is NotSet else version)

    def bind_arguments(self, arguments):
        """The arguments as sent, with the transformed schema's defaults filled in (a hidden argument's
        ``default_factory`` called each time), as fastmcp runs a transformed tool."""
        arguments = dict(arguments or {})
        for name, schema in self.input_schema.get("properties", {}).items():
            if name in arguments or "default" not in schema:
                continue
            factory = next((t.default_factory for old, t in self.transform_args.items()
                            if (t.name if t.name is not NotSet else old) == name and t.default_factory is not NotSet),
                           NotSet)
            arguments[name] = factory() if callable(factory) else schema["default"]
        return arguments

    def call(self, kwargs):
        return self._run(kwargs)

    async def _run(self, kwargs):
        token = _current.set(self)
        try:
            value = self.fn(**kwargs)
            if inspect.isawaitable(value):
                value = await value
        finally:
            _current.reset(token)
        if isinstance(value, ToolResult) and self.output_schema is not None and \
                self.output_schema.get("type") != "object" and not self.output_schema.get("x-fastmcp-wrap-result"):
            return ToolResult._of(value.blocks(), None, value.is_error, value.meta)
        return value


def _hints(annotations):
    from berth_sdk.components import _annotations
    from berth_sdk.mcp_types import ToolAnnotations

    return _annotations(annotations, ToolAnnotations)


def _has_kwargs(fn):
    return any(p.kind == p.VAR_KEYWORD for p in inspect.signature(fn).parameters.values())


def _declared_only(fn):
    """``fn`` as seen without its ``**kwargs`` (for its schema)."""
    sig = inspect.signature(fn)
    params = [p for p in sig.parameters.values() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]

    def declared(**kwargs):
        return fn(**kwargs)

    declared.__signature__ = sig.replace(parameters=params)
    declared.__name__, declared.__doc__ = fn.__name__, fn.__doc__
    declared.__annotations__ = {k: v for k, v in getattr(fn, "__annotations__", {}).items()
                                if k in {p.name for p in params} or k == "return"}
    return declared


def _returns_tool_result(fn):
    try:
        hint = typing.get_type_hints(fn).get("return")
    except Exception:  # noqa: BLE001 - an unresolvable annotation is not ToolResult
        return False
    return isinstance(hint, type) and issubclass(hint, ToolResult)
