"""The official SDK 1.x's exceptions."""

from berth_sdk.errors import FastMCPError, ResourceError, ToolError


class ValidationError(FastMCPError):
    """The SDK's validation error, for ``except`` clauses in user code."""


__all__ = ["FastMCPError", "ResourceError", "ToolError", "ValidationError"]
