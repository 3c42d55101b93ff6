"""``fastmcp.server.middleware.logging`` (implemented in ``berth_sdk.builtin_middleware``)."""

from berth_sdk.builtin_middleware import (
    LoggingMiddleware,
    StructuredLoggingMiddleware,
)

__all__ = ["LoggingMiddleware", "StructuredLoggingMiddleware"]
