"""``McpError``: raise it to answer with a JSON-RPC error (``McpError(ErrorData(code=..., message=...))``)."""

from berth_sdk.errors import McpError

MCPError = McpError

__all__ = ["MCPError", "McpError"]
