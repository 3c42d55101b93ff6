"""``fastmcp.server.providers.openapi``: what ``FastMCP.from_openapi`` is built from (fastmcp 4.x's path)."""

from berth_sdk.openapi import (
    MCPType,
    OpenAPIProvider,
    OpenAPIResource,
    OpenAPIResourceTemplate,
    OpenAPITool,
    RouteMap,
)

RouteMapFn = object  # fastmcp's type aliases, for annotations: Callable[[HTTPRoute, MCPType], MCPType | None]
ComponentFn = object  # Callable[[HTTPRoute, OpenAPITool | OpenAPIResource | OpenAPIResourceTemplate], None]

__all__ = ["ComponentFn", "MCPType", "OpenAPIProvider", "OpenAPIResource", "OpenAPIResourceTemplate", "OpenAPITool",
           "RouteMap", "RouteMapFn"]
