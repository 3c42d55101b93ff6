"""Middleware as FastMCP's documentation teaches it (docs/servers/middleware.mdx): hooks for calls, reads,
renders and listings, arguments rewritten before the tool runs, results changed after it, tools refused by
name or tag, ``get_tool`` from the context, the built-in error handling, timing, logging and response
limiting middleware, tool injection, and middleware of a mounted server running only for its own
components. Listings and results must equal real fastmcp 4.x's.
"""

from fastmcp import Context, FastMCP
from fastmcp.exceptions import ToolError
from fastmcp.server.middleware import Middleware, MiddlewareContext
from fastmcp.server.middleware.error_handling import ErrorHandlingMiddleware
from fastmcp.server.middleware.logging import LoggingMiddleware
from fastmcp.server.middleware.response_limiting import ResponseLimitingMiddleware
from fastmcp.server.middleware.timing import TimingMiddleware
from fastmcp.server.middleware.tool_injection import ToolInjectionMiddleware
from fastmcp.tools import Tool
from mcp.types import TextContent


class AuthMiddleware(Middleware):
    async def on_call_tool(self, context: MiddlewareContext, call_next):
        tool_name = context.message.name
        if tool_name in ["delete_all", "admin_config"]:
            raise ToolError("Access denied: requires admin privileges")
        return await call_next(context)


class InputSanitizer(Middleware):
    async def on_call_tool(self, context: MiddlewareContext, call_next):
        if context.message.name == "search":
            query = context.message.arguments.get("query", "")
            context.message.arguments["query"] = query.strip().lower()
        return await call_next(context)


class ResponseEnricher(Middleware):
    async def on_call_tool(self, context: MiddlewareContext, call_next):
        result = await call_next(context)
        if context.message.name == "get_data" and result.structured_content:
            result.structured_content["processed_by"] = "enricher"
        return result


class PrivateToolFilter(Middleware):
    async def on_list_tools(self, context: MiddlewareContext, call_next):
        tools = await call_next(context)
        return [tool for tool in tools if "private" not in tool.tags]

    async def on_call_tool(self, context: MiddlewareContext, call_next):
        if context.fastmcp_context:
            tool = await context.fastmcp_context.fastmcp.get_tool(context.message.name)
            if tool is not None and "private" in tool.tags:
                raise ToolError("Tool not found")
        return await call_next(context)


class MethodRecorder(Middleware):
    """Adds the hooks that ran to a tool's text result."""

    async def on_message(self, context: MiddlewareContext, call_next):
        result = await call_next(context)
        if context.method == "tools/call" and context.message.name == "trace":
            result.content = [TextContent(type="text", text=result.content[0].text + " +message")]
        return result

    async def on_request(self, context: MiddlewareContext, call_next):
        result = await call_next(context)
        if context.method == "tools/call" and context.message.name == "trace":
            result.content = [TextContent(type="text", text=result.content[0].text + " +request")]
        return result


class PromptSuffix(Middleware):
    async def on_get_prompt(self, context: MiddlewareContext, call_next):
        result = await call_next(context)
        result.description = f"{result.description or ''} (via middleware)"
        return result


class ResourceGuard(Middleware):
    async def on_read_resource(self, context: MiddlewareContext, call_next):
        if context.message.uri.startswith("secret://"):
            raise ToolError("no secrets")
        return await call_next(context)


def my_tool_fn(a: int, b: int) -> int:
    return a + b


my_tool = Tool.from_function(fn=my_tool_fn, name="my_tool")

mcp = FastMCP("MyServer")
mcp.add_middleware(ErrorHandlingMiddleware())
mcp.add_middleware(TimingMiddleware())
mcp.add_middleware(LoggingMiddleware(include_payloads=True, max_payload_length=1000))
mcp.add_middleware(AuthMiddleware())
mcp.add_middleware(InputSanitizer())
mcp.add_middleware(ResponseEnricher())
mcp.add_middleware(PrivateToolFilter())
mcp.add_middleware(MethodRecorder())
mcp.add_middleware(PromptSuffix())
mcp.add_middleware(ResourceGuard())
mcp.add_middleware(ToolInjectionMiddleware(tools=[my_tool]))
mcp.add_middleware(ResponseLimitingMiddleware(max_size=200, tools=["big"]))


@mcp.tool
def search(query: str) -> str:
    return f"searching for {query!r}"


@mcp.tool
def get_data() -> dict:
    return {"rows": 2}


@mcp.tool
def delete_all() -> str:
    return "deleted"


@mcp.tool(tags={"private"})
def private_tool() -> str:
    return "private"


@mcp.tool
def trace() -> str:
    return "traced"


@mcp.tool
def big() -> str:
    return "x" * 1000


@mcp.tool
def crashes() -> str:
    raise ValueError("internal failure")


@mcp.tool
async def uses_state(ctx: Context) -> str:
    return type(ctx).__name__


@mcp.resource("data://open")
def open_data() -> str:
    return "open"


@mcp.resource("secret://keys")
def keys() -> str:
    return "keys"


@mcp.prompt
def ask(topic: str) -> str:
    """Ask about a topic."""
    return f"Tell me about {topic}"


child = FastMCP("Child")


class ChildOnly(Middleware):
    async def on_call_tool(self, context: MiddlewareContext, call_next):
        result = await call_next(context)
        result.content = [TextContent(type="text", text=result.content[0].text + " [child middleware]")]
        return result


child.add_middleware(ChildOnly())


@child.tool
def child_tool() -> str:
    return "from child"


mcp.mount(child, namespace="child")

CALLS = [
    ("search", {"query": "  Hello World "}),
    ("get_data", {}),
    ("delete_all", {}),
    ("private_tool", {}),
    ("trace", {}),
    ("big", {}),
    ("crashes", {}),
    ("uses_state", {}),
    ("my_tool", {"a": 2, "b": 3}),
    ("child_child_tool", {}),
    ("no_such_tool", {}),
]

READS = ["data://open", "secret://keys"]

PROMPTS = [("ask", {"topic": "middleware"})]
