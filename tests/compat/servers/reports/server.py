"""Report generation: tools with time limits."""

import asyncio

from fastmcp import Context, FastMCP

mcp = FastMCP("Reports")


@mcp.tool(timeout=30)
async def generate_report(quarter: int, ctx: Context) -> dict:
    """Build a quarterly report."""
    for step in range(3):
        await ctx.report_progress(progress=step + 1, total=3)
        await asyncio.sleep(0)
    return {"quarter": quarter, "revenue": 1000 * quarter, "pages": 12}


@mcp.tool(timeout=0.5)
async def quick_lookup(slow: bool = False) -> str:
    """Answers at once, unless asked to be slow (then exceeds its 0.5 s limit)."""
    if slow:
        await asyncio.sleep(5)
    return "found"


@mcp.tool(timeout=10)
def summary() -> str:
    """A synchronous tool with a generous time limit."""
    return "3 reports this year"


if __name__ == "__main__":
    mcp.run()
