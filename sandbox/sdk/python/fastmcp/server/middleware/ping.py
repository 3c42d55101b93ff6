"""``fastmcp.server.middleware.ping`` (implemented in ``berth_sdk.extra_middleware``)."""

from berth_sdk.extra_middleware import PingMiddleware

__all__ = ["PingMiddleware"]
