"""``from mcp.server.mcpserver.server import MCPServer, Context``."""

from berth_sdk.context import Context
from berth_sdk.flavours import MCPServer

__all__ = ["Context", "MCPServer"]
