"""Images, embedded resources and hand-built results with the official SDK (1.x)."""

import base64

from mcp.server.fastmcp import FastMCP, Image
from mcp.server.fastmcp.exceptions import ToolError
from mcp.types import CallToolResult, EmbeddedResource, TextContent, TextResourceContents

mcp = FastMCP("Media")

PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


@mcp.tool()
def create_thumbnail(name: str) -> Image:
    """Create a thumbnail from an image"""
    return Image(data=PIXEL, format="png")


@mcp.tool()
def annotated_image(name: str) -> list:
    """An image with a caption."""
    return [f"Thumbnail of {name}", Image(data=PIXEL, format="png")]


@mcp.tool()
def advanced_tool() -> CallToolResult:
    """Return CallToolResult directly for full control including _meta field."""
    return CallToolResult(
        content=[TextContent(type="text", text="Response visible to the model")],
        _meta={"hidden": "data for client applications only"},
    )


@mcp.tool()
def validated_tool() -> CallToolResult:
    """Return CallToolResult with structured output."""
    return CallToolResult(
        content=[TextContent(type="text", text="Validated response")],
        structuredContent={"status": "success", "data": {"result": 42}},
    )


@mcp.tool()
def attach_readme() -> EmbeddedResource:
    """The project README as an embedded resource."""
    return EmbeddedResource(
        type="resource",
        resource=TextResourceContents(uri="file:///README.md", mimeType="text/markdown", text="# Media"),
    )


@mcp.tool()
def strict(level: int) -> str:
    """Fails with a ToolError for negative levels."""
    if level < 0:
        raise ToolError("level must not be negative")
    return "ok" * level


@mcp.resource("media://pixel.png", mime_type="image/png")
def pixel() -> bytes:
    """A 1x1 image."""
    return PIXEL


@mcp.resource("media://catalogue", mime_type="application/json")
def catalogue() -> dict:
    """The media catalogue."""
    return {"images": 1, "videos": 0}


if __name__ == "__main__":
    mcp.run(transport="streamable-http")
