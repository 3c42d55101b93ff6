"""``fastmcp.server.middleware.timing`` (implemented in ``berth_sdk.builtin_middleware``)."""

from berth_sdk.builtin_middleware import (
    TimingMiddleware,
    DetailedTimingMiddleware,
)

__all__ = ["TimingMiddleware", "DetailedTimingMiddleware"]
