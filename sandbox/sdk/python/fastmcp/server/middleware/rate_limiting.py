"""``fastmcp.server.middleware.rate_limiting`` (implemented in ``berth_sdk.builtin_middleware``)."""

from berth_sdk.builtin_middleware import (
    RateLimitError,
    RateLimitingMiddleware,
    SlidingWindowRateLimiter,
    SlidingWindowRateLimitingMiddleware,
    TokenBucketRateLimiter,
)

__all__ = ["RateLimitError", "RateLimitingMiddleware", "SlidingWindowRateLimiter", "SlidingWindowRateLimitingMiddleware", "TokenBucketRateLimiter"]
