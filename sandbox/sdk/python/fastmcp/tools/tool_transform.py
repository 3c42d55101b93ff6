"""``fastmcp.tools.tool_transform``: ``Tool.from_tool`` with ``ArgTransform``, ``forward``, ``forward_raw``."""

from berth_sdk.tool_transform import ArgTransform, TransformedTool, forward, forward_raw
from berth_sdk.transforms import ArgTransformConfig, ToolTransformConfig

__all__ = ["ArgTransform", "ArgTransformConfig", "ToolTransformConfig", "TransformedTool", "forward", "forward_raw"]
