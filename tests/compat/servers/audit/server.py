"""A server with its own middleware: hides internal tools, audits calls, guards resources."""

from fastmcp import FastMCP
from fastmcp.exceptions import ToolError
from fastmcp.server.middleware import Middleware, MiddlewareContext
from fastmcp.tools import ToolResult
from mcp.types import TextContent

AUDIT: list[str] = []


class HideInternal(Middleware):
    """Drops tools tagged "internal" from listings and refuses calls to them."""

    async def on_list_tools(self, context: MiddlewareContext, call_next):
        tools = await call_next(context)
        return [t for t in tools if "internal" not in t.tags]

    async def on_call_tool(self, context: MiddlewareContext, call_next):
        if context.fastmcp_context:
            tool = await context.fastmcp_context.fastmcp.get_tool(context.message.name)
            if tool is not None and "internal" in tool.tags:
                raise ToolError(f"{context.message.name} is internal")
        return await call_next(context)


class Audit(Middleware):
    """Records every request's method, and appends a footer to tool results."""

    async def on_request(self, context: MiddlewareContext, call_next):
        AUDIT.append(context.method)
        return await call_next(context)

    async def on_call_tool(self, context: MiddlewareContext, call_next):
        result = await call_next(context)
        footer = TextContent(type="text", text=f"[audited {context.message.name}]")
        return ToolResult(content=[*result.content, footer], structured_content=result.structured_content)


class GuardSecrets(Middleware):
    async def on_read_resource(self, context: MiddlewareContext, call_next):
        if str(context.message.uri).startswith("secret://"):
            raise ToolError("secrets are not readable")
        return await call_next(context)


mcp = FastMCP("Audit", middleware=[HideInternal()])
mcp.add_middleware(Audit())
mcp.add_middleware(GuardSecrets())


@mcp.tool
def greet(name: str) -> str:
    """Say hello."""
    return f"Hello, {name}!"


@mcp.tool
def tally(items: list[int]) -> dict:
    """Sum and count of some numbers."""
    return {"sum": sum(items), "count": len(items)}


@mcp.tool(tags={"internal"})
def reindex() -> str:
    """Rebuild the search index."""
    return "reindexed"


@mcp.tool
def audit_log() -> list[str]:
    """Methods seen so far (tool calls only)."""
    return [m for m in AUDIT if m == "tools/call"]


@mcp.resource("secret://token")
def token() -> str:
    return "s3cr3t"


@mcp.resource("public://motd")
def motd() -> str:
    return "Welcome!"


if __name__ == "__main__":
    mcp.run()
