"""``from mcp.server.fastmcp import FastMCP, Context`` (the official SDK before 2.0) and the names it exports."""

from berth_sdk.content import Audio, Image
from berth_sdk.context import Context
from berth_sdk.flavours import OfficialFastMCP as FastMCP
from berth_sdk.mcp_types import Icon

__all__ = ["Audio", "Context", "FastMCP", "Icon", "Image"]
