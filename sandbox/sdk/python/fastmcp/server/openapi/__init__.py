"""``fastmcp.server.openapi`` (fastmcp 2.x's path, still used by the guides): route maps and components for
``FastMCP.from_openapi``. fastmcp 4.x spells it ``fastmcp.server.providers.openapi``."""

from berth_sdk.openapi import (
    DEFAULT_ROUTE_MAPPINGS,
    HTTPRoute,
    MCPType,
    OpenAPIProvider,
    OpenAPIResource,
    OpenAPIResourceTemplate,
    OpenAPITool,
    RouteMap,
)
from fastmcp.server.providers.openapi import ComponentFn, RouteMapFn

def __getattr__(name):
    raise AttributeError(f"fastmcp.server.openapi.{name} is not part of Berth's SDK; it has FastMCP.from_openapi, "
                         "RouteMap, MCPType, HTTPRoute, OpenAPITool, OpenAPIResource, OpenAPIResourceTemplate")


__all__ = ["DEFAULT_ROUTE_MAPPINGS", "ComponentFn", "HTTPRoute", "MCPType", "OpenAPIProvider", "OpenAPIResource",
           "OpenAPIResourceTemplate", "OpenAPITool", "RouteMap", "RouteMapFn"]
