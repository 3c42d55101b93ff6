"""``fastmcp.server.middleware.tool_injection`` (implemented in ``berth_sdk.extra_middleware``)."""

from berth_sdk.extra_middleware import ToolInjectionMiddleware

__all__ = ["ToolInjectionMiddleware"]
