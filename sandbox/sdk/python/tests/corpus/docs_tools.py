"""Tools as FastMCP's documentation teaches them (docs/servers/tools.mdx): decorator arguments, the
standalone ``@tool`` for methods, the type table (bytes, datetime, timedelta, sets, Literal, Enum, Path,
UUID, unions, models), ``Annotated`` string and ``Field`` metadata, ``Field`` as a default, ``Depends``,
return values (content blocks, media helpers, structured output, dataclasses, TypedDicts, output schemas,
``ToolResult`` with meta), errors and annotations. Listings and results must equal real fastmcp 4.x's.
"""

import datetime
import enum
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, Optional, Union

from typing_extensions import TypedDict

from mcp.types import ImageContent, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from fastmcp import FastMCP
from fastmcp.dependencies import Depends
from fastmcp.exceptions import ToolError
from fastmcp.tools import tool
from fastmcp.tools import ToolResult
from fastmcp.utilities.types import Audio, File, Image

mcp = FastMCP(name="CalculatorServer")

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452")


@mcp.tool
def add(a: int, b: int) -> int:
    """Adds two integer numbers together."""
    return a + b


@mcp.tool(
    name="find_products",
    description="Search the product catalog with optional category filtering.",
    tags={"catalog", "search"},
    meta={"version": "1.2", "author": "product-team"},
)
def search_products_implementation(query: str, category: str | None = None) -> list[dict]:
    """Internal function description (ignored if description is provided above)."""
    return [{"id": 2, "name": "Another Product", "query": query, "category": category}]


class Calculator:
    def __init__(self, multiplier: int):
        self.multiplier = multiplier

    @tool()
    def multiply(self, x: int) -> int:
        """Multiply x by the instance multiplier."""
        return x * self.multiplier


calc = Calculator(multiplier=3)
mcp.add_tool(calc.multiply)


@mcp.tool
def analyze_text(text: str, max_tokens: int = 100, language: str | None = None) -> dict:
    """Analyze the provided text."""
    return {"words": len(text.split()), "max_tokens": max_tokens, "language": language}


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class UserData(BaseModel):
    name: str
    age: int = 0


@mcp.tool
def every_type(
    raw: bytes,
    when: datetime.datetime,
    day: datetime.date,
    span: datetime.timedelta,
    names: list[str],
    counts: dict[str, int],
    ids: set[int],
    ratio: Optional[float] = None,
    either: Union[str, int] = 0,
    grade: Literal["A", "B"] = "A",
    color: Color = Color.RED,
    where: Path = Path("."),
    ref: uuid.UUID | None = None,
    user: UserData | None = None,
) -> str:
    """Every type the documentation's table lists."""
    return " | ".join([
        repr(raw), when.isoformat(), day.isoformat(), str(span.total_seconds()), ",".join(names),
        repr(sorted(counts.items())), repr(sorted(ids)), repr(ratio), repr(either), grade, repr(color),
        type(where).__name__ + ":" + where.as_posix(), repr(ref), repr(user),
    ])


@mcp.tool
def process_image(
    image_url: Annotated[str, "URL of the image to process"],
    resize: Annotated[bool, "Whether to resize the image"] = False,
    width: Annotated[int, Field(description="Target width in pixels", ge=1, le=2000)] = 800,
    format: Annotated[Literal["jpeg", "png", "webp"], Field(description="Output image format")] = "jpeg",
) -> dict:
    """Process an image with optional resizing."""
    return {"url": image_url, "resize": resize, "width": width, "format": format}


@mcp.tool
def search_database(
    query: str = Field(description="Search query string"),
    limit: int = Field(10, description="Maximum number of results", ge=1, le=100),
) -> list:
    """Search the database with the provided query."""
    return [query] * min(limit, 3)


def get_user_id() -> str:
    return "user_123"


@mcp.tool
def get_user_details(user_id: str = Depends(get_user_id)) -> str:
    return f"Details for {user_id}"


@mcp.tool
def get_chart() -> Image:
    """Generate a chart image."""
    return Image(data=PNG, format="png")


@mcp.tool
def get_multiple_charts() -> list[Image]:
    """Return multiple charts."""
    return [Image(data=PNG, format="png"), Image(data=PNG, format="jpeg")]


@mcp.tool
def mixed() -> list:
    return [Image(data=PNG, format="png"), "text content", {"k": 1}]


@mcp.tool
def nested_image() -> dict:
    return {"image": Image(data=PNG, format="png").to_image_content()}


@mcp.tool
def get_sound() -> Audio:
    return Audio(data=b"RIFF0000WAVE", format="wav")


@mcp.tool
def get_report() -> File:
    return File(data=b"%PDF-1.4", format="pdf", name="report")


@mcp.tool
def get_text_file() -> File:
    return File(data=b"hello", format="txt")


@mcp.tool
def get_bytes() -> bytes:
    return b"\x00\x01binary"


@mcp.tool
def nothing() -> None:
    pass


@mcp.tool
def calculate_sum(a: int, b: int):
    """Calculate sum without return annotation."""
    return a + b


@mcp.tool
def get_user_data(user_id: str) -> dict:
    """Get user data."""
    return {"name": "Alice", "age": 30, "active": True}


@dataclass
class Person:
    name: str
    age: int
    email: str


@mcp.tool
def get_user_profile(user_id: str) -> Person:
    """Get a user's profile information."""
    return Person(name="Alice", age=30, email="alice@example.com")


class Stats(TypedDict):
    mean: float
    count: int


@mcp.tool
def stats(values: list[float]) -> Stats:
    return {"mean": sum(values) / len(values), "count": len(values)}


@mcp.tool
def people() -> list[Person]:
    return [Person("A", 1, "a@x"), Person("B", 2, "b@x")]


@mcp.tool
def maybe_user(found: bool) -> UserData | None:
    return UserData(name="Zed") if found else None


@mcp.tool
def tags_of(post: str) -> set[str]:
    return {post} if post else set()


@mcp.tool(output_schema={
    "type": "object",
    "properties": {"data": {"type": "string"}, "metadata": {"type": "object"}},
})
def custom_schema_tool() -> dict:
    """Tool with custom output schema."""
    return {"data": "Hello", "metadata": {"version": "1.0"}}


@mcp.tool
def advanced_tool() -> ToolResult:
    """Tool with full control over output."""
    return ToolResult(
        content=[TextContent(type="text", text="Human-readable summary")],
        structured_content={"data": "value", "count": 42},
        meta={"execution_time_ms": 145},
    )


@mcp.tool
def blocks() -> ToolResult:
    return ToolResult(content=[TextContent(type="text", text="Result: 42"),
                               ImageContent(type="image", data="aGk=", mimeType="image/png")])


@mcp.tool
def serialized_content() -> ToolResult:
    return ToolResult(content={"a": [1, 2]})


@mcp.tool
def get_config() -> ToolResult:
    """Returns configuration as YAML."""
    data = {"api_key": "abc123", "debug": True, "rate_limit": 100}
    return ToolResult(content="api_key: abc123\ndebug: true\nrate_limit: 100\n", structured_content=data)


@mcp.tool
def divide(a: float, b: float) -> float:
    """Divide a by b."""
    if b == 0:
        raise ToolError("Division by zero is not allowed.")
    return a / b


@mcp.tool
def open_missing(path: str) -> str:
    raise FileNotFoundError(f"no such file: {path}")


@mcp.tool(annotations={"title": "Calculate Sum", "readOnlyHint": True, "openWorldHint": False})
def calculate_sum_annotated(a: float, b: float) -> float:
    """Add two numbers together."""
    return a + b


@mcp.tool(annotations=ToolAnnotations(readOnlyHint=True, idempotentHint=True, openWorldHint=False))
def search_catalog(query: str) -> list[dict]:
    """Search the product catalog."""
    return [{"id": 1, "name": "Widget", "price": 29.99}]


@mcp.tool(annotations={"destructiveHint": True})
def delete_user(user_id: str) -> dict:
    """Permanently delete a user account."""
    return {"deleted": user_id}


@mcp.tool(tags={"admin"})
def admin_action() -> str:
    """Admin-only action."""
    return "Done"


@mcp.tool(tags={"public"})
def public_action() -> str:
    """Public action."""
    return "Done"


mcp.disable(keys={"tool:admin_action"})


@mcp.tool
def removed_later(a: int, b: int) -> int:
    return a + b


mcp.local_provider.remove_tool("removed_later")


CALLS = [
    ("add", {"a": 1, "b": 2}),
    ("add", {"a": "10", "b": "20"}),
    ("add", {"a": "abc", "b": 1}),
    ("add", {"a": 1}),
    ("find_products", {"query": "lamp"}),
    ("multiply", {"x": 4}),
    ("analyze_text", {"text": "a b c", "language": "en"}),
    ("every_type", {"raw": "aGk=", "when": "2026-01-02T03:04:05Z", "day": "2026-01-02", "span": "PT90S",
                    "names": ["x", "y"], "counts": {"b": 2, "a": "1"}, "ids": [3, 1, 3], "ratio": "0.5",
                    "either": "7", "grade": "B", "color": "green", "where": "data/file.txt",
                    "ref": "12345678-1234-5678-1234-567812345678", "user": {"name": "Alice", "age": "3"}}),
    ("every_type", {"raw": "x", "when": "2026-01-02", "day": "2026-01-02", "span": 90, "names": [], "counts": {},
                    "ids": []}),
    ("every_type", {"raw": "x", "when": "soon", "day": "2026-01-02", "span": 1, "names": [], "counts": {},
                    "ids": [], "color": "RED"}),
    ("every_type", {"raw": "x", "when": "2026-01-02", "day": "2026-01-02", "span": 1, "names": [], "counts": {},
                    "ids": [], "user": '{"name": "Alice"}'}),
    ("process_image", {"image_url": "https://x/y.png"}),
    ("process_image", {"image_url": "u", "width": 5000, "format": "gif"}),
    ("search_database", {"query": "q"}),
    ("search_database", {"query": "q", "limit": 0}),
    ("get_user_details", {}),
    ("get_user_details", {"user_id": "attacker"}),
    ("get_chart", {}),
    ("get_multiple_charts", {}),
    ("mixed", {}),
    ("nested_image", {}),
    ("get_sound", {}),
    ("get_report", {}),
    ("get_text_file", {}),
    ("get_bytes", {}),
    ("nothing", {}),
    ("calculate_sum", {"a": 5, "b": 3}),
    ("get_user_data", {"user_id": "1"}),
    ("get_user_profile", {"user_id": "1"}),
    ("stats", {"values": [1, 2, 3]}),
    ("people", {}),
    ("maybe_user", {"found": True}),
    ("maybe_user", {"found": False}),
    ("tags_of", {"post": "p"}),
    ("custom_schema_tool", {}),
    ("advanced_tool", {}),
    ("blocks", {}),
    ("serialized_content", {}),
    ("get_config", {}),
    ("divide", {"a": 1, "b": 0}),
    ("divide", {"a": 1, "b": 4}),
    ("open_missing", {"path": "/app/data.txt"}),
    ("calculate_sum_annotated", {"a": 1.5, "b": 2}),
    ("search_catalog", {"query": "w"}),
    ("delete_user", {"user_id": "u1"}),
    ("admin_action", {}),
    ("public_action", {}),
    ("removed_later", {"a": 1, "b": 2}),
    ("no_such_tool", {}),
]
