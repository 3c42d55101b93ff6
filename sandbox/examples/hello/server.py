"""Hello, Berth: a small MCP server to deploy first.

Run locally with fastmcp (`fastmcp run server.py`) or deploy it with `berth up`; the code is the same.
"""

from dataclasses import dataclass

from fastmcp import Context, FastMCP
from pydantic import Field
from typing import Annotated

mcp = FastMCP("hello", instructions="Greets people, counts visits and converts temperatures.")


@mcp.tool
async def greet(name: str, ctx: Context, excited: bool = False) -> str:
    """Greets someone by name and remembers how many greetings this session has had.

    Args:
        name: Who to greet.
        excited: End with an exclamation mark.
    """
    count = (await ctx.get_state("greetings") or 0) + 1
    await ctx.set_state("greetings", count)
    await ctx.info(f"Greeting #{count} goes to {name}")
    return f"Hello, {name}{'!' if excited else '.'}"


@dataclass
class Conversion:
    celsius: float
    fahrenheit: float
    kelvin: float


@mcp.tool(annotations={"readOnlyHint": True})
def convert_temperature(
    celsius: Annotated[float, Field(description="Temperature in degrees Celsius", ge=-273.15)],
) -> Conversion:
    """Converts a Celsius temperature to Fahrenheit and Kelvin."""
    return Conversion(celsius, round(celsius * 9 / 5 + 32, 2), round(celsius + 273.15, 2))


@mcp.tool
async def stats(ctx: Context) -> dict:
    """Reports how many greetings this session has had so far."""
    return {"greetings": await ctx.get_state("greetings") or 0}


@mcp.resource("hello://about", mime_type="text/markdown")
def about() -> str:
    """What this server is."""
    return "# hello\n\nAn example MCP server running on Berth, sandboxed in WebAssembly."


@mcp.resource("hello://greeting/{name}")
def greeting(name: str) -> str:
    """A greeting for one name."""
    return f"Hello, {name}."


@mcp.prompt
def introduce(topic: str) -> str:
    """Asks the model to introduce a topic in three sentences.

    Args:
        topic: What to introduce.
    """
    return f"Introduce {topic} in three friendly sentences."


if __name__ == "__main__":
    mcp.run()
