"""``fastmcp.tools``: the Tool class (build a tool, then ``mcp.add_tool(tool)``) and ToolResult."""

from berth_sdk.components import Tool
from berth_sdk.content import ToolResult

FunctionTool = Tool

__all__ = ["FunctionTool", "Tool", "ToolResult"]
