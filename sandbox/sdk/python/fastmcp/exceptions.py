"""fastmcp's exception types."""

from berth_sdk.errors import FastMCPError, PromptError, ResourceError, ToolError

NotFoundError = LookupError

__all__ = ["FastMCPError", "NotFoundError", "PromptError", "ResourceError", "ToolError"]
