"""``FastMCP``: the server object user code builds, and what the guest asks of it.

The decorators record tools, resources and prompts with everything ``describe`` lists; the
``call_tool``/``read_resource``/``get_prompt``/``complete`` methods run them and return MCP-shaped
data. Definition problems raise ``DefinitionError`` naming the file and line, at build time.
"""

import enum
import inspect
import json
import re
import typing

from berth_sdk import runtime
from berth_sdk.binding import ArgumentError, coerce, prepare
from berth_sdk.content import as_block, resource_contents, tool_result
from berth_sdk.context import Context
from berth_sdk.errors import DefinitionError, NotFound, ToolError, where
from berth_sdk.schema import (
    input_schema,
    output_schema,
    parse_docstring,
    raw_schema,
    strip_annotated,
    to_jsonable,
)


def _default_title(name):
    return name.replace("_", " ").replace("-", " ").title()


def _annotations(value):
    if value is None:
        return None
    data = value if isinstance(value, dict) else {k: v for k, v in vars(value).items() if v is not None}
    camel = {re.sub(r"_([a-z])", lambda m: m.group(1).upper(), k): v for k, v in data.items()}
    return {k: v for k, v in camel.items() if v is not None}


class Tool:
    """A registered tool: its function, listing and parameter binder."""

    def __init__(self, fn, name=None, title=None, description=None, tags=None, annotations=None,
                 meta=None, output_schema_override=...):
        self.fn = fn
        self.name = name or fn.__name__
        self.params, self.context_params = prepare(fn, kind="tool")
        summary, param_docs = parse_docstring(inspect.getdoc(fn))
        for p in self.params:
            p.description = param_docs.get(p.name)
        try:
            self.input_schema = input_schema(self.params)
            hints = _return_hint(fn)
            self.output_schema = output_schema(hints) if output_schema_override is ... else output_schema_override
        except TypeError as exc:
            raise DefinitionError(f"{where(fn)}: tool '{self.name}': {exc}; use a JSON-compatible type "
                                  "(str, int, float, bool, list, dict, a dataclass, ...)") from exc
        self.description = description if description is not None else summary
        self.annotations = _annotations(annotations)
        title = title or (self.annotations or {}).get("title") or _default_title(self.name)
        self.title = title
        self.tags = sorted(tags or [])
        self.meta = meta

    @classmethod
    def from_function(cls, fn, name=None, title=None, description=None, tags=None, annotations=None,
                      meta=None, output_schema=..., **_options):
        """fastmcp's ``Tool.from_function``: a tool to adjust, then ``mcp.add_tool(tool)``."""
        return cls(fn, name, title, description, tags, annotations, meta, output_schema)

    @property
    def parameters(self):
        """The tool's input JSON Schema; assign to replace the one derived from type hints."""
        return self.input_schema

    @parameters.setter
    def parameters(self, schema):
        self.input_schema = schema

    def listing(self):
        item = {"name": self.name, "title": self.title}
        if self.description:
            item["description"] = self.description
        item["inputSchema"] = self.input_schema
        if self.output_schema is not None:
            item["outputSchema"] = self.output_schema
        if self.annotations:
            item["annotations"] = self.annotations
        item["_meta"] = {**(self.meta or {}), "fastmcp": {"tags": self.tags}}
        return item


def _return_hint(fn):
    try:
        return typing.get_type_hints(fn, include_extras=True).get("return", inspect.Signature.empty)
    except Exception:  # unresolvable forward reference: fall back to the raw annotation
        return inspect.signature(fn).return_annotation


_TEMPLATE_PARAM = re.compile(r"{(\*?)(\w+)(\*?)}")


class Resource:
    """A static resource (fixed URI) or a template (``{param}`` placeholders in the URI)."""

    def __init__(self, fn, uri, name=None, title=None, description=None, mime_type=None, tags=None,
                 annotations=None, meta=None):
        self.fn = fn
        self.uri = uri
        self.name = name or getattr(fn, "__name__", uri)
        self.title = title
        summary, _ = parse_docstring(inspect.getdoc(fn))
        self.description = description if description is not None else summary
        self.mime_type = mime_type
        self.tags = sorted(tags or [])
        self.params, self.context_params = prepare(fn, kind="resource")
        self.uri_params = [m.group(2) for m in _TEMPLATE_PARAM.finditer(uri)]
        self.is_template = bool(self.uri_params) or bool(self.params)
        if self.is_template:
            self._check_template()
            pattern = ""
            last = 0
            for m in _TEMPLATE_PARAM.finditer(uri):
                pattern += re.escape(uri[last:m.start()])
                wildcard = m.group(1) or m.group(3)
                pattern += f"(?P<{m.group(2)}>{'.+' if wildcard else '[^/]+'})"
                last = m.end()
            self.regex = re.compile("^" + pattern + re.escape(uri[last:]) + "$")

    def _check_template(self):
        fn_params = {p.name for p in self.params}
        required = {p.name for p in self.params if p.required}
        uri_params = set(self.uri_params)
        missing = uri_params - fn_params
        unfilled = required - uri_params
        if missing or unfilled:
            problems = []
            if missing:
                problems.append(f"URI parameters {sorted(missing)} are not parameters of the function")
            if unfilled:
                problems.append(f"required function parameters {sorted(unfilled)} do not appear in the URI")
            raise DefinitionError(
                f"{where(self.fn)}: resource template '{self.uri}': {'; '.join(problems)}. "
                "Make the {placeholders} in the URI and the function's parameters the same names."
            )

    def listing(self):
        item = {"name": self.name, "uriTemplate" if self.is_template else "uri": self.uri}
        if self.title:
            item["title"] = self.title
        if self.description:
            item["description"] = self.description
        item["mimeType"] = self.mime_type or "text/plain"
        item["_meta"] = {"fastmcp": {"tags": self.tags}}
        return item

    def read(self, uri, args, server):
        kwargs = {p.name: coerce(p, args[p.name]) for p in self.params if p.name in args}
        for name in self.context_params:
            kwargs[name] = Context(server)
        value = runtime.run_sync(self.fn(**kwargs))
        return _resource_items(uri, value, self.mime_type)


def _resource_items(uri, value, mime_type):
    items = value if isinstance(value, (list, tuple)) and value and not isinstance(value[0], (int, float)) and all(
        hasattr(v, "content") or hasattr(v, "text") or hasattr(v, "blob") or isinstance(v, dict) and ("text" in v or "blob" in v)
        for v in value) else [value]
    out = []
    for item in items:
        if isinstance(item, (bytes, bytearray)):
            out.append({"uri": uri, "mimeType": mime_type or "application/octet-stream", "blob": bytes(item)})
        elif isinstance(item, str):
            out.append({"uri": uri, "mimeType": mime_type or "text/plain", "text": item})
        elif hasattr(item, "content") and hasattr(item, "mime_type"):
            inner = _resource_items(uri, item.content, item.mime_type or mime_type)
            out.extend(inner)
        elif hasattr(item, "uri") and (hasattr(item, "text") or hasattr(item, "blob")) or isinstance(item, dict) and ("text" in item or "blob" in item):
            contents = resource_contents(item)
            contents["uri"] = contents["uri"] or uri
            out.append(contents)
        else:
            out.append({"uri": uri, "mimeType": mime_type or "text/plain", "text": json.dumps(to_jsonable(item), ensure_ascii=False)})
    return out


class Prompt:
    """A registered prompt: renders messages from string arguments."""

    def __init__(self, fn, name=None, title=None, description=None, tags=None, meta=None):
        self.fn = fn
        self.name = name or fn.__name__
        self.title = title
        summary, param_docs = parse_docstring(inspect.getdoc(fn))
        self.description = description if description is not None else summary
        self.params, self.context_params = prepare(fn, kind="prompt")
        for p in self.params:
            p.description = param_docs.get(p.name)
        self.tags = sorted(tags or [])
        self.meta = meta
        try:
            properties = input_schema(self.params)["properties"]
            self.arguments = [self._argument(p, properties[p.name]) for p in self.params]
        except TypeError as exc:
            raise DefinitionError(f"{where(fn)}: prompt '{self.name}': {exc}") from exc

    @staticmethod
    def _argument(param, schema):
        arg = {"name": param.name}
        description = schema.get("description")
        if param.annotation is not inspect.Parameter.empty and param.annotation is not str:
            note = ("Provide a value matching the following JSON schema: "
                    f"{json.dumps(raw_schema(param.annotation), separators=(',', ':'))}. "
                    "Encode non-string values as JSON.")
            description = f"{description}\n\n{note}" if description else note
        if description:
            arg["description"] = description
        arg["required"] = param.required
        return arg

    def listing(self):
        item = {"name": self.name}
        if self.title:
            item["title"] = self.title
        if self.description:
            item["description"] = self.description
        item["arguments"] = self.arguments
        item["_meta"] = {**(self.meta or {}), "fastmcp": {"tags": self.tags}}
        return item


class PromptMessage:
    """One prompt message: ``Message("text")`` or ``Message(content, role="assistant")``."""

    def __init__(self, content, role="user"):
        self.role = getattr(role, "value", role)
        self.content = content


Message = PromptMessage


def _prompt_messages(value):
    items = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in items:
        if isinstance(item, PromptMessage) or (hasattr(item, "role") and hasattr(item, "content")):
            role = getattr(item.role, "value", item.role)
            out.append({"role": role, "content": as_block(item.content)})
        elif isinstance(item, dict) and "role" in item and "content" in item:
            out.append({"role": item["role"], "content": as_block(item["content"])})
        else:
            out.append({"role": "user", "content": as_block(item)})
    return out


class FastMCP:
    """An MCP server: ``mcp = FastMCP("name")``, then ``@mcp.tool``, ``@mcp.resource``, ``@mcp.prompt``."""

    def __init__(self, name=None, instructions=None, version=None, **_settings):
        self.name = name or "FastMCP"
        self.instructions = instructions
        self.version = version
        self._tools = {}
        self._resources = {}
        self._templates = {}
        self._prompts = {}
        self._completion = None

    # Registration --------------------------------------------------------------------------

    def tool(self, name_or_fn=None, *, name=None, title=None, description=None, tags=None,
             annotations=None, output_schema=..., meta=None, enabled=True, **_options):
        """Registers a function as a tool: ``@mcp.tool``, ``@mcp.tool()`` or ``@mcp.tool(name=...)``."""
        if isinstance(name_or_fn, str):
            name = name_or_fn
        elif callable(name_or_fn):
            return self.add_tool(name_or_fn)

        def decorator(fn):
            if enabled is not False:
                self._add_tool(Tool(fn, name, title, description, tags, annotations, meta, output_schema))
            return fn

        return decorator

    def add_tool(self, fn, **options):
        self._add_tool(fn if isinstance(fn, Tool) else Tool(fn, **options))
        return fn

    def _add_tool(self, tool):
        self._tools[tool.name] = tool

    def remove_tool(self, name):
        self._tools.pop(name, None)

    def resource(self, uri, *, name=None, title=None, description=None, mime_type=None, tags=None,
                 annotations=None, meta=None, enabled=True, **_options):
        """Registers a resource (``"data://x"``) or a template (``"data://items/{id}"``)."""
        if callable(uri):
            raise DefinitionError(f"{where(uri)}: @resource needs a URI: write @mcp.resource(\"data://...\")")

        def decorator(fn):
            res = Resource(fn, uri, name, title, description, mime_type, tags, annotations, meta)
            if enabled is not False:
                (self._templates if res.is_template else self._resources)[uri] = res
            return fn

        return decorator

    def prompt(self, name_or_fn=None, *, name=None, title=None, description=None, tags=None, meta=None,
               enabled=True, **_options):
        """Registers a prompt: ``@mcp.prompt``, ``@mcp.prompt()`` or ``@mcp.prompt(name=...)``."""
        if isinstance(name_or_fn, str):
            name = name_or_fn
        elif callable(name_or_fn):
            self._prompts[name_or_fn.__name__] = Prompt(name_or_fn)
            return name_or_fn

        def decorator(fn):
            prompt = Prompt(fn, name, title, description, tags, meta)
            if enabled is not False:
                self._prompts[prompt.name] = prompt
            return fn

        return decorator

    def completion(self):
        """Registers ``fn(ref, argument, context)`` to suggest argument values (as the MCP SDK does)."""

        def decorator(fn):
            self._completion = fn
            return fn

        return decorator

    def run(self, *_args, **_kwargs):
        """Does nothing inside Berth: the platform serves the server. Kept so ``mcp.run()`` is harmless."""
        return None

    async def run_async(self, *_args, **_kwargs):
        return None

    # What the host asks --------------------------------------------------------------------

    def describe(self):
        doc = {"name": self.name, "version": self.version or "1.0.0"}
        if self.instructions:
            doc["instructions"] = self.instructions
        doc["tools"] = [t.listing() for t in self._tools.values()]
        doc["resources"] = [r.listing() for r in self._resources.values()]
        doc["resourceTemplates"] = [r.listing() for r in self._templates.values()]
        doc["prompts"] = [p.listing() for p in self._prompts.values()]
        return doc

    def call_tool(self, name, arguments):
        """Runs a tool: returns ``(blocks, structured, is_error)``; raises NotFound or ArgumentError."""
        tool = self._tools.get(name)
        if tool is None:
            raise NotFound(f"unknown tool '{name}'")
        kwargs = _bind(tool.params, arguments)
        for ctx_name in tool.context_params:
            kwargs[ctx_name] = Context(self)
        try:
            value = runtime.run_sync(tool.fn(**kwargs))
            blocks, structured = tool_result(value, tool.output_schema)
        except Exception as exc:  # a failing tool is a result the client sees, never a crash
            return [{"type": "text", "text": _error_text(tool.name, exc)}], None, True
        return blocks, structured, False

    def read_resource(self, uri):
        return self._read_resource_sync(uri)

    def _read_resource_sync(self, uri):
        res = self._resources.get(uri)
        if res is not None:
            return res.read(uri, {}, self)
        for template in self._templates.values():
            match = template.regex.match(uri)
            if match:
                return template.read(uri, match.groupdict(), self)
        raise NotFound(f"unknown resource '{uri}'")

    def get_prompt(self, name, arguments):
        prompt = self._prompts.get(name)
        if prompt is None:
            raise NotFound(f"unknown prompt '{name}'")
        kwargs = _bind(prompt.params, arguments, from_strings=True)
        for ctx_name in prompt.context_params:
            kwargs[ctx_name] = Context(self)
        value = runtime.run_sync(prompt.fn(**kwargs))
        return prompt.description, _prompt_messages(value)

    def complete(self, kind, ref, argument, value, context_arguments):
        """Suggests values: the registered completion handler, else Literal/Enum choices, else none."""
        if kind == "prompt" and ref not in self._prompts:
            raise NotFound(f"unknown prompt '{ref}'")
        if kind == "resource-template" and ref not in self._templates:
            raise NotFound(f"unknown resource template '{ref}'")
        if self._completion is not None:
            result = runtime.run_sync(self._completion(
                _Ref(kind, ref), _Argument(argument, value), _CompletionContext(dict(context_arguments))))
            return _completion_values(result)
        target = self._prompts.get(ref) if kind == "prompt" else self._templates.get(ref)
        for p in target.params:
            if p.name == argument:
                return [c for c in _choices(p.annotation) if c.startswith(value)], None, False
        return [], None, False

    # Convenience for tests and plain Python ---------------------------------------------------

    def list_tools(self):
        return self.describe()["tools"]


class _Ref:
    def __init__(self, kind, ref):
        self.type = "ref/prompt" if kind == "prompt" else "ref/resource"
        self.name = ref if kind == "prompt" else None
        self.uri = ref if kind != "prompt" else None


class _Argument:
    def __init__(self, name, value):
        self.name = name
        self.value = value


class _CompletionContext:
    def __init__(self, arguments):
        self.arguments = arguments


class Completion:
    """A completion answer: ``Completion(values=[...], total=None, hasMore=False)``."""

    def __init__(self, values, total=None, hasMore=False, has_more=None):  # noqa: N803 - MCP's name
        self.values = list(values)
        self.total = total
        self.has_more = bool(hasMore if has_more is None else has_more)


def _completion_values(result):
    if result is None:
        return [], None, False
    if isinstance(result, Completion):
        return [str(v) for v in result.values][:100], result.total, result.has_more
    return [str(v) for v in result][:100], None, False


def _choices(annotation):
    tp = strip_annotated(annotation)[0]
    if typing.get_origin(tp) is typing.Literal:
        return [str(v) for v in typing.get_args(tp)]
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return [str(m.value) for m in tp]
    return []


def _bind(params, arguments, from_strings=False):
    if not isinstance(arguments, dict):
        raise ArgumentError("arguments must be a JSON object")
    known = {p.name for p in params}
    unexpected = sorted(set(arguments) - known)
    if unexpected:
        raise ArgumentError(f"unexpected argument(s) {unexpected}; expected {sorted(known) or 'none'}")
    kwargs = {}
    for p in params:
        if p.name in arguments:
            kwargs[p.name] = coerce(p, arguments[p.name], from_string=from_strings)
        elif p.required:
            raise ArgumentError(f"missing required argument '{p.name}'")
        else:
            kwargs[p.name] = p.default
    return kwargs


def _error_text(tool_name, exc):
    if isinstance(exc, ToolError):
        return str(exc)
    message = str(exc) or type(exc).__name__
    return f"Error calling tool '{tool_name}': {message}"


__all__ = ["Completion", "FastMCP", "Message", "PromptMessage", "to_jsonable"]
