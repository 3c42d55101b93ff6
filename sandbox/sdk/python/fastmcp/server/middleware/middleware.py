"""``fastmcp.server.middleware.middleware``: where fastmcp defines the Middleware base class."""

from berth_sdk.middleware import CallNext, Middleware, MiddlewareContext

__all__ = ["CallNext", "Middleware", "MiddlewareContext"]
