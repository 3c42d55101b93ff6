"""``fastmcp.server.middleware.response_limiting`` (implemented in ``berth_sdk.extra_middleware``)."""

from berth_sdk.extra_middleware import ResponseLimitingMiddleware

__all__ = ["ResponseLimitingMiddleware"]
