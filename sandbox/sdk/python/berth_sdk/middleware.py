"""fastmcp's middleware: ``Middleware`` with its hooks, ``MiddlewareContext`` and the chain runner.

A middleware sees each operation as ``context`` (``context.message`` holds the request's params,
``context.method`` its MCP method) and passes it on with ``await call_next(context)``. The hooks run
outermost first: ``on_message``, then ``on_request``, then the typed hook (``on_call_tool``, ...).

Listings are computed once, at build time, so ``on_list_tools`` and the other list hooks (and the
``on_message``/``on_request`` around them) run then, not per client request.
"""

import dataclasses
import datetime
import typing

from berth_sdk.mcp_types import _MISSING, _model

_TYPED_HOOKS = {
    "tools/call": "on_call_tool",
    "resources/read": "on_read_resource",
    "prompts/get": "on_get_prompt",
    "tools/list": "on_list_tools",
    "resources/list": "on_list_resources",
    "resources/templates/list": "on_list_resource_templates",
    "prompts/list": "on_list_prompts",
    "initialize": "on_initialize",
}

# What ``context.message`` is for each method, shaped as mcp.types' request params.
CallToolRequestParams = _model("CallToolRequestParams", "tools/call params.", name=_MISSING, arguments=None,
                               meta=None)
ReadResourceRequestParams = _model("ReadResourceRequestParams", "resources/read params.", uri=_MISSING, meta=None)
GetPromptRequestParams = _model("GetPromptRequestParams", "prompts/get params.", name=_MISSING, arguments=None,
                                meta=None)
ListRequest = _model("ListRequest", "A list request.", method=_MISSING, params=None)


@dataclasses.dataclass(kw_only=True, frozen=True)
class MiddlewareContext:
    """One operation passing through the middleware chain."""

    message: typing.Any
    fastmcp_context: typing.Any = None
    source: str = "client"
    type: str = "request"
    method: str | None = None
    timestamp: datetime.datetime = dataclasses.field(
        default_factory=lambda: datetime.datetime.now(datetime.timezone.utc))

    def copy(self, **kwargs):
        return dataclasses.replace(self, **kwargs)

    def __class_getitem__(cls, item):
        return cls


CallNext = typing.Callable[[MiddlewareContext], typing.Awaitable[typing.Any]]


def _wrap(handler, call_next):
    async def wrapper(context):
        return await handler(context, call_next)

    return wrapper


class Middleware:
    """Base class: override the hooks you need; each receives ``(context, call_next)``."""

    async def __call__(self, context, call_next):
        handler = call_next
        typed = _TYPED_HOOKS.get(context.method)
        if typed:
            handler = _wrap(getattr(self, typed), handler)
        handler = _wrap(self.on_request if context.type == "request" else self.on_notification, handler)
        handler = _wrap(self.on_message, handler)
        return await handler(context)

    async def on_message(self, context, call_next):
        return await call_next(context)

    async def on_request(self, context, call_next):
        return await call_next(context)

    async def on_notification(self, context, call_next):
        return await call_next(context)

    async def on_initialize(self, context, call_next):
        return await call_next(context)

    async def on_call_tool(self, context, call_next):
        return await call_next(context)

    async def on_read_resource(self, context, call_next):
        return await call_next(context)

    async def on_get_prompt(self, context, call_next):
        return await call_next(context)

    async def on_list_tools(self, context, call_next):
        return await call_next(context)

    async def on_list_resources(self, context, call_next):
        return await call_next(context)

    async def on_list_resource_templates(self, context, call_next):
        return await call_next(context)

    async def on_list_prompts(self, context, call_next):
        return await call_next(context)


async def run_chain(middlewares, context, terminal):
    """Runs ``terminal`` inside ``middlewares`` (the first added is the outermost)."""
    handler = terminal
    for mw in reversed(middlewares):
        handler = _bind(mw, handler)
    return await handler(context)


def _bind(mw, call_next):
    async def wrapper(context):
        return await mw(context, call_next)

    return wrapper
