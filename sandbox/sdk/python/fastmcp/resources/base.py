"""``fastmcp.resources.base`` (the module fastmcp 4.x keeps these names in)."""

from berth_sdk.components import ResourceContent, ResourceResult

__all__ = ["ResourceContent", "ResourceResult"]
