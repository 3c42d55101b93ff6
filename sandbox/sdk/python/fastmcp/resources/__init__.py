"""``fastmcp.resources``: resources built in code, and what a resource function may return."""

from berth_sdk.components import Resource, ResourceContent, ResourceResult
from berth_sdk.resource_types import BinaryResource, DirectoryResource, FileResource, HttpResource, TextResource
from berth_sdk.standalone import resource

FunctionResource = Resource
ResourceTemplate = Resource

__all__ = ["BinaryResource", "DirectoryResource", "FileResource", "FunctionResource", "HttpResource", "Resource",
           "ResourceContent", "ResourceResult", "ResourceTemplate", "TextResource", "resource"]
