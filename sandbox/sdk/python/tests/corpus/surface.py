"""The FastMCP API surface beyond signatures: listing fields, result classes, errors, visibility,
middleware and mounting. Listings, results, reads and renders must equal real fastmcp 4.x's.

Imported twice by the tests: once with real fastmcp (in a subprocess) and once with Berth's SDK.
"""

import asyncio
import time

from mcp.types import CallToolResult, Icon, TextContent, ToolAnnotations

from fastmcp import Context, FastMCP
from fastmcp.exceptions import ResourceError, ToolError
from fastmcp.prompts import Message, PromptResult
from fastmcp.resources import ResourceContent, ResourceResult
from fastmcp.server.middleware import Middleware
from fastmcp.tools import ToolResult


class HideInternal(Middleware):
    """Hides tools tagged "internal" from the listing (they stay callable, as natively)."""

    async def on_list_tools(self, context, call_next):
        tools = await call_next(context)
        return [t for t in tools if "internal" not in t.tags]


class Shout(Middleware):
    """Upper-cases the text of tool results whose name starts with "shout"."""

    async def on_call_tool(self, context, call_next):
        result = await call_next(context)
        if context.message.name.startswith("shout"):
            result.content = [TextContent(type="text", text=c.text.upper()) for c in result.content]
        return result


class Footer(Middleware):
    """Appends a line to the text of every resource read (natively: a ResourceResult of ResourceContent)."""

    async def on_read_resource(self, context, call_next):
        result = await call_next(context)
        for item in result.contents:
            if isinstance(item.content, str):
                item.content += "\n-- read through middleware"
        return result


class Defaults(Middleware):
    """Fills in an argument the client left out, before the tool sees it."""

    async def on_call_tool(self, context, call_next):
        if context.message.name == "greet" and not (context.message.arguments or {}).get("name"):
            context.message.arguments = {**(context.message.arguments or {}), "name": "stranger"}
        return await call_next(context)


mcp = FastMCP("surface", instructions="The surface corpus.", website_url="https://surface.example",
              icons=[Icon(src="https://surface.example/icon.png", mimeType="image/png", sizes=["48x48"])],
              middleware=[HideInternal()])
mcp.add_middleware(Shout())
mcp.add_middleware(Defaults())
mcp.add_middleware(Footer())


@mcp.tool(title="Decorated", icons=[Icon(src="https://surface.example/t.png")], meta={"owner": "me"},
          annotations=ToolAnnotations(readOnlyHint=True, openWorldHint=False), tags={"b", "a"}, version="2")
def decorated(x: int) -> int:
    """Returns x."""
    return x


@mcp.tool(annotations={"destructiveHint": True, "title": "From annotations"})
def annotated() -> str:
    return "ok"


@mcp.tool(output_schema={"type": "object", "properties": {"n": {"type": "integer"}}})
def custom_schema() -> dict:
    return {"n": 1}


@mcp.tool(output_schema=None)
def no_schema() -> int:
    return 5


@mcp.tool
def whole_result() -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text="failed politely")],
                          structuredContent={"code": 7}, isError=True)


@mcp.tool
def tool_result() -> ToolResult:
    return ToolResult(content="summary", structured_content={"rows": 3})


@mcp.tool
def tool_result_structured_only() -> ToolResult:
    return ToolResult(structured_content={"only": True})


@mcp.tool
def refuses() -> str:
    raise ToolError("not allowed today")


@mcp.tool
def crashes() -> str:
    raise ValueError("boom")


@mcp.tool(timeout=0.05)
async def too_slow() -> str:
    await asyncio.sleep(5)
    return "late"


@mcp.tool(timeout=0.05)
def too_slow_sync() -> str:
    time.sleep(0.2)
    return "late"


@mcp.tool(timeout=5)
def quick_sync() -> str:
    return "in time"


@mcp.tool(tags={"internal"})
def internal() -> str:
    return "hidden from the listing, still callable"


@mcp.tool(tags={"hidden"})
def disabled_by_tag() -> str:
    return "never"


@mcp.tool
def disabled_by_name() -> str:
    return "never"


@mcp.tool
def shout_hello() -> str:
    return "hello"


@mcp.tool
def greet(name: str = "") -> str:
    return f"hi {name}"


@mcp.tool
async def uses_context(ctx: Context) -> str:
    return type(ctx).__name__


mcp.disable(tags={"hidden"})
mcp.disable(names={"disabled_by_name"})


@mcp.resource("data://icons", icons=[Icon(src="https://surface.example/r.png")],
              annotations={"audience": ["user"], "priority": 0.5}, meta={"m": 2}, title="Iconic", version="1")
def iconic() -> str:
    return "r"


@mcp.resource("data://broken")
def broken() -> str:
    raise ResourceError("the store is closed")


@mcp.resource("data://bundle")
def bundle() -> ResourceResult:
    return ResourceResult([ResourceContent({"a": [1, 2]}), ResourceContent("two", mime_type="text/markdown"),
                           ResourceContent(b"\x00\x01")])


@mcp.resource("data://search{?q,limit}")
def search(q: str = "", limit: int = 2) -> list:
    return [w for w in ["apple", "apricot", "banana", "cherry"] if q in w][:limit]


@mcp.resource("data://items/{item_id}", tags={"t"})
def item(item_id: str) -> dict:
    return {"id": item_id}


@mcp.prompt(icons=[Icon(src="https://surface.example/p.png")], meta={"k": 1}, title="Conversation")
def conversation(topic: str) -> list:
    return [Message(f"Tell me about {topic}"), Message("Gladly.", role="assistant")]


@mcp.prompt
def prompt_result() -> PromptResult:
    return PromptResult([Message("one"), Message("two", role="assistant")], description="From the result")


child = FastMCP("child")


@child.tool
def child_tool(n: int) -> int:
    """Doubles n."""
    return n * 2


@child.resource("data://child/info")
def child_info() -> str:
    return "child info"


@child.resource("data://child/{key}")
def child_item(key: str) -> str:
    return f"child {key}"


@child.prompt
def child_prompt() -> str:
    return "from the child"


mcp.mount(child, namespace="kid")

CALLS = [
    ("decorated", {"x": 3}),
    ("annotated", {}),
    ("custom_schema", {}),
    ("no_schema", {}),
    ("whole_result", {}),
    ("tool_result", {}),
    ("tool_result_structured_only", {}),
    ("refuses", {}),
    ("crashes", {}),
    ("too_slow", {}),
    ("too_slow_sync", {}),
    ("quick_sync", {}),
    ("internal", {}),
    ("shout_hello", {}),
    ("greet", {}),
    ("greet", {"name": "Ann"}),
    ("uses_context", {}),
    ("kid_child_tool", {"n": 21}),
]

READS = ["data://search?q=ap&limit=5", "data://search", "data://search?q=an", "data://bundle", "data://icons", "data://items/7", "data://kid/child/info", "data://kid/child/abc"]

PROMPTS = [("conversation", {"topic": "tides"}), ("prompt_result", {}), ("kid_child_prompt", {})]
