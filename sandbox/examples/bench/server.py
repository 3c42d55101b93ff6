"""The benchmark's server: trivial tools, so a measurement shows the platform's own cost."""

from fastmcp import Context, FastMCP

mcp = FastMCP("bench")


@mcp.tool
def add(a: int, b: int) -> int:
    """Adds two integers."""
    return a + b


@mcp.tool
def echo(text: str) -> str:
    """Returns the text unchanged."""
    return text


@mcp.tool
async def visits(ctx: Context) -> int:
    """Counts this session's calls of this tool (session state, kept by the host)."""
    n = (await ctx.get_state("visits") or 0) + 1
    await ctx.set_state("visits", n)
    return n


if __name__ == "__main__":
    mcp.run()
