"""``from fastmcp.server.context import Context``."""

from berth_sdk.context import Context

__all__ = ["Context"]
