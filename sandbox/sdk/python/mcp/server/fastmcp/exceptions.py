"""The official SDK's tool error."""

from berth_sdk.errors import ResourceError, ToolError

__all__ = ["ResourceError", "ToolError"]
