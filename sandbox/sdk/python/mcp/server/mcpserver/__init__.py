"""``from mcp.server.mcpserver import MCPServer, Context`` (the official SDK 2.x name)."""

from berth_sdk.content import Audio, Image
from berth_sdk.context import Context
from berth_sdk.flavours import MCPServer

__all__ = ["Audio", "Context", "Image", "MCPServer"]
