"""fastmcp's built-in middleware as its documentation configures them (docs/servers/middleware.mdx): response
caching answering repeated calls from the cache (per arguments, with ``CallToolSettings(included_tools=...)``),
and retrying a flaky tool. (Rate limiting counts every MCP request, listings and initialize included, which a
client library and Berth's edge send differently: it is checked in test_surface.py.) Results must equal real
fastmcp 4.x's.
"""

from fastmcp import FastMCP
from fastmcp.server.middleware.caching import CallToolSettings, ResponseCachingMiddleware
from fastmcp.server.middleware.error_handling import RetryMiddleware

COUNTS = {"expensive": 0, "cheap": 0, "flaky": 0}

mcp = FastMCP("Builtins")
mcp.add_middleware(RetryMiddleware(max_retries=2, retry_exceptions=(ConnectionError,)))
mcp.add_middleware(ResponseCachingMiddleware(call_tool_settings=CallToolSettings(included_tools=["expensive_tool"])))


@mcp.tool
def expensive_tool(x: int) -> dict:
    COUNTS["expensive"] += 1
    return {"x": x, "computed": COUNTS["expensive"]}


@mcp.tool
def cheap_tool() -> int:
    COUNTS["cheap"] += 1
    return COUNTS["cheap"]


@mcp.tool
def flaky() -> str:
    COUNTS["flaky"] += 1
    if COUNTS["flaky"] < 3:
        raise ConnectionError("network blip")
    return f"worked after {COUNTS['flaky']} tries"


CALLS = [
    ("expensive_tool", {"x": 1}),
    ("expensive_tool", {"x": 1}),
    ("expensive_tool", {"x": 2}),
    ("cheap_tool", {}),
    ("cheap_tool", {}),
    ("flaky", {}),
    ("cheap_tool", {}),
    ("cheap_tool", {}),
    ("cheap_tool", {}),
    ("cheap_tool", {}),
    ("cheap_tool", {}),
    ("cheap_tool", {}),
    ("cheap_tool", {}),
]
