"""``from fastmcp.server.dependencies import get_context``: the Context of the call in progress."""

from berth_sdk.context import get_context

__all__ = ["get_context"]
