"""``fastmcp.tools``: the Tool class (build a tool, then ``mcp.add_tool(tool)``), ToolResult, and the
standalone ``@tool`` decorator (for methods: ``mcp.add_tool(obj.method)``)."""

from berth_sdk.components import Tool
from berth_sdk.content import ToolResult
from berth_sdk.standalone import tool

FunctionTool = Tool

__all__ = ["FunctionTool", "Tool", "ToolResult", "tool"]
