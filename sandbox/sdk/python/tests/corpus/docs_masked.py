"""Error masking as FastMCP's documentation teaches it (docs/servers/tools.mdx and resources.mdx, "Error
Handling"): with ``mask_error_details=True`` only ``ToolError``/``ResourceError``/``PromptError`` messages
reach clients; other exceptions become a generic message. Results and errors must equal real fastmcp 4.x's.
"""

from fastmcp import FastMCP
from fastmcp.exceptions import PromptError, ResourceError, ToolError

mcp = FastMCP(name="SecureServer", mask_error_details=True)


@mcp.tool
def divide(a: float, b: float) -> float:
    """Divide a by b."""
    if b == 0:
        raise ToolError("Division by zero is not allowed.")
    if a < 0:
        raise TypeError("Both arguments must be numbers.")
    return a / b


@mcp.tool
async def leaky() -> str:
    raise RuntimeError("password=hunter2")


@mcp.resource("resource://safe-error")
def fail_with_details() -> str:
    raise ResourceError("Unable to retrieve data: file not found")


@mcp.resource("resource://masked-error")
def fail_with_masked_details() -> str:
    raise ValueError("Sensitive internal file path: /etc/secrets.conf")


@mcp.resource("data://{id}")
def get_data_by_id(id: str) -> dict:
    if id == "secure":
        raise ValueError("Cannot access secure data")
    if id == "missing":
        raise ResourceError("Data ID 'missing' not found in database")
    return {"id": id, "value": "data"}


@mcp.prompt
def careful(topic: str) -> str:
    if topic == "secret":
        raise PromptError("That topic is off limits")
    raise KeyError("internal key")


CALLS = [
    ("divide", {"a": 1, "b": 0}),
    ("divide", {"a": -1, "b": 2}),
    ("divide", {"a": 1, "b": 2}),
    ("divide", {"a": "x", "b": 2}),
    ("leaky", {}),
]

READS = ["resource://safe-error", "resource://masked-error", "data://1", "data://secure", "data://missing"]

PROMPTS = [("careful", {"topic": "secret"}), ("careful", {"topic": "other"}), ("careful", {})]
