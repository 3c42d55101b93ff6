"""``fastmcp.server.middleware``: the Middleware base class, its context, and the built-ins' modules."""

from berth_sdk.extra_middleware import PingMiddleware
from berth_sdk.middleware import CallNext, Middleware, MiddlewareContext

__all__ = ["CallNext", "Middleware", "MiddlewareContext", "PingMiddleware"]
