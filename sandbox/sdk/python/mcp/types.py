"""MCP content types user code builds results from (``TextContent``, ``ImageContent``, ...)."""

from berth_sdk.content import (
    AudioContent,
    BlobResourceContents,
    EmbeddedResource,
    ImageContent,
    ResourceLink,
    TextContent,
    TextResourceContents,
)
from berth_sdk.server import Completion, PromptMessage

__all__ = [
    "AudioContent", "BlobResourceContents", "Completion", "EmbeddedResource", "ImageContent",
    "PromptMessage", "ResourceLink", "TextContent", "TextResourceContents",
]
