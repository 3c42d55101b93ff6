"""Server-level transforms as FastMCP's documentation teaches them (docs/servers/transforms/
tool-transformation.mdx, namespace.mdx, visibility.mdx): ``ToolTransform`` with ``ToolTransformConfig`` and
``ArgTransformConfig``, ``Namespace`` over the server's own and mounted components, ``Visibility``, and
``mcp.disable`` after a transform seeing the transformed names. Listings and results must equal real
fastmcp 4.x's.
"""

from fastmcp import FastMCP
from fastmcp.server.transforms import Namespace, ToolTransform, Visibility
from fastmcp.tools.tool_transform import ArgTransformConfig, ToolTransformConfig

mcp = FastMCP("Server")


@mcp.tool
def verbose_internal_data_fetcher(query: str, limit: int = 5) -> str:
    """Fetches data from the internal database."""
    return f"Results for: {query} (limit {limit})"


@mcp.tool(tags={"admin"})
def wipe() -> str:
    return "wiped"


@mcp.tool
def greet(name: str) -> str:
    return f"Hello, {name}!"


@mcp.resource("data://config")
def config() -> dict:
    return {"mode": "demo"}


@mcp.resource("data://items/{item_id}")
def item(item_id: str) -> dict:
    return {"id": item_id}


@mcp.prompt
def ask(topic: str) -> str:
    return f"Tell me about {topic}"


sub = FastMCP("Sub")


@sub.tool
def sub_tool(x: int) -> int:
    return x * 10


mcp.mount(sub, namespace="sub")

mcp.add_transform(ToolTransform({
    "verbose_internal_data_fetcher": ToolTransformConfig(
        name="search",
        description="Search the database.",
        tags={"search"},
        arguments={"query": ArgTransformConfig(name="q", description="What to look for"),
                   "limit": ArgTransformConfig(default=2)},
    ),
    "sub_sub_tool": ToolTransformConfig(name="times_ten"),
}))
mcp.add_transform(Visibility(False, tags={"admin"}))
mcp.add_transform(Namespace("api"))
mcp.disable(names={"api_greet"})

CALLS = [
    ("api_search", {"q": "cats"}),
    ("api_search", {"query": "cats"}),
    ("search", {"q": "cats"}),
    ("api_verbose_internal_data_fetcher", {"query": "x"}),
    ("api_wipe", {}),
    ("api_greet", {"name": "Ann"}),
    ("api_times_ten", {"x": 4}),
    ("api_sub_sub_tool", {"x": 4}),
]

READS = ["data://api/config", "data://api/items/7", "data://config"]

PROMPTS = [("api_ask", {"topic": "namespaces"}), ("ask", {"topic": "x"})]
