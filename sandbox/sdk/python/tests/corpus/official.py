"""Results of the official SDK 2.x's spelling (``MCPServer``) that must equal the real SDK's: content
conversion (lists flattened, JSON indented), structured results, error texts, reads and prompt messages.
"""

from dataclasses import dataclass

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.prompts.base import AssistantMessage, UserMessage
from mcp.types import CallToolResult, TextContent

mcp = MCPServer("official")


@dataclass
class Point:
    x: int
    y: int


@mcp.tool()
def add(a: int, b: int = 2) -> int:
    """Adds."""
    return a + b


@mcp.tool()
def numbers() -> list[int]:
    return [1, 2, 3]


@mcp.tool()
def point() -> Point:
    return Point(1, 2)


@mcp.tool()
def mapping() -> dict[str, int]:
    return {"a": 1, "ü": 2}


@mcp.tool()
def text() -> str:
    return "plain"


@mcp.tool()
def blocks() -> list:
    return [TextContent(type="text", text="one"), "two", {"k": "v"}]


@mcp.tool()
def whole() -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text="whole")], isError=True)


@mcp.tool()
def refuses() -> str:
    raise ToolError("not today")


@mcp.tool()
def crashes() -> str:
    raise ValueError("secret")


@mcp.tool()
async def context_type(ctx: Context) -> str:
    return type(ctx).__name__


@mcp.resource("data://doc/{key}")
def doc(key: str) -> dict:
    return {"key": key, "tags": ["a", "b"]}


@mcp.resource("data://strict/{n}")
def strict(n: str) -> str:
    raise ValueError("secret detail")


@mcp.resource("data://fails")
def fails() -> str:
    raise ValueError("secret detail")


@mcp.resource("data://plain")
def plain() -> str:
    return "plain text"


@mcp.prompt()
def dialogue(topic: str) -> list:
    return [UserMessage(f"About {topic}?"), AssistantMessage("Sure.")]


CALLS = [("add", {"a": 1}), ("numbers", {}), ("point", {}), ("mapping", {}), ("text", {}), ("blocks", {}),
         ("whole", {}), ("refuses", {}), ("crashes", {}), ("context_type", {})]
READS = ["data://doc/x", "data://plain", "data://strict/1", "data://fails"]
PROMPTS = [("dialogue", {"topic": "tides"})]
