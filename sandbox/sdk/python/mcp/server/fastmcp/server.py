"""``from mcp.server.fastmcp.server import FastMCP, Context``."""

from berth_sdk.context import Context
from berth_sdk.flavours import OfficialFastMCP as FastMCP

__all__ = ["Context", "FastMCP"]
