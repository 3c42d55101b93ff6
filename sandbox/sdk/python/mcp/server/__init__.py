"""``mcp.server``: both FastMCP spellings of the official SDK."""

from berth_sdk.server import FastMCP

MCPServer = FastMCP

__all__ = ["FastMCP", "MCPServer"]
