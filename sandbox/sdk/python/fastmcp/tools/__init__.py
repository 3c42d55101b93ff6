"""``fastmcp.tools``: the Tool class (build a tool, then ``mcp.add_tool(tool)``), ToolResult, and the
standalone ``@tool`` decorator (for methods: ``mcp.add_tool(obj.method)``)."""

from berth_sdk.components import Tool
from berth_sdk.content import ToolResult
from berth_sdk.standalone import tool
from berth_sdk.tool_transform import forward, forward_raw

FunctionTool = Tool

__all__ = ["FunctionTool", "Tool", "ToolResult", "forward", "forward_raw", "tool"]
