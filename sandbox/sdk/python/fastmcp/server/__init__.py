"""``fastmcp.server`` import paths."""

from berth_sdk.context import Context
from berth_sdk.server import FastMCP

__all__ = ["Context", "FastMCP"]
