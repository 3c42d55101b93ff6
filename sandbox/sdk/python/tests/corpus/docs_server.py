"""The server as FastMCP's documentation introduces it (docs/servers/server.mdx, versioning.mdx, icons.mdx):
instructions, a tool, a dict resource, a template with an ``int`` parameter, a prompt of floats, tags with
``mcp.disable(tags=...)`` (fastmcp 4's replacement of ``exclude_tags``), versioned tools (the highest version is listed and called), icons on the server and its
components, and ``mcp.run()`` left under ``__main__``. Listings and results must equal real fastmcp 4.x's.
"""

from mcp.types import Icon

from fastmcp import FastMCP

mcp = FastMCP(
    name="HelpfulAssistant",
    instructions="""
        This server provides data analysis tools.
        Call get_average() to analyze numerical data.
    """,
    website_url="https://example.com",
    icons=[Icon(src="https://example.com/icon.png", mimeType="image/png", sizes=["48x48"]),
           Icon(src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=", mimeType="image/svg+xml")],
)


@mcp.tool
def multiply(a: float, b: float) -> float:
    """Multiplies two numbers together."""
    return a * b


@mcp.resource("data://config")
def get_config() -> dict:
    """Provides the application configuration."""
    return {"theme": "dark", "version": "1.0"}


@mcp.resource("users://{user_id}/profile")
def get_user_profile(user_id: int) -> dict:
    """Retrieves a user's profile by ID."""
    return {"id": user_id, "name": f"User {user_id}", "status": "active"}


@mcp.prompt
def analyze_data(data_points: list[float]) -> str:
    """Creates a prompt asking for analysis of numerical data."""
    formatted_data = ", ".join(str(point) for point in data_points)
    return f"Please analyze these data points: {formatted_data}"


@mcp.tool(tags={"public", "utility"})
def public_tool() -> str:
    return "This tool is public"


@mcp.tool(tags={"internal", "admin"})
def admin_tool() -> str:
    return "This tool is for admins only"


@mcp.tool(tags={"deprecated"})
def old_tool() -> str:
    return "old"


@mcp.tool(version="1.0")
def calculate(x: int, y: int) -> int:
    """Add two numbers."""
    return x + y


@mcp.tool(version="2.0", name="calculate")
def calculate_v2(x: int, y: int, z: int = 0) -> int:
    """Add two or three numbers."""
    return x + y + z


@mcp.tool(version="1.5", name="calculate")
def calculate_v15(x: int, y: int) -> int:
    """A version between the others."""
    return -1


@mcp.tool(icons=[Icon(src="https://example.com/tool.png")])
def with_icon() -> str:
    return "icon"


@mcp.resource("data://iconic", icons=[Icon(src="https://example.com/res.png", mimeType="image/png")])
def iconic_resource() -> str:
    return "iconic"


@mcp.prompt(icons=[Icon(src="https://example.com/prompt.png")])
def iconic_prompt() -> str:
    return "iconic prompt"


mcp.disable(tags={"internal", "deprecated"})

if __name__ == "__main__":
    mcp.run()

CALLS = [
    ("multiply", {"a": 2, "b": 3.5}),
    ("public_tool", {}),
    ("admin_tool", {}),
    ("old_tool", {}),
    ("calculate", {"x": 1, "y": 2, "z": 3}),
    ("with_icon", {}),
]

READS = ["data://config", "users://42/profile", "users://abc/profile", "data://iconic"]

PROMPTS = [("analyze_data", {"data_points": "[1, 2.5, 3]"}), ("iconic_prompt", {})]
