"""``mcp.types``: MCP's protocol types (content blocks, results, references, ...) as keyword records."""

from berth_sdk.mcp_types import *  # noqa: F401,F403 - this module is the re-export
from berth_sdk.mcp_types import MODELS as _MODELS

__all__ = [m.__name__ for m in _MODELS] + [
    "ContentBlock", "Content", "Role", "LoggingLevel", "IncludeContext", "ResourceReference",
    "PARSE_ERROR", "INVALID_REQUEST", "METHOD_NOT_FOUND", "INVALID_PARAMS", "INTERNAL_ERROR",
]
