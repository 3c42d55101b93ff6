"""The benchmark's server: two trivial tools, so a measurement shows the platform's own cost."""

from fastmcp import FastMCP

mcp = FastMCP("bench")


@mcp.tool
def add(a: int, b: int) -> int:
    """Adds two integers."""
    return a + b


@mcp.tool
def echo(text: str) -> str:
    """Returns the text unchanged."""
    return text


if __name__ == "__main__":
    mcp.run()
