"""``fastmcp.server.providers.openapi.routing``."""

from berth_sdk.openapi import DEFAULT_ROUTE_MAPPINGS, MCPType, RouteMap
from fastmcp.server.providers.openapi import ComponentFn, RouteMapFn

__all__ = ["DEFAULT_ROUTE_MAPPINGS", "ComponentFn", "MCPType", "RouteMap", "RouteMapFn"]
