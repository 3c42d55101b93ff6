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


class ToolAnnotations:
    """Hints about a tool's behaviour: ``ToolAnnotations(readOnlyHint=True, title=...)``."""

    def __init__(self, **hints):
        for key, value in hints.items():
            setattr(self, key, value)


__all__.append("ToolAnnotations")
