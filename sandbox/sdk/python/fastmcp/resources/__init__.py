"""``fastmcp.resources``: resources built in code, and what a resource function may return."""

from berth_sdk.components import Resource, ResourceContent, ResourceResult
from berth_sdk.standalone import resource

FunctionResource = Resource
ResourceTemplate = Resource

__all__ = ["FunctionResource", "Resource", "ResourceContent", "ResourceResult", "ResourceTemplate", "resource"]
