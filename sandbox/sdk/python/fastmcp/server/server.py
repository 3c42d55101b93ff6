"""``from fastmcp.server.server import FastMCP``."""

from berth_sdk.server import FastMCP

__all__ = ["FastMCP"]
