"""The official SDK 2.x's exceptions."""

from berth_sdk.errors import FastMCPError as MCPServerError
from berth_sdk.errors import ResourceError, ToolError

__all__ = ["MCPServerError", "ResourceError", "ToolError"]
