"""Tools, resources and prompts: what the decorators record, how each is listed and how it runs.

Listings follow fastmcp 4.x's field order (``tools/list`` byte for byte for what the parity corpus
covers); running one returns MCP-shaped data (blocks as dicts, media bytes raw).
"""

import asyncio
import copy
import inspect
import json
import re
import time
import typing
import urllib.parse

from berth_sdk.binding import ArgumentValidationError, bind, prepare, prompt_arguments, template_arguments
from berth_sdk.content import as_block, jsonable, resource_contents
from berth_sdk.dependencies import call_with, injected
from berth_sdk.errors import DefinitionError, ToolError, where
from berth_sdk.mcp_types import Annotations, ToolAnnotations
from berth_sdk.schema import input_schema, output_schema, parse_docstring, raw_schema

_CONTEXT_NAMES = ("ctx", "context")


def _default_title(name):
    return name.replace("_", " ").replace("-", " ").title()


class Hints(dict):
    """Annotations as listed (a dict), also read as attributes the way the model's are (``.readOnlyHint``,
    ``.read_only_hint``), as list middleware may read them."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self.get(re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name))


def _annotations(value, model, extras=True):
    """Annotations as listed: the model's fields in its order (as pydantic validates a dict), then extras
    (which a resource's ``Annotations`` model drops, as pydantic ignores them there)."""
    if value is None:
        return None
    data = value if isinstance(value, dict) else {k: v for k, v in vars(value).items() if v is not None}
    camel = {re.sub(r"_([a-z])", lambda m: m.group(1).upper(), k): v for k, v in data.items()}
    ordered = {k: camel[k] for k in model._fields if k in camel}
    if extras:
        ordered.update({k: v for k, v in camel.items() if k not in ordered})
    return Hints((k, v) for k, v in jsonable(ordered).items() if v is not None)


def _icons(icons, at):
    if icons is None:
        return None
    if not isinstance(icons, (list, tuple)):
        raise DefinitionError(f"{at}: icons= must be a list of Icon(src=...) (from mcp.types import Icon)")
    out = jsonable(list(icons))
    for icon in out:
        if not isinstance(icon, dict) or "src" not in icon:
            raise DefinitionError(f"{at}: each icon needs a src: write Icon(src=\"https://...\")")
    return out


def _meta(meta, tags, version, versions=None):
    """A listing's ``_meta``: the component's own, then fastmcp's tags and versions (every registered version
    of the name, highest first: ``berth_sdk.versions``)."""
    fastmcp = {"versions": list(versions or [str(version)]), "tags": tags, "version": str(version)} \
        if version is not None else {"tags": tags}
    return {**(jsonable(meta) if meta else {}), "fastmcp": fastmcp}


def _check_context_annotations(fn, kind, name):
    """An unannotated ``ctx`` parameter would be listed as an argument the client must send."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return
    for p in params:
        if p.name in _CONTEXT_NAMES and p.annotation is inspect.Parameter.empty and p.default is p.empty:
            raise DefinitionError(
                f"{where(fn)}: {kind} '{name}': parameter '{p.name}' has no type annotation, so it would be an "
                f"argument clients must send; write `{p.name}: Context` (from fastmcp import Context) to get "
                "the request context")


TASK_SUPPORT = "dev.berth/taskSupport"  # the listing _meta key Berth's edge reads


class TaskConfig:
    """fastmcp's ``TaskConfig``: whether a tool runs as a background task (``optional``, ``required``,
    ``forbidden``). Berth's edge runs the tasks (tasks extension); it polls every half second."""

    def __init__(self, mode="optional", poll_interval=None):
        if mode not in ("optional", "required", "forbidden"):
            raise ValueError(f"TaskConfig mode must be optional, required or forbidden, not {mode!r}")
        self.mode = mode
        self.poll_interval = poll_interval

    @classmethod
    def from_bool(cls, value):
        return cls("optional" if value else "forbidden")

    def supports_tasks(self):
        return self.mode != "forbidden"


def task_mode(task, fn, name, at):
    """``"optional"``/``"required"`` for a tool that runs as a task, else None."""
    if task is None or task is False:
        return None
    config = TaskConfig.from_bool(True) if task is True else task
    if not isinstance(config, TaskConfig):
        raise DefinitionError(f"{at}: tool '{name}': task= takes True, False or TaskConfig(mode=...)")
    if not config.supports_tasks():
        return None
    if not inspect.iscoroutinefunction(inspect.unwrap(fn)):
        raise DefinitionError(f"{at}: tool '{name}' uses a sync function but has task execution enabled; "
                              "background tasks require async functions: make it `async def`")
    if config.poll_interval is not None:
        from berth_sdk.options import notice

        notice(f"{at}: tool '{name}': TaskConfig(poll_interval=...) is ignored: Berth's edge tells clients to "
               "poll every 0.5 s")
    return config.mode


class Component:
    """What tools, resources and prompts share: tags, version, visibility keys, injected dependencies."""

    kind = "component"
    dependencies = {}

    def _invoke(self, kwargs):
        """``fn(**kwargs)``; with dependencies (``Depends``, ``CurrentContext()``), an awaitable that resolves
        them first and exits their context managers after the call."""
        if self.dependencies:
            return call_with(self.fn, kwargs, self.dependencies)
        return self.fn(**kwargs)

    @property
    def key(self):
        base = f"{self.kind}:{self.name if self.kind in ('tool', 'prompt') else self.uri}"
        return f"{base}@" if self.version is None else f"{base}@{self.version}"

    _ATTRIBUTES = {"parameters": "input_schema", "title": "_title"}

    def model_copy(self, update=None, deep=False):
        """A copy with some fields changed, as pydantic's ``model_copy`` gives one of fastmcp's components
        (list middleware does ``tool.model_copy(update={"output_schema": None})``)."""
        clone = copy.deepcopy(self) if deep else copy.copy(self)
        for key, value in (update or {}).items():
            if key == "tags":
                value = sorted(value or [])
            attribute = self._ATTRIBUTES.get(key, key)
            setattr(clone, attribute if hasattr(clone, attribute) else key, value)
        return clone

    def enable(self):
        raise DefinitionError(f"{self.kind}.enable() was removed in FastMCP 3.0; use mcp.enable(keys={{'{self.key}'}})")

    def disable(self):
        raise DefinitionError(f"{self.kind}.disable() was removed in FastMCP 3.0; use mcp.disable(keys={{'{self.key}'}})")


class Tool(Component):
    """A registered tool: its function, listing and parameter binder."""

    kind = "tool"

    def __init__(self, fn, name=None, title=None, description=None, tags=None, annotations=None,
                 meta=None, output_schema_override=..., icons=None, version=None, timeout=None,
                 exclude_args=None, structured_output=None, at=None, task=None):
        self.fn = fn
        self.name = name or fn.__name__
        at = at or where(fn)
        self.task_mode = task_mode(task, fn, self.name, at)
        _check_context_annotations(fn, "tool", self.name)
        self.params, self.context_params = prepare(fn, kind="tool")
        self.dependencies = injected(fn)
        self.hidden = self._exclude(exclude_args or (), at)
        summary, param_docs = parse_docstring(inspect.getdoc(fn))
        for p in self.params:
            p.description = param_docs.get(p.name)
        try:
            self.input_schema, self.output_schema = self._schemas(fn, output_schema_override, structured_output)
        except TypeError as exc:
            raise DefinitionError(f"{where(fn)}: tool '{self.name}': {exc}; use a JSON-compatible type "
                                  "(str, int, float, bool, list, dict, a dataclass, ...)") from exc
        if structured_output is True and self.output_schema is None:
            raise DefinitionError(f"{at}: tool '{self.name}': structured_output=True needs a return annotation "
                                  "Berth can describe (a dataclass, TypedDict, model, dict or scalar)")
        self.description = description if description is not None else summary
        self.annotations = _annotations(annotations, ToolAnnotations)
        self._title = title or (self.annotations or {}).get("title")
        self.tags = sorted(tags or [])
        self.meta = meta
        self.icons = _icons(icons, at)
        self.version = version
        if timeout is not None and not inspect.iscoroutinefunction(inspect.unwrap(fn)):
            from berth_sdk.options import notice

            notice(f"{at}: tool '{self.name}': timeout={timeout} on a synchronous function is checked when it "
                   "returns (Berth cannot interrupt it inside WebAssembly; the project's per-call time limit "
                   "still ends it); make it `async def` to have it cut off on time")
        self.timeout = timeout

    def _schemas(self, fn, output_schema_override, structured_output, inline=True):
        """``(inputSchema, outputSchema)`` as fastmcp 4.x derives them from the signature (``inline=False``:
        with their ``$ref``s, for a server made with ``dereference_schemas=False``)."""
        if structured_output is False:
            output_schema_override = None
        hint = _return_hint(fn)
        self.return_type = hint  # results are serialized for it, as fastmcp does
        self._schema_inputs = (output_schema_override, structured_output)
        if output_schema_override is not ...:
            output = output_schema_override
        elif isinstance(hint, type) and hint.__name__ in ("ToolResult", "CallToolResult"):
            output = None  # the tool builds its whole result
        else:
            output = output_schema(hint, inline)
        return input_schema(self.params, inline=inline), output

    def _listed_schemas(self):
        """The schemas as listed: with ``$ref``s when the serving server has ``dereference_schemas=False``."""
        from berth_sdk.context import _active_server

        if getattr(_active_server, "_dereference", True) or not hasattr(self, "_schema_inputs") or \
                type(self)._schemas is not Tool._schemas:
            return self.input_schema, self.output_schema
        if getattr(self, "_with_refs", None) is None:
            listed_input, listed_output = self._schemas(self.fn, *self._schema_inputs, inline=False)
            self._with_refs = (listed_input, listed_output, self.input_schema, self.output_schema)
        listed_input, listed_output, computed_input, computed_output = self._with_refs
        # A schema assigned after the tool was made (tool.parameters = {...}) is listed as assigned.
        return (listed_input if self.input_schema is computed_input else self.input_schema,
                listed_output if self.output_schema is computed_output else self.output_schema)

    def bind_arguments(self, arguments):
        """The keyword arguments for a call; arguments pydantic refuses are the tool's error result (a
        ToolError with pydantic's message, as fastmcp answers), not a protocol error."""
        from berth_sdk.context import _active_server  # the serving server decides strictness, as natively

        try:
            kwargs = bind(_function_name(self), self.params, arguments if arguments is not None else {},
                          strict=bool(getattr(_active_server, "_strict_input", False)))
        except ArgumentValidationError as exc:
            raise ToolError(str(exc)) from None
        kwargs.update(self.hidden)
        return kwargs

    def _exclude(self, names, at):
        hidden = {}
        for name in names:
            param = next((p for p in self.params if p.name == name), None)
            if param is None:
                raise DefinitionError(f"{at}: tool '{self.name}': exclude_args names '{name}', which is not a "
                                      "parameter of the function")
            if param.required:
                raise DefinitionError(f"{at}: tool '{self.name}': excluded argument '{name}' needs a default value")
            hidden[name] = param.default
        self.params = [p for p in self.params if p.name not in hidden]
        return hidden

    @classmethod
    def from_function(cls, fn, name=None, title=None, description=None, tags=None, annotations=None,
                      meta=None, output_schema=..., icons=None, version=None, timeout=None, exclude_args=None,
                      task=None, **options):
        """fastmcp's ``Tool.from_function``: a tool to adjust, then ``mcp.add_tool(tool)``."""
        from berth_sdk import options as opts

        opts.check("Tool.from_function()", options, opts.caller(), opts.COMPONENT_NOTICES, opts.COMPONENT_ERRORS)
        return cls(fn, name, title, description, tags, annotations, meta, output_schema, icons, version,
                   timeout, exclude_args, task=task)

    @classmethod
    def from_tool(cls, tool, **kwargs):
        """fastmcp's ``Tool.from_tool``: a new tool over ``tool`` (or a function), arguments transformed
        (``berth_sdk.tool_transform``)."""
        from berth_sdk.tool_transform import TransformedTool

        return TransformedTool.from_tool(tool, **kwargs)

    @property
    def title(self):
        return self._title or _default_title(self.name)

    @title.setter
    def title(self, value):
        self._title = value

    @property
    def parameters(self):
        """The tool's input JSON Schema; assign to replace the one derived from type hints."""
        return self.input_schema

    @parameters.setter
    def parameters(self, schema):
        self.input_schema = schema

    def listing(self, name=None):
        item = {"name": name or self.name, "title": self._title or _default_title(name or self.name)}
        if self.description:
            item["description"] = self.description
        listed_input, listed_output = self._listed_schemas()
        item["inputSchema"] = listed_input
        if listed_output is not None:
            item["outputSchema"] = listed_output
        if self.icons:
            item["icons"] = self.icons
        if self.annotations:
            item["annotations"] = self.annotations
        meta = {**self.meta, TASK_SUPPORT: self.task_mode} if self.task_mode and self.meta else \
            ({TASK_SUPPORT: self.task_mode} if self.task_mode else self.meta)
        item["_meta"] = _meta(meta, self.tags, self.version, getattr(self, "all_versions", None))
        return item

    def call(self, kwargs):
        """Calls the function: its value, or an awaitable of it (with the timeout applied) for async ones."""
        if self.timeout is None:
            return self._invoke(kwargs)
        started = time.monotonic()
        value = self._invoke(kwargs)
        if inspect.isawaitable(value):
            return self._bounded(value)
        if time.monotonic() - started > self.timeout:
            raise TimeoutError(f"Tool '{self.name}' execution timed out after {self.timeout}s")
        return value

    async def _bounded(self, value):
        try:
            return await asyncio.wait_for(value, self.timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(f"Tool '{self.name}' execution timed out after {self.timeout}s") from None

    async def run(self, kwargs):
        value = self.call(kwargs)
        return await value if inspect.isawaitable(value) else value


def _return_hint(fn):
    try:
        return typing.get_type_hints(fn, include_extras=True).get("return", inspect.Signature.empty)
    except Exception:  # unresolvable forward reference: fall back to the raw annotation
        return inspect.signature(fn).return_annotation


_TEMPLATE_PARAM = re.compile(r"{(\*?)(\w+)(\*?)}")
_QUERY_PARAMS = re.compile(r"{\?([\w,*-]+)}")  # RFC 6570 form-style query: {?q,limit}, {?tags*}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


class Resource(Component):
    """A static resource (fixed URI) or a template (``{param}`` placeholders in the URI)."""

    def __init__(self, fn, uri, name=None, title=None, description=None, mime_type=None, tags=None,
                 annotations=None, meta=None, icons=None, version=None, at=None):
        self.fn = fn
        self.uri = uri
        at = at or where(fn)
        if not isinstance(uri, str) or not _SCHEME.match(uri):
            raise DefinitionError(
                f"{at}: resource URI {uri!r} has no scheme; MCP resource URIs are URLs: write e.g. "
                f"\"data://{str(uri).lstrip('/')}\" or \"resource://{str(uri).lstrip('/')}\"")
        self.name = name or getattr(fn, "__name__", uri)
        self.title = title
        summary, _ = parse_docstring(inspect.getdoc(fn))
        self.description = description if description is not None else summary
        self.mime_type = mime_type
        self.tags = sorted(tags or [])
        self.annotations = _annotations(annotations, Annotations, extras=False)
        self.meta = meta
        self.icons = _icons(icons, at)
        self.version = version
        _check_context_annotations(fn, "resource", self.name)
        self.params, self.context_params = prepare(fn, kind="resource")
        self.dependencies = injected(fn)
        self.uri_params = [m.group(2) for m in _TEMPLATE_PARAM.finditer(uri)]
        queried = [n for m in _QUERY_PARAMS.finditer(uri) for n in m.group(1).split(",") if n]
        self.query_params = [n.rstrip("*") for n in queried]
        self.exploded_params = {n.rstrip("*") for n in queried if n.endswith("*")}
        self.is_template = bool(self.uri_params) or bool(self.query_params) or bool(self.params)
        if self.is_template:
            self._check_template()
            self.regex = template_regex(uri)

    @classmethod
    def from_function(cls, fn, uri=None, name=None, title=None, description=None, mime_type=None, tags=None,
                      annotations=None, meta=None, icons=None, version=None, uri_template=None, **options):
        """fastmcp's ``Resource.from_function`` (and ``ResourceTemplate.from_function(fn, uri_template=...)``):
        a resource or template to add with ``mcp.add_resource(...)``/``mcp.add_template(...)``."""
        from berth_sdk import options as opts

        opts.check("Resource.from_function()", options, opts.caller(), opts.COMPONENT_NOTICES, opts.COMPONENT_ERRORS)
        if (uri is None) == (uri_template is None):
            raise DefinitionError(f"{opts.caller()}: Resource.from_function() needs uri= (or, for a template, "
                                  "uri_template=)")
        return cls(fn, uri if uri is not None else uri_template, name, title, description, mime_type, tags,
                   annotations, meta, icons, version)

    @property
    def kind(self):
        return "template" if self.is_template else "resource"

    def _check_template(self):
        fn_params = {p.name for p in self.params}
        required = {p.name for p in self.params if p.required}
        uri_params = set(self.uri_params)
        missing = (uri_params | set(self.query_params)) - fn_params
        unfilled = required - uri_params
        if missing or unfilled:
            problems = []
            if required & set(self.query_params):
                problems.append(f"query parameters {sorted(required & set(self.query_params))} need default "
                                "values (clients may leave them out)")
                unfilled -= set(self.query_params)
            if missing:
                problems.append(f"URI parameters {sorted(missing)} are not parameters of the function")
            if unfilled:
                problems.append(f"required function parameters {sorted(unfilled)} do not appear in the URI")
            raise DefinitionError(
                f"{where(self.fn)}: resource template '{self.uri}': {'; '.join(problems)}. "
                "Make the {placeholders} in the URI and the function's parameters the same names."
            )

    def listing(self, uri=None, name=None):
        item = {"name": name or self.name}
        if self.title:
            item["title"] = self.title
        item["uriTemplate" if self.is_template else "uri"] = uri or self.uri
        if self.description:
            item["description"] = self.description
        item["mimeType"] = self.mime_type or "text/plain"
        if self.icons:
            item["icons"] = self.icons
        if self.annotations is not None:
            item["annotations"] = self.annotations
        item["_meta"] = _meta(self.meta, self.tags, self.version, getattr(self, "all_versions", None))
        return item

    async def read(self, uri, args, context, json_indent=None):
        kwargs = template_arguments(_function_name(self), self.params, args) if self.is_template else {}
        for name in self.context_params:
            kwargs[name] = context
        value = self._invoke(kwargs)
        if inspect.isawaitable(value):
            value = await value
        # Raw bytes carry the resource's MIME type, text/plain by default (as fastmcp and the SDKs list it).
        return resource_items(uri, value, self.mime_type or "text/plain", json_indent)


    def match(self, uri):
        """The template's arguments in ``uri`` (path parameters, then known query parameters), or None.

        As fastmcp matches: the path (before ``?``, without a ``#fragment``) against the template's path,
        path values percent-decoded; then the template's ``{?name}`` query parameters (first value; every
        value for an exploded ``{?name*}``)."""
        if "#" not in self.uri:
            uri = uri.partition("#")[0]
        path, _, query = uri.partition("?")
        found = self.regex.match(path)
        if found is None:
            return None
        args = {k: urllib.parse.unquote(v) for k, v in found.groupdict().items()}
        if query and self.query_params:
            parsed = urllib.parse.parse_qs(query, keep_blank_values=True)
            exploded = getattr(self, "exploded_params", ())
            for name in self.query_params:
                key = name.replace("-", "_")
                if name in parsed and key not in args:
                    args[key] = parsed[name] if name in exploded else parsed[name][0]
        return args


def template_regex(uri):
    """The regex of a template's path (its ``{?query}`` part removed), as fastmcp builds it."""
    uri = _QUERY_PARAMS.sub("", uri)
    pattern = ""
    last = 0
    for m in _TEMPLATE_PARAM.finditer(uri):
        pattern += re.escape(uri[last:m.start()])
        wildcard = m.group(1) or m.group(3)
        pattern += f"(?P<{m.group(2)}>{'.+' if wildcard else '[^/]+'})"
        last = m.end()
    return re.compile("^" + pattern + re.escape(uri[last:]) + "$")


class ResourceContent:
    """fastmcp's ``ResourceContent``: text or bytes (other values as JSON) with a MIME type and meta."""

    def __init__(self, content, mime_type=None, meta=None):
        if isinstance(content, str):
            self.content, self.mime_type = content, mime_type or "text/plain"
        elif isinstance(content, (bytes, bytearray)):
            self.content, self.mime_type = bytes(content), mime_type or "application/octet-stream"
        else:
            self.content = json.dumps(jsonable(content), separators=(",", ":"), ensure_ascii=False)
            self.mime_type = mime_type or "application/json"
        self.meta = meta


class ResourceResult:
    """fastmcp's ``ResourceResult``: several contents (or one string, bytes or JSON value) and meta."""

    def __init__(self, contents, meta=None):
        if isinstance(contents, (str, bytes)):
            contents = [ResourceContent(contents)]
        elif isinstance(contents, list):
            for i, item in enumerate(contents):
                if not isinstance(item, ResourceContent):
                    raise TypeError(f"contents[{i}] must be ResourceContent, got {type(item).__name__}. "
                                    f"Use ResourceContent({item!r}) to wrap the value.")
        elif contents is None or isinstance(contents, (dict, tuple, int, float, bool)):
            contents = [ResourceContent(json.dumps(contents), mime_type="application/json")]
        else:
            raise TypeError(f"contents must be str, bytes, or list[ResourceContent], got {type(contents).__name__}")
        self.contents = contents
        self.meta = meta


def read_result(items):
    """What ``on_read_resource`` middleware sees: a ``ResourceResult`` of ``ResourceContent`` (with ``.uri``)."""
    contents = []
    for item in items:
        content = ResourceContent.__new__(ResourceContent)  # as read: no default MIME type added
        content.content = item["blob"] if "blob" in item else item.get("text", "")
        content.mime_type, content.uri, content.meta = item.get("mimeType"), item.get("uri"), None
        contents.append(content)
    return ResourceResult(contents)


def read_items(result, uri):
    """The contents dicts of whatever the middleware chain returned for a read of ``uri``."""
    if isinstance(result, ResourceResult):
        return [{"uri": getattr(c, "uri", None) or uri, "mimeType": c.mime_type,
                 "blob" if isinstance(c.content, bytes) else "text": c.content} for c in result.contents]
    return resource_items(uri, result, None)


def resource_items(uri, value, mime_type, json_indent=None):
    if isinstance(value, ResourceResult):
        value = value.contents
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
            inner = resource_items(uri, item.content, item.mime_type or mime_type, json_indent)
            out.extend(inner)
        elif hasattr(item, "uri") and (hasattr(item, "text") or hasattr(item, "blob")) or isinstance(item, dict) and ("text" in item or "blob" in item):
            contents = resource_contents(item)
            contents["uri"] = contents["uri"] or uri
            out.append(contents)
        else:
            text = json.dumps(jsonable(item), ensure_ascii=False, indent=json_indent)
            out.append({"uri": uri, "mimeType": mime_type or "text/plain", "text": text})
    return out


class Prompt(Component):
    """A registered prompt: renders messages from string arguments."""

    kind = "prompt"

    def __init__(self, fn, name=None, title=None, description=None, tags=None, meta=None, icons=None,
                 version=None, at=None):
        self.fn = fn
        self.name = name or fn.__name__
        self.title = title
        summary, param_docs = parse_docstring(inspect.getdoc(fn))
        self.description = description if description is not None else summary
        _check_context_annotations(fn, "prompt", self.name)
        self.params, self.context_params = prepare(fn, kind="prompt")
        self.dependencies = injected(fn)
        for p in self.params:
            p.description = param_docs.get(p.name)
        self.tags = sorted(tags or [])
        self.meta = meta
        self.icons = _icons(icons, at or where(fn))
        self.version = version
        try:
            self.arguments = self._listed_arguments()
        except TypeError as exc:
            raise DefinitionError(f"{where(fn)}: prompt '{self.name}': {exc}") from exc

    def _listed_arguments(self):
        properties = input_schema(self.params)["properties"]
        return [self._argument(p, properties[p.name]) for p in self.params]

    def bind_arguments(self, arguments):
        """The keyword arguments for a render, as fastmcp makes them (``binding.prompt_arguments``: MCP sends
        strings, each read by its parameter's type); raises PromptError or PromptArgumentsError as it does."""
        from berth_sdk.errors import PromptError

        return prompt_arguments(_function_name(self), self.params, arguments, PromptError, self.name)

    def call(self, kwargs):
        """Calls the function: its value, or an awaitable of it."""
        return self._invoke(kwargs)

    @classmethod
    def from_function(cls, fn, name=None, title=None, description=None, tags=None, meta=None, icons=None,
                      version=None, **options):
        """fastmcp's ``Prompt.from_function``: a prompt to add with ``mcp.add_prompt(prompt)``."""
        from berth_sdk import options as opts

        opts.check("Prompt.from_function()", options, opts.caller(), opts.COMPONENT_NOTICES, opts.COMPONENT_ERRORS)
        return cls(fn, name, title, description, tags, meta, icons, version)

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

    def listing(self, name=None):
        item = {"name": name or self.name}
        if self.title:
            item["title"] = self.title
        if self.description:
            item["description"] = self.description
        item["arguments"] = self.arguments
        if self.icons:
            item["icons"] = self.icons
        item["_meta"] = _meta(self.meta, self.tags, self.version, getattr(self, "all_versions", None))
        return item


class Message:
    """A prompt message: ``Message("text")``, ``Message(content, role="assistant")`` or
    ``Message(role="user", content=TextContent(...))`` (fastmcp's and the official SDK's spellings)."""

    def __init__(self, content=None, role="user", **kwargs):
        if content is None and "content" not in kwargs:
            raise TypeError("Message needs content")
        self.role = getattr(role, "value", role)
        self.content = kwargs.pop("content", content)
        self.meta = kwargs.pop("meta", kwargs.pop("_meta", None))
        if kwargs:
            raise TypeError(f"Message has no field(s) {sorted(kwargs)}")

    def model_dump(self, **_):
        return {"role": self.role, "content": jsonable(self.content)}

    def __repr__(self):
        return f"{type(self).__name__}(role={self.role!r}, content={self.content!r})"


class UserMessage(Message):
    def __init__(self, content=None, **kwargs):
        kwargs.pop("role", None)
        super().__init__(content, role="user", **kwargs)


class AssistantMessage(Message):
    def __init__(self, content=None, **kwargs):
        kwargs.pop("role", None)
        super().__init__(content, role="assistant", **kwargs)


PromptMessage = Message


class PromptResult:
    """fastmcp's ``PromptResult``: messages (a string or a list), a description and meta."""

    def __init__(self, messages, description=None, meta=None):
        self.messages = [Message(messages)] if isinstance(messages, str) else list(messages)
        self.description = description
        self.meta = meta


def prompt_messages(value):
    if isinstance(value, PromptResult) or (hasattr(value, "messages") and not isinstance(value, (list, tuple, dict))):
        value = value.messages
    items = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in items:
        if isinstance(item, dict) and "role" in item and "content" in item:
            out.append({"role": item["role"], "content": as_block(item["content"])})
        elif hasattr(item, "role") and hasattr(item, "content"):
            role = getattr(item.role, "value", item.role)
            out.append({"role": role, "content": as_block(item.content)})
        else:
            out.append({"role": "user", "content": as_block(item)})
    return out


def _function_name(component):
    return getattr(component.fn, "__name__", None) or component.name
