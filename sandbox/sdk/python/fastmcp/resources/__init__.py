"""``fastmcp.resources``: what a resource function may return to control its contents."""

from berth_sdk.components import ResourceContent, ResourceResult

__all__ = ["ResourceContent", "ResourceResult"]
