"""``fastmcp.tools.function_tool`` (the module fastmcp 2.x and 4.x keep these names in)."""

from berth_sdk.components import Tool
from berth_sdk.content import ToolResult
from berth_sdk.standalone import tool

FunctionTool = Tool

__all__ = ["FunctionTool", "Tool", "ToolResult", "tool"]
