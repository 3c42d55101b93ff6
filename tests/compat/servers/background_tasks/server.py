"""Video transcoding as background tasks (`task=True`), as the FastMCP tasks guide shows."""

import asyncio

from fastmcp import Context, FastMCP

mcp = FastMCP("Transcoder")


@mcp.tool(task=True)
async def transcode(video: str, ctx: Context, resolution: str = "720p") -> dict:
    """Transcode a video; clients may run it as a background task."""
    for step in range(4):
        await ctx.report_progress(progress=step + 1, total=4, message=f"segment {step + 1}")
        await asyncio.sleep(0)
    return {"video": video, "resolution": resolution, "segments": 4}


@mcp.tool
def formats() -> list[str]:
    """Output formats."""
    return ["480p", "720p", "1080p"]


if __name__ == "__main__":
    mcp.run()
