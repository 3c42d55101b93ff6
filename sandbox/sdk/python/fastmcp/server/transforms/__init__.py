"""``fastmcp.server.transforms``: server-level transforms for ``mcp.add_transform`` (``berth_sdk.transforms``)."""

from berth_sdk.transforms import Namespace, PromptsAsTools, ResourcesAsTools, ToolTransform, Transform, \
    VersionFilter, Visibility

__all__ = ["Namespace", "PromptsAsTools", "ResourcesAsTools", "ToolTransform", "Transform", "VersionFilter",
           "Visibility"]
