"""``fastmcp.utilities.openapi``: the route model ``route_map_fn`` and ``mcp_component_fn`` receive."""

from berth_sdk.openapi_schema import HTTPRoute, ParameterInfo, RequestBodyInfo, ResponseInfo

HttpMethod = str  # "GET", "POST", ... (a Literal in fastmcp)

__all__ = ["HTTPRoute", "HttpMethod", "ParameterInfo", "RequestBodyInfo", "ResponseInfo"]
