"""``fastmcp.server.middleware.caching`` (implemented in ``berth_sdk.builtin_middleware``)."""

from berth_sdk.builtin_middleware import (
    ResponseCachingMiddleware,
)

__all__ = ["ResponseCachingMiddleware"]
