"""``mcp.server``: both FastMCP spellings of the official SDK."""

from berth_sdk.flavours import MCPServer, OfficialFastMCP as FastMCP

__all__ = ["FastMCP", "MCPServer"]
