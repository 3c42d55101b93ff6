"""fastmcp's exception types."""

from berth_sdk.errors import FastMCPError, NotFound, PromptError, ResourceError, ToolError


class ValidationError(FastMCPError):
    """fastmcp's validation error, for ``except`` clauses in user code."""


NotFoundError = NotFound

__all__ = ["FastMCPError", "NotFoundError", "PromptError", "ResourceError", "ToolError", "ValidationError"]
