"""``fastmcp.server.middleware.caching`` (implemented in ``berth_sdk.builtin_middleware``), with fastmcp's
settings dictionaries (``CallToolSettings(included_tools=[...], ttl=60)`` and the others)."""

from typing_extensions import NotRequired, TypedDict

from berth_sdk.builtin_middleware import (
    ResponseCachingMiddleware,
)


class SharedMethodSettings(TypedDict):
    ttl: NotRequired[int]
    enabled: NotRequired[bool]


class ListToolsSettings(SharedMethodSettings):
    pass


class ListResourcesSettings(SharedMethodSettings):
    pass


class ListPromptsSettings(SharedMethodSettings):
    pass


class CallToolSettings(SharedMethodSettings):
    included_tools: NotRequired[list[str]]
    excluded_tools: NotRequired[list[str]]


class ReadResourceSettings(SharedMethodSettings):
    pass


class GetPromptSettings(SharedMethodSettings):
    pass


__all__ = ["CallToolSettings", "GetPromptSettings", "ListPromptsSettings", "ListResourcesSettings",
           "ListToolsSettings", "ReadResourceSettings", "ResponseCachingMiddleware", "SharedMethodSettings"]
