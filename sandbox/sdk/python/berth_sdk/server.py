"""``FastMCP``: the server object user code builds, and what the guest asks of it.

The decorators record tools, resources and prompts (``berth_sdk.components``); every argument is
supported, reported as a notice, or a ``DefinitionError`` (``berth_sdk.options``). ``describe`` lists
everything once, at build time; ``call_tool``/``read_resource``/``get_prompt``/``complete`` run the
lifespan on first use, then each operation through the middleware chain, and return MCP-shaped data.
The three import spellings are the same class with the error texts of the package they imitate.
"""

import enum
import inspect
import typing

from berth_sdk import options as opts
from berth_sdk import runtime, standalone, versions
from berth_sdk.binding import ArgumentError, PromptArgumentsError
from berth_sdk.components import Message, Prompt, PromptMessage, PromptResult, Resource, Tool, prompt_messages, \
    read_items, read_result
from berth_sdk.compose import Composition, Exposed
from berth_sdk.content import ToolResult, block_model, tool_result
from berth_sdk.context import Context, activate
from berth_sdk.errors import DefinitionError, McpError, NotFound, PromptError, ReportedError, ResourceError, \
    ToolError, sandbox_hint
from berth_sdk.global_settings import settings
from berth_sdk.local_provider import LocalProvider
from berth_sdk.mcp_types import Completion, CompletionArgument, CompletionContext, PromptReference, \
    ResourceTemplateReference
from berth_sdk.middleware import CallToolRequestParams, GetPromptRequestParams, Middleware, \
    MiddlewareContext, ReadResourceRequestParams, run_chain
from berth_sdk.openapi import OpenAPIProvider
from berth_sdk.schema import strip_annotated, to_jsonable
from berth_sdk.visibility import VisibilityRules

_DUPLICATES = ("warn", "error", "replace", "ignore")


class FastMCP(Composition, VisibilityRules):
    """An MCP server: ``mcp = FastMCP("name")``, then ``@mcp.tool``, ``@mcp.resource``, ``@mcp.prompt``."""

    _api = "FastMCP()"
    _positional = ("name", "instructions")
    _middleware_base_only = False
    _json_indent = None  # how a resource's non-text value is written as JSON text
    _tool_class = Tool  # what a tool of this spelling is (its schemas, arguments and results)
    _prompt_class = Prompt
    _fastmcp4 = True  # fastmcp 4's own behaviours (not the official SDKs' spellings): notices, decorator marks

    def __init__(self, *args, **kwargs):
        at = opts.caller()
        if len(args) > len(self._positional):
            raise DefinitionError(f"{at}: {self._api} takes at most {len(self._positional)} positional arguments "
                                  f"({', '.join(self._positional)}); pass the others by keyword")
        for key, value in zip(self._positional, args):
            if key in kwargs:
                raise DefinitionError(f"{at}: {self._api} got {key} twice")
            kwargs[key] = value
        self.name = kwargs.pop("name", None) or "FastMCP"
        self.instructions = kwargs.pop("instructions", None)
        self.version = kwargs.pop("version", None)
        self.title = kwargs.pop("title", None)
        self.description = kwargs.pop("description", None)
        self.website_url = kwargs.pop("website_url", None)
        from berth_sdk.components import _icons

        self.icons = _icons(kwargs.pop("icons", None), at)
        self._lifespan = kwargs.pop("lifespan", None)
        if self._lifespan is not None and not callable(self._lifespan):
            raise DefinitionError(f"{at}: lifespan= must be a function taking the server and returning an async "
                                  "context manager (decorate an async generator with @asynccontextmanager)")
        self._mask_errors = kwargs.pop("mask_error_details", None)
        self._strict_input = kwargs.pop("strict_input_validation", None)
        if self._fastmcp4:  # unset: fastmcp.settings' value, as fastmcp 4 reads it
            self._mask_errors = settings.mask_error_details if self._mask_errors is None else self._mask_errors
            self._strict_input = settings.strict_input_validation if self._strict_input is None else self._strict_input
        self._strict_input = bool(self._strict_input)
        self._dereference = kwargs.pop("dereference_schemas", True) is not False  # listed schemas' $refs inlined
        self._tasks_default = kwargs.pop("tasks", None)
        on_duplicate = kwargs.pop("on_duplicate", None)
        for legacy in ("on_duplicate_tools", "on_duplicate_resources", "on_duplicate_prompts"):
            if kwargs.get(legacy) and self._fastmcp4:
                opts.notice(f"{at}: {self._api}'s {legacy}= was removed in fastmcp 4 (which refuses it); Berth "
                            "applies it as fastmcp 3 did: use on_duplicate=")
            on_duplicate = kwargs.pop(legacy, None) or on_duplicate
        self._on_duplicate = on_duplicate or "warn"
        if self._on_duplicate not in _DUPLICATES:
            raise DefinitionError(f"{at}: on_duplicate={self._on_duplicate!r}; use one of {', '.join(_DUPLICATES)}")
        self._middleware = []
        for mw in kwargs.pop("middleware", None) or []:
            self.add_middleware(mw)
        include_tags = kwargs.pop("include_tags", None)
        exclude_tags = kwargs.pop("exclude_tags", None)
        tools = kwargs.pop("tools", None) or []
        added_transforms = kwargs.pop("transforms", None) or []
        openapi_providers = []
        if kwargs.get("providers") and all(isinstance(p, OpenAPIProvider) for p in kwargs["providers"]):
            openapi_providers = kwargs.pop("providers")
        opts.check(self._api, kwargs, at, opts.SERVER_NOTICES, opts.SERVER_ERRORS)
        self._tools = {}
        self._versions = {}
        self._resources = {}
        self._templates = {}
        self._prompts = {}
        self._completion = None
        self._visibility = []
        self._transforms = []
        Composition.__init__(self)
        self._started = False
        self._start_error = None
        self._lifespan_result = None
        self._lifespan_cm = None
        for key, value, fix in (("include_tags", include_tags, "server.enable(tags=..., only=True)"),
                                ("exclude_tags", exclude_tags, "server.disable(tags=...)")):
            if value and self._fastmcp4:
                opts.notice(f"{at}: {self._api}'s {key}= was removed in fastmcp 4 (which refuses it); Berth applies "
                            f"it as fastmcp 3 did: use {fix} after creating the server")
        if include_tags:
            self.enable(tags=set(include_tags), only=True)
        if exclude_tags:
            self.disable(tags=set(exclude_tags))
        for tool in tools:
            self.add_tool(tool)
        for transform in added_transforms:
            self.add_transform(transform)
        for provider in openapi_providers:
            provider.add_to(self)

    def __class_getitem__(cls, item):
        return cls

    def add_provider(self, provider, namespace=None):
        """Adds an ``OpenAPIProvider``'s components (the only provider Berth's SDK has)."""
        at = opts.caller()
        if not isinstance(provider, OpenAPIProvider):
            raise DefinitionError(f"{at}: add_provider takes an OpenAPIProvider (fastmcp.server.providers.openapi); "
                                  f"for {type(provider).__name__}, " + opts.SERVER_ERRORS["providers"])
        if namespace:
            raise DefinitionError(f"{at}: add_provider(namespace=...) is not supported; build the server with "
                                  "FastMCP.from_openapi(...) and mcp.mount(it, namespace=...)")
        provider.add_to(self)

    @classmethod
    def from_openapi(cls, openapi_spec, client=None, name="OpenAPI Server", route_maps=None, route_map_fn=None,
                     mcp_component_fn=None, mcp_names=None, tags=None, validate_output=True, timeout=None,
                     **settings):
        """A server whose tools (and resources, by route maps) call the API an OpenAPI document describes."""
        from berth_sdk import openapi

        return openapi.from_openapi(cls, openapi_spec, client, name, route_maps, route_map_fn, mcp_component_fn,
                                    mcp_names, tags, validate_output, timeout, **settings)

    @classmethod
    def from_fastapi(cls, app=None, *args, **kwargs):
        """Refused: it needs the FastAPI app in process (see ``berth_sdk.openapi.from_fastapi``)."""
        from berth_sdk import openapi

        openapi.from_fastapi(cls, app, *args, **kwargs)

    @property
    def settings(self):
        if "_settings" not in vars(self):
            self._settings = _Settings(self)
        return self._settings

    # Registration --------------------------------------------------------------------------

    def _register(self, table, key, component, kind, at):
        groups = self._versions.setdefault(id(table), {})  # several versions of one name (berth_sdk.versions)
        if (key in groups or versions.is_versioned(table, key, component)) and \
                versions.register(table, groups, key, component):
            return
        if key in table:
            if self._on_duplicate == "error":
                raise DefinitionError(f"{at}: a {kind} named {key!r} is already registered; rename one "
                                      "(name=...) or pass on_duplicate='replace' to FastMCP()")
            if self._on_duplicate == "ignore":
                return
            if self._on_duplicate == "warn":
                opts.notice(f"{at}: {kind} {key!r} replaces an earlier one of the same name")
        table[key] = component
        if key in groups:
            groups[key][component.version] = component
            versions.refresh(table, groups, key)

    def tool(self, name_or_fn=None, *, name=None, title=None, description=None, tags=None, annotations=None,
             output_schema=..., meta=None, icons=None, version=None, timeout=None, enabled=True,
             exclude_args=None, structured_output=None, app=None, task=None, **options):
        """Registers a function as a tool: ``@mcp.tool``, ``@mcp.tool()`` or ``@mcp.tool(name=...)``."""
        at = opts.caller()
        opts.check("@mcp.tool", options, at, opts.COMPONENT_NOTICES, opts.COMPONENT_ERRORS)
        meta = _with_app(meta, app)
        if isinstance(name_or_fn, str):
            if name is not None:
                raise DefinitionError(f"{at}: @mcp.tool got a name twice ({name_or_fn!r} and name={name!r})")
            name = name_or_fn

        def decorator(fn):
            if self._fastmcp4:
                _refuse_unbound_method(fn, at)
                if exclude_args:
                    opts.notice(f"{at}: @mcp.tool's exclude_args= was removed in fastmcp 4 (which refuses it); Berth "
                                "hides the arguments as fastmcp 2 did: give them a Depends(...) default instead")
            tool = self._tool_class(fn, name, title, description, tags, annotations, meta, output_schema, icons, version,
                        timeout, exclude_args, structured_output, at=at,
                        task=self._tasks_default if task is None else task)
            if enabled is not False:
                self._register(self._tools, tool.name, tool, "tool", at)
            if self._fastmcp4:  # as fastmcp 4, the decorator's arguments stay on the function (mcp.add_tool(fn))
                standalone.mark(fn, "tool", name=name, title=title, description=description, tags=tags,
                                annotations=annotations, meta=meta, icons=icons, version=version, timeout=timeout,
                                output_schema=output_schema)
            return fn

        if callable(name_or_fn):
            return decorator(name_or_fn)
        return decorator

    def add_tool(self, fn, **options):
        at = opts.caller()
        tool = fn if isinstance(fn, Tool) else self._tool_class.from_function(
            fn, **{**standalone.recorded(fn, "tool"), **options})
        self._register(self._tools, tool.name, tool, "tool", at)
        return fn

    def remove_tool(self, name):
        self._tools.pop(name, None)

    async def get_tool(self, name, version=None):
        """The tool clients call by ``name`` (mounted ones by their namespaced name), or None when there is
        none or it is disabled; with ``version``, only that version (as fastmcp 4.x's ``get_tool``)."""
        found = self._find_tool(name)
        if found is None:
            return None
        tool = found[0] if found[1] is self else Exposed(found[0], name)
        wanted = getattr(version, "eq", version)
        if wanted is not None and str(tool.version) != str(wanted):
            return None
        return tool

    def resource(self, uri, *, name=None, title=None, description=None, mime_type=None, tags=None,
                 annotations=None, meta=None, icons=None, version=None, enabled=True, app=None, **options):
        """Registers a resource (``"data://x"``) or a template (``"data://items/{id}"``)."""
        at = opts.caller()
        if callable(uri):
            raise DefinitionError(f"{at}: @resource needs a URI: write @mcp.resource(\"data://...\")")
        opts.check("@mcp.resource", options, at, opts.COMPONENT_NOTICES, opts.COMPONENT_ERRORS)
        meta = _with_app(meta, app)

        def decorator(fn):
            res = Resource(fn, uri, name, title, description, mime_type, tags, annotations, meta, icons, version,
                           at=at)
            if enabled is not False:
                self._register(self._templates if res.is_template else self._resources, uri, res, "resource", at)
            return fn

        return decorator

    def prompt(self, name_or_fn=None, *, name=None, title=None, description=None, tags=None, meta=None,
               icons=None, version=None, enabled=True, **options):
        """Registers a prompt: ``@mcp.prompt``, ``@mcp.prompt()`` or ``@mcp.prompt(name=...)``."""
        at = opts.caller()
        opts.check("@mcp.prompt", options, at, opts.COMPONENT_NOTICES, opts.COMPONENT_ERRORS)
        if isinstance(name_or_fn, str):
            name = name_or_fn

        def decorator(fn):
            prompt = self._prompt_class(fn, name, title, description, tags, meta, icons, version, at=at)
            if enabled is not False:
                self._register(self._prompts, prompt.name, prompt, "prompt", at)
            return fn

        if callable(name_or_fn):
            return decorator(name_or_fn)
        return decorator

    def add_prompt(self, prompt, **options):
        """Adds a ``Prompt`` (``Prompt.from_function(fn, ...)``) or a function."""
        at = opts.caller()
        prompt = prompt if isinstance(prompt, Prompt) else self._prompt_class.from_function(
            prompt, **{**standalone.recorded(prompt, "prompt"), **options})
        self._register(self._prompts, prompt.name, prompt, "prompt", at)
        return prompt

    def add_resource(self, resource, **options):
        """Adds a ``Resource`` (``Resource.from_function(fn, uri, ...)``); a function needs ``uri=``."""
        at = opts.caller()
        if not isinstance(resource, Resource):
            options = {**standalone.recorded(resource, "resource"), **options}
            if "uri" not in options:
                raise DefinitionError(f"{at}: add_resource(fn) needs uri=; or build it with "
                                      "Resource.from_function(fn, uri=...)")
            resource = Resource.from_function(resource, **options)
        table = self._templates if resource.is_template else self._resources
        self._register(table, resource.uri, resource, "resource", at)
        return resource

    add_template = add_resource

    @property
    def local_provider(self):
        """fastmcp 4.x's provider of the server's own components (``mcp.local_provider.remove_tool(...)``)."""
        return LocalProvider(self)

    def remove_prompt(self, name):
        self._prompts.pop(name, None)

    def remove_resource(self, uri):
        self._resources.pop(uri, None) or self._templates.pop(uri, None)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        raise AttributeError(f"{type(self).__name__}.{name} is not part of Berth's SDK; see the SDK README for what "
                             "it provides (tools, resources, prompts, middleware, mount, lifespan, ...)")

    def completion(self, handler=None):
        """Registers ``fn(ref, argument, context)`` to suggest argument values (as the MCP SDK does)."""

        def decorator(fn):
            self._completion = fn
            return fn

        return decorator(handler) if callable(handler) else decorator

    def add_middleware(self, middleware):
        """Adds a middleware (``fastmcp.server.middleware.Middleware`` or any ``async (context, call_next)``)."""
        if isinstance(middleware, type):
            raise DefinitionError(f"{opts.caller()}: add_middleware got the class {middleware.__name__}; pass an "
                                  f"instance: {middleware.__name__}()")
        if not callable(middleware):
            raise DefinitionError(f"{opts.caller()}: middleware must be a Middleware instance, got "
                                  f"{type(middleware).__name__}")
        if self._middleware_base_only and not isinstance(middleware, Middleware):
            raise DefinitionError(
                f"{opts.caller()}: {type(middleware).__name__} is not a fastmcp Middleware; Berth runs middleware "
                "written against fastmcp.server.middleware.Middleware (on_call_tool, on_read_resource, ...), not "
                "the official SDK's server middleware")
        for hook, why in (("on_initialize", "Berth answers initialize itself"),
                          ("on_notification", "notifications stay in Berth's edge")):
            if isinstance(middleware, Middleware) and getattr(type(middleware), hook) is not getattr(Middleware, hook):
                opts.notice(f"{opts.caller()}: {type(middleware).__name__}.{hook} never runs: {why}")
        self._middleware.append(middleware)

    @property
    def middleware(self):
        return self._middleware

    def run(self, *args, **kwargs):
        """Does nothing inside Berth: the platform serves the server (a notice says so when it is called)."""
        shown = ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
        opts.notice(f"{opts.caller()}: mcp.run({shown}) is ignored: Berth serves the project itself "
                    "(put it under `if __name__ == \"__main__\":` to keep it for local runs)")

    async def run_async(self, *args, **kwargs):
        self.run(*args, **kwargs)

    def _asgi(self, method):
        at = opts.caller()
        opts.notice(f"{at}: mcp.{method}() gives an app Berth never serves: Berth serves the MCP endpoint itself")

        async def app(scope, receive, send):
            raise RuntimeError(f"{at}: the app from mcp.{method}() is not served in Berth")

        return app

    def http_app(self, *_args, **_kwargs):
        return self._asgi("http_app")

    def streamable_http_app(self, *_args, **_kwargs):
        return self._asgi("streamable_http_app")

    def sse_app(self, *_args, **_kwargs):
        return self._asgi("sse_app")

    def custom_route(self, path, methods=None, **_kwargs):
        raise DefinitionError(f"{opts.caller()}: @mcp.custom_route({path!r}) is not supported: Berth serves only "
                              "the MCP endpoint of a project; move the route to another service")

    # Lifespan ------------------------------------------------------------------------------

    def _start(self):
        """Enters the lifespan once per instance, before the first call (never at build time)."""
        if self._start_error is not None:
            raise ReportedError(self._start_error)
        if self._started:
            return
        self._started = True
        for child in self._children():
            child._start()
        if self._lifespan is None:
            return
        try:
            cm = self._lifespan(self)
            if not hasattr(cm, "__aenter__"):
                raise TypeError(f"the lifespan returned {type(cm).__name__}, not an async context manager; "
                                "decorate it with @asynccontextmanager")
            self._lifespan_result = runtime.run_sync(cm.__aenter__())
            self._lifespan_cm = cm
        except Exception as exc:
            self._start_error = f"the server's lifespan failed: {type(exc).__name__}: {exc}"
            raise ReportedError(self._start_error) from exc

    def _context(self):
        activate(self)
        return Context(self)

    # What the host asks --------------------------------------------------------------------

    def describe(self):
        doc = {"name": self.name, "version": str(self.version) if self.version is not None else "1.0.0"}
        for key, value in (("title", self.title), ("description", self.description),
                           ("websiteUrl", self.website_url), ("icons", self.icons),
                           ("instructions", self.instructions)):
            if value:
                doc[key] = value
        doc["tools"] = self._list("tools/list", lambda: self._all_tools(), lambda t: t.listing())
        doc["resources"] = self._list("resources/list", lambda: self._all_resources(False), lambda r: r.listing())
        doc["resourceTemplates"] = self._list("resources/templates/list", lambda: self._all_resources(True),
                                              lambda r: r.listing())
        doc["prompts"] = self._list("prompts/list", lambda: self._all_prompts(), lambda p: p.listing())
        doc["capabilities"] = self._capabilities()
        if opts.NOTICES:
            doc["notices"] = list(opts.NOTICES)
        return doc

    def _capabilities(self):
        """What fastmcp 4.x advertises, per era: list changes on 2025 sessions (2026-07-28 serves no
        listen stream for them), logging, MCP Apps, completions once a handler is registered."""
        legacy = {"logging": {}, "prompts": {"listChanged": True},
                  "resources": {"subscribe": False, "listChanged": True}, "tools": {"listChanged": True}}
        modern = {"logging": {}, "prompts": {"listChanged": False},
                  "resources": {"subscribe": False, "listChanged": False}, "tools": {"listChanged": False},
                  "extensions": {"io.modelcontextprotocol/ui": {}}}
        return self._with_completions(legacy, modern)

    def _with_completions(self, legacy, modern):
        if self._completion is not None:
            legacy["completions"] = modern["completions"] = {}
        return {"legacy": legacy, "modern": modern}

    def _list(self, method, items, listing):
        async def terminal(_context):
            return items()

        context = MiddlewareContext(message=_ListRequest(method), method=method, fastmcp_context=self._context())
        return [listing(c) for c in runtime.run_sync(run_chain(self._middleware, context, terminal))]

    def call_tool(self, name, arguments):
        """Runs a tool: returns ``(blocks, structured, is_error)``; raises ArgumentError."""
        return self.call_tool_result(name, arguments)[:3]

    def call_tool_result(self, name, arguments):
        """Runs a tool: returns ``(blocks, structured, is_error, meta)`` (``meta``: the result's own ``_meta``);
        raises ArgumentError. A tool that is not there (or disabled) is an error result naming it, as each
        native spelling answers."""
        self._start()
        if not self._middleware:
            found = self._find_tool(name)
            if found is not None and found[1] is self:
                return self._call_direct(found[0], name, arguments)
        try:
            return runtime.run_sync(self._call_tool(name, arguments))
        except NotFound:
            return [{"type": "text", "text": self._unknown_tool_text(name)}], None, True, None

    def _unknown_tool_text(self, name):
        return f"Unknown tool: {name!r}"

    def _call_direct(self, tool, name, arguments):
        """A tool of this server without middleware: no chain, and no event loop for a synchronous one."""
        activate(self)
        try:
            kwargs = _bind_tool(tool, arguments)
            for ctx_name in tool.context_params:
                kwargs[ctx_name] = Context(self)
            value = tool.call(kwargs)
            if inspect.isawaitable(value):
                value = runtime.run_sync(value)
            return self._tool_result(value, tool)
        except ArgumentError:  # arguments that are not an object: a protocol error, as through middleware
            raise
        except Exception as exc:  # a failing tool is a result the client sees, never a crash
            return [{"type": "text", "text": self._tool_error_text(name, exc)}], None, True, None

    async def _call_tool(self, name, arguments):
        context = MiddlewareContext(message=CallToolRequestParams(name=name, arguments=arguments),
                                    method="tools/call", fastmcp_context=self._context())
        try:
            result = await run_chain(self._middleware, context, self._call_tool_terminal)
        except (NotFound, ArgumentError, McpError):
            raise
        except Exception as exc:  # a failing tool is a result the client sees, never a crash
            return [{"type": "text", "text": self._tool_error_text(name, exc, outer=True)}], None, True, None
        return tool_result(result, None, name)

    async def _call_tool_terminal(self, context):
        name, arguments = context.message.name, context.message.arguments
        found = self._find_tool(name)
        if found is None:
            raise NotFound(f"Unknown tool: {name!r}")
        tool, owner, original = found
        if owner is not self:
            return _as_tool_result(await owner._call_tool(original, arguments))
        try:
            kwargs = _bind_tool(tool, arguments)
            for ctx_name in tool.context_params:
                kwargs[ctx_name] = context.fastmcp_context or self._context()
            value = await tool.run(kwargs)
            blocks, structured, is_error, meta = self._tool_result(value, tool)
        except ArgumentError:  # arguments that are not an object: a protocol error
            raise
        except Exception as exc:
            raise ToolError(self._tool_error_text(name, exc)) from exc
        return ToolResult._of(blocks, structured, is_error, meta)

    def _tool_result(self, value, tool):
        return tool_result(value, tool.output_schema, tool.name, getattr(tool, "return_type", None))

    def _tool_error_text(self, name, exc, outer=False):
        if outer and isinstance(exc, ToolError):
            return str(exc)
        message = (str(exc) or type(exc).__name__) + sandbox_hint(exc)
        if isinstance(exc, ToolError):
            return message
        return f"Error calling tool {name!r}" if self._mask_errors else f"Error calling tool {name!r}: {message}"

    def read_resource(self, uri):
        self._start()
        return runtime.run_sync(self._read_resource(uri))

    def _read_resource_sync(self, uri):
        return runtime.run_sync(self._read_resource(uri))

    async def _read_resource(self, uri):
        context = MiddlewareContext(message=ReadResourceRequestParams(uri=uri), method="resources/read",
                                    fastmcp_context=self._context())
        try:
            result = await run_chain(self._middleware, context, self._read_terminal)
        except (NotFound, ArgumentError, ReportedError, McpError):
            raise
        except Exception as exc:
            raise ReportedError(self._resource_error_text(uri, exc)) from exc
        return read_items(result, uri)

    async def _read_terminal(self, context):
        uri = context.message.uri
        found = self._find_resource(uri)
        if found is None:
            raise NotFound(repr(uri))  # the edge sends "Resource not found: 'uri'", as fastmcp words it
        resource, owner, original, args = found
        if owner is not self:
            items = await owner._read_resource(original)
            return read_result([{**i, "uri": uri} if i.get("uri") == original else i for i in items])
        try:
            return read_result(
                await resource.read(uri, args, context.fastmcp_context or self._context(), self._json_indent))
        except (ArgumentError, ResourceError):
            raise
        except Exception as exc:
            raise ResourceError(self._resource_error_text(uri, exc, resource.is_template)) from exc

    def _resource_error_text(self, uri, exc, template=False):
        if isinstance(exc, ResourceError):
            return str(exc)
        return f"Error reading resource {uri!r}" if self._mask_errors else \
            f"Error reading resource {uri!r}: {exc}{sandbox_hint(exc)}"

    def get_prompt(self, name, arguments):
        """Renders a prompt: ``(description, messages)``."""
        return self.get_prompt_result(name, arguments)[:2]

    def get_prompt_result(self, name, arguments):
        """Renders a prompt: ``(description, messages, meta)`` (``meta``: the result's own ``_meta``)."""
        self._start()
        result = runtime.run_sync(self._get_prompt(name, arguments))
        meta = getattr(result, "meta", None) if isinstance(result, PromptResult) else None
        return getattr(result, "description", None), prompt_messages(result), to_jsonable(meta) if meta else None

    async def _get_prompt(self, name, arguments):
        context = MiddlewareContext(message=GetPromptRequestParams(name=name, arguments=arguments),
                                    method="prompts/get", fastmcp_context=self._context())
        try:
            return await run_chain(self._middleware, context, self._prompt_terminal)
        except (NotFound, ArgumentError, ReportedError, McpError):
            raise
        except Exception as exc:
            raise ReportedError(self._prompt_error_text(name, exc)) from exc

    async def _prompt_terminal(self, context):
        name, arguments = context.message.name, context.message.arguments or {}
        found = self._find_prompt(name)
        if found is None:
            raise NotFound(f"Unknown prompt: {name!r}")
        prompt, owner, original = found
        if owner is not self:
            return await owner._get_prompt(original, arguments)
        try:
            kwargs = prompt.bind_arguments(arguments)
        except PromptArgumentsError as exc:  # fastmcp's refusals read as a failed render
            raise PromptError(self._prompt_error_text(name, exc)) from None
        for ctx_name in prompt.context_params:
            kwargs[ctx_name] = context.fastmcp_context or self._context()
        try:
            value = prompt.call(kwargs)
            if inspect.isawaitable(value):
                value = await value
            description = getattr(value, "description", None) or prompt.description
            messages = [Message(block_model(m["content"]), role=m["role"]) for m in prompt_messages(value)]
            return PromptResult(messages, description=description, meta=getattr(value, "meta", None))
        except PromptError:
            raise
        except Exception as exc:
            raise PromptError(self._prompt_failure_text(name, exc)) from exc

    def _prompt_failure_text(self, name, exc):
        """A prompt function's own failure: fastmcp's ``FunctionPrompt.render`` words it, never masked."""
        return f"Error rendering prompt {name!r}: {exc}{sandbox_hint(exc)}"

    def _prompt_error_text(self, name, exc):
        if isinstance(exc, PromptError):
            return str(exc)
        return f"Error rendering prompt {name!r}" if self._mask_errors else \
            f"Error rendering prompt {name!r}: {exc}{sandbox_hint(exc)}"

    def complete(self, kind, ref, argument, value, context_arguments):
        """Suggests values: the registered completion handler, else Literal/Enum choices, else none."""
        self._start()
        target = self._find_prompt(ref) if kind == "prompt" else self._find_template(ref)
        if target is None:
            raise NotFound(f"unknown {'prompt' if kind == 'prompt' else 'resource template'} '{ref}'")
        if self._completion is not None:
            ref_model = PromptReference(name=ref) if kind == "prompt" else ResourceTemplateReference(uri=ref)
            result = runtime.run_sync(self._completion(
                ref_model, CompletionArgument(name=argument, value=value),
                CompletionContext(arguments=dict(context_arguments))))
            return _completion_values(result)
        for p in target[0].params:
            if p.name == argument:
                return [c for c in _choices(p.annotation) if c.startswith(value)], None, False
        return [], None, False

    # Convenience for tests and plain Python ---------------------------------------------------

    def list_tools(self):
        return self.describe()["tools"]


def _refuse_unbound_method(fn, at):
    """fastmcp 4 refuses a method decorated in its class (its ``self`` would be an argument clients send)."""
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return
    if params and params[0] in ("self", "cls"):
        name = getattr(fn, "__name__", "function")
        raise DefinitionError(
            f"{at}: the function '{name}' has '{params[0]}' as its first parameter. Use the standalone @tool "
            f"decorator and register the bound method: from fastmcp.tools import tool; decorate the method with "
            f"@tool in the class, then mcp.add_tool(obj.{name}) (https://gofastmcp.com/servers/tools#using-with-methods)")


class _ListRequest:
    def __init__(self, method):
        self.method = method
        self.params = None


class _Settings:
    """``mcp.settings``: what user code reads back; transport settings it assigns are notices."""

    def __init__(self, server):
        object.__setattr__(self, "_server", server)

    @property
    def name(self):
        return self._server.name

    @property
    def instructions(self):
        return self._server.instructions

    @property
    def mask_error_details(self):
        return bool(self._server._mask_errors)

    def __getattr__(self, name):
        if name in opts.SERVER_NOTICES:
            return None
        raise AttributeError(f"mcp.settings.{name} is not available in Berth")

    def __setattr__(self, name, value):
        at = opts.caller()
        if name in opts.SERVER_NOTICES:
            opts.notice(f"{at}: mcp.settings.{name} = {value!r} is ignored: {opts.SERVER_NOTICES[name]}")
            return
        raise DefinitionError(f"{at}: mcp.settings.{name} cannot be set in Berth; pass it to FastMCP(...) if it "
                              "is one of its arguments")


def _with_app(meta, app):
    if app is None or app is False:
        return meta
    meta = dict(meta or {})
    meta["ui"] = True if app is True else to_jsonable(app)
    return meta


def _as_tool_result(outcome):
    blocks, structured, is_error, meta = outcome
    if is_error:
        raise ToolError(blocks[0]["text"] if blocks and blocks[0]["type"] == "text" else "tool failed")
    return ToolResult._of(blocks, structured, is_error, meta)


def _completion_values(result):
    if result is None:
        return [], None, False
    if isinstance(result, Completion) or hasattr(result, "values") and not callable(result.values):
        total = getattr(result, "total", None)
        return [str(v) for v in result.values][:100], total, bool(getattr(result, "hasMore", False))
    return [str(v) for v in result][:100], None, False


def _choices(annotation):
    tp = strip_annotated(annotation)[0]
    if typing.get_origin(tp) is typing.Literal:
        return [str(v) for v in typing.get_args(tp)]
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return [str(m.value) for m in tp]
    return []


def _bind_tool(tool, arguments):
    """A tool's keyword arguments (``Tool.bind_arguments``). An OpenAPI tool takes them as they came
    (fastmcp does not validate them either: the API does)."""
    if getattr(tool, "takes_raw_arguments", False):
        return {"arguments": dict(arguments or {})}
    return tool.bind_arguments(arguments)


__all__ = ["Completion", "FastMCP", "Message", "Middleware", "PromptMessage", "to_jsonable"]
