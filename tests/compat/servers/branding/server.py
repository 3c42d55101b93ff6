"""A design-tokens server that sets everything a listing can show: titles, icons, metadata, schemas."""

from fastmcp import FastMCP
from mcp.types import Annotations, Icon, ToolAnnotations

ICON = Icon(src="https://tokens.example.com/logo.svg", mimeType="image/svg+xml", sizes=["any"])
DARK = Icon(src="https://tokens.example.com/logo-dark.png", mimeType="image/png", sizes=["64x64"], theme="dark")

mcp = FastMCP(
    "Design Tokens",
    version="2.4.1",
    instructions="Colours and spacing of the design system.",
    website_url="https://tokens.example.com",
    icons=[ICON, DARK],
)

COLOURS = {"primary": "#3355ff", "danger": "#dd2233", "muted": "#888888"}


@mcp.tool(
    title="Colour token",
    description="Look up a colour token's hex value.",
    icons=[ICON],
    annotations=ToolAnnotations(readOnlyHint=True, idempotentHint=True, destructiveHint=False, openWorldHint=False),
    meta={"category": "colours", "since": "1.0"},
    tags={"colours", "read"},
    version="2",
)
def colour(name: str) -> str:
    return COLOURS[name]


@mcp.tool(
    output_schema={
        "type": "object",
        "properties": {"name": {"type": "string"}, "px": {"type": "integer"}},
        "required": ["name", "px"],
    }
)
def spacing(name: str) -> dict:
    """A spacing token in pixels."""
    return {"name": name, "px": {"small": 4, "medium": 8, "large": 16}[name]}


@mcp.tool(output_schema=None)
def palette() -> dict:
    """Every colour (no output schema)."""
    return COLOURS


@mcp.tool(name="rename-token", annotations={"destructiveHint": True})
def rename(old: str, new: str) -> str:
    """Rename a colour token."""
    COLOURS[new] = COLOURS.pop(old)
    return f"{old} -> {new}"


@mcp.resource(
    "tokens://colours",
    name="colours",
    title="All colours",
    description="Every colour token.",
    mime_type="application/json",
    icons=[ICON],
    annotations=Annotations(audience=["assistant"], priority=0.9),
    meta={"format": "json"},
    tags={"colours"},
)
def colours_resource() -> dict:
    return COLOURS


@mcp.resource("tokens://colours/{name}", title="One colour", icons=[DARK], mime_type="text/plain")
def colour_resource(name: str) -> str:
    """One colour's hex value."""
    return COLOURS[name]


@mcp.prompt(title="Theme a component", icons=[ICON], meta={"kind": "design"})
def theme(component: str, mode: str = "light") -> str:
    """Ask for a themed component."""
    return f"Style a {component} for {mode} mode using the design tokens."


if __name__ == "__main__":
    mcp.run()
