"""``from mcp.server.fastmcp import FastMCP, Context`` (the official SDK before 2.0)."""

from berth_sdk.content import Audio, Image
from berth_sdk.context import Context
from berth_sdk.flavours import OfficialFastMCP as FastMCP

__all__ = ["Audio", "Context", "FastMCP", "Image"]
