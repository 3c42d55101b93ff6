"""``fastmcp.tools``: the Tool class, for building a tool before adding it with ``mcp.add_tool``."""

from berth_sdk.server import Tool

FunctionTool = Tool

__all__ = ["FunctionTool", "Tool"]
