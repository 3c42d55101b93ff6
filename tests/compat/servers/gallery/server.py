"""An image gallery that answers with every kind of content block."""

import base64

from fastmcp import FastMCP
from fastmcp.tools import ToolResult
from fastmcp.utilities.types import Audio, File, Image
from mcp.types import (
    CallToolResult,
    EmbeddedResource,
    ImageContent,
    ResourceLink,
    TextContent,
    TextResourceContents,
)

mcp = FastMCP("Gallery")

# A 1x1 transparent PNG and a tiny WAV header: enough bytes to be real files.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
WAV = b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00D\xac\x00\x00\x88X\x01\x00\x02\x00\x10\x00data\x00\x00\x00\x00"


@mcp.tool
def thumbnail() -> Image:
    """The gallery's thumbnail as a PNG."""
    return Image(data=PIXEL, format="png")


@mcp.tool
def chime() -> Audio:
    """A short sound."""
    return Audio(data=WAV, format="wav")


@mcp.tool
def export_csv() -> File:
    """The catalogue as a CSV file."""
    return File(data=b"id,title\n1,Sunset\n2,Harbour\n", format="csv", name="catalogue")


@mcp.tool
def describe(picture: str) -> list:
    """A picture with a caption: a text block, then the image."""
    return [f"Picture {picture}", Image(data=PIXEL, format="png")]


@mcp.tool
def blocks() -> list:
    """Content built from mcp.types classes."""
    return [
        TextContent(type="text", text="caption"),
        ImageContent(type="image", data=base64.b64encode(PIXEL).decode(), mimeType="image/png"),
        EmbeddedResource(
            type="resource",
            resource=TextResourceContents(uri="gallery://pictures/1", mimeType="text/plain", text="Sunset"),
        ),
        ResourceLink(type="resource_link", uri="gallery://pictures/2", name="Harbour", mimeType="image/png"),
    ]


@mcp.tool
def raw_result(fail: bool = False) -> CallToolResult:
    """A CallToolResult built by hand."""
    return CallToolResult(
        content=[TextContent(type="text", text="failed on purpose" if fail else "done")],
        structuredContent={"ok": not fail},
        isError=fail,
    )


@mcp.tool
def stats() -> ToolResult:
    """Counts as text and as structured content, with metadata."""
    return ToolResult(
        content=[TextContent(type="text", text="2 pictures, 1 album")],
        structured_content={"pictures": 2, "albums": 1},
        meta={"generated_by": "gallery"},
    )


@mcp.tool
def nothing() -> None:
    """Returns nothing at all."""
    return None


@mcp.tool
def caption_bytes() -> bytes:
    """Raw bytes."""
    return b"raw caption"


@mcp.resource("gallery://pictures/{picture_id}/thumbnail", mime_type="image/png")
def picture_thumbnail(picture_id: str) -> bytes:
    """A picture's thumbnail (binary)."""
    return PIXEL


@mcp.resource("gallery://logo.png", mime_type="image/png")
def logo() -> bytes:
    """The gallery's logo."""
    return PIXEL


if __name__ == "__main__":
    mcp.run()
