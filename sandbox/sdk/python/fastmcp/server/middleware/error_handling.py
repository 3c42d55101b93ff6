"""``fastmcp.server.middleware.error_handling`` (implemented in ``berth_sdk.builtin_middleware``)."""

from berth_sdk.builtin_middleware import (
    ErrorHandlingMiddleware,
    RetryMiddleware,
)

__all__ = ["ErrorHandlingMiddleware", "RetryMiddleware"]
