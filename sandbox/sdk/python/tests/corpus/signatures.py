"""Tool signatures whose listing and results must equal real fastmcp 4.1.2's.

Imported twice by the tests: once with real fastmcp (in a subprocess) and once with Berth's SDK.
"""

import dataclasses
import enum
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from fastmcp import Context, FastMCP
from fastmcp.exceptions import ToolError
from fastmcp.prompts import Message

mcp = FastMCP("corpus")


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@dataclasses.dataclass
class Point:
    x: int
    y: float = 0.0


@dataclasses.dataclass
class Shape:
    """A named shape."""

    name: str
    points: list[Point]
    color: Color = Color.RED


class Movie(TypedDict):
    title: str
    year: int


class Person(BaseModel):
    name: str
    age: int = Field(default=0, description="Age in years")


@mcp.tool
def t_int(a: int) -> int:
    """Returns a."""
    return a


@mcp.tool
def t_float(a: float, b: float = 2.5) -> float:
    return a * b


@mcp.tool
def t_str(s: str = "hi") -> str:
    """Echo.

    Args:
        s: the text to echo
    """
    return s


@mcp.tool
def t_bool(flag: bool) -> bool:
    return not flag


@mcp.tool
def t_none(x: None = None) -> None:
    return None


@mcp.tool
def t_untyped(x, y=3):
    return [x, y]


@mcp.tool
def t_list(xs: list[int]) -> list[int]:
    return sorted(xs)


@mcp.tool
def t_bare_list(xs: list) -> list:
    return xs


@mcp.tool
def t_dict(d: dict[str, int]) -> dict[str, int]:
    return {k: v * 2 for k, v in d.items()}


@mcp.tool
def t_bare_dict(d: dict) -> dict:
    return d


@mcp.tool
def t_tuple(t: tuple[int, str]) -> tuple[int, str]:
    return t


@mcp.tool
def t_var_tuple(t: tuple[int, ...]) -> int:
    return sum(t)


@mcp.tool
def t_optional(a: Optional[int] = None, b: str | None = None) -> str:
    return f"{a} {b}"


@mcp.tool
def t_union(v: Union[int, str]) -> str:
    return repr(v)


@mcp.tool
def t_literal(mode: Literal["fast", "slow"] = "fast", one: Literal["x"] = "x") -> str:
    return mode + one


@mcp.tool
def t_enum(color: Color, level: Level = Level.LOW) -> str:
    return f"{color.value} {level.value}"


@mcp.tool
def t_dataclass(p: Point) -> Point:
    return Point(p.x + 1, p.y)


@mcp.tool
def t_nested(shape: Shape) -> Shape:
    return shape


@mcp.tool
def t_typeddict(m: Movie) -> Movie:
    return m


@mcp.tool
def t_model(person: Person) -> Person:
    return person


@mcp.tool
def t_annotated(
    n: Annotated[int, Field(description="How many", ge=1, le=10)],
    name: Annotated[str, Field(description="Who", min_length=1, max_length=20)] = "x",
    tags: Annotated[list[str], Field(description="Labels", max_length=3)] = [],
) -> str:
    return name * n


@mcp.tool
def t_field_default(limit: int = Field(5, description="Max rows", gt=0)) -> int:
    return limit


@mcp.tool
def t_google_doc(query: str, top_k: int = 3) -> list[str]:
    """Search the index.

    Longer explanation that stays in the description.

    Args:
        query: What to look for.
        top_k: How many results to return,
            at most 10.

    Returns:
        The matching titles.
    """
    return [query] * top_k


@mcp.tool
async def t_async(x: int, ctx: Context) -> int:
    """Async with context."""
    return x + 1


@mcp.tool(name="renamed", description="Custom description", tags={"b", "a"},
          annotations={"readOnlyHint": True, "idempotentHint": False})
def t_options(x: int) -> str:
    """Docstring ignored."""
    return str(x)


@mcp.tool(annotations={"title": "Nice Title"})
def t_annotation_title() -> str:
    return "ok"


@mcp.tool
def t_no_params() -> dict:
    return {"a": 1, "b": [1, 2]}


@mcp.tool
def t_any(x: Any) -> Any:
    return x


@mcp.tool
def t_optional_model(p: Point | None = None, items: list[Point] | None = None) -> str | None:
    return None


@mcp.tool
def t_raises(x: int) -> str:
    raise ToolError(f"bad x: {x}")


@mcp.tool
def t_raises_other() -> str:
    raise ValueError("something broke")


@mcp.tool
def t_set_bytes(s: set[int], b: bytes = b"") -> int:
    return len(s)


CALLS = [
    ("t_int", {"a": 3}),
    ("t_int", {"a": "7"}),
    ("t_float", {"a": 2}),
    ("t_str", {}),
    ("t_bool", {"flag": True}),
    ("t_none", {}),
    ("t_untyped", {"x": "q"}),
    ("t_list", {"xs": [3, 1, 2]}),
    ("t_bare_list", {"xs": [1, "a"]}),
    ("t_dict", {"d": {"a": 1}}),
    ("t_bare_dict", {"d": {"a": [1]}}),
    ("t_tuple", {"t": [1, "a"]}),
    ("t_var_tuple", {"t": [1, 2, 3]}),
    ("t_optional", {"a": 1}),
    ("t_union", {"v": 5}),
    ("t_union", {"v": "5"}),
    ("t_literal", {"mode": "slow"}),
    ("t_enum", {"color": "green", "level": 2}),
    ("t_dataclass", {"p": {"x": 1}}),
    ("t_nested", {"shape": {"name": "tri", "points": [{"x": 1, "y": 2.0}]}}),
    ("t_typeddict", {"m": {"title": "Heat", "year": 1995}}),
    ("t_model", {"person": {"name": "Ann"}}),
    ("t_annotated", {"n": 2, "name": "ab"}),
    ("t_field_default", {}),
    ("t_google_doc", {"query": "q", "top_k": 2}),
    ("t_async", {"x": 1}),
    ("renamed", {"x": 4}),
    ("t_no_params", {}),
    ("t_any", {"x": {"k": [1, None]}}),
    ("t_optional_model", {}),
    ("t_raises", {"x": 2}),
    ("t_raises_other", {}),
    ("t_set_bytes", {"s": [1, 2, 2]}),
]


@mcp.resource("data://greeting")
def greeting() -> str:
    """A friendly greeting."""
    return "hello"


@mcp.resource("data://config", mime_type="application/json", name="config", description="Settings")
def config() -> dict:
    return {"debug": False}


@mcp.resource("data://logo", mime_type="image/png")
def logo() -> bytes:
    return b"\x89PNG"


@mcp.resource("data://users/{user_id}/profile")
def profile(user_id: str) -> dict:
    """One user's profile."""
    return {"id": user_id}


@mcp.resource("data://files/{path*}", mime_type="text/plain")
def file(path: str) -> str:
    return f"file {path}"


@mcp.prompt
def p_simple() -> str:
    """A simple prompt."""
    return "Say hi."


@mcp.prompt(name="p_args", description="With arguments")
def p_args(topic: str, count: int = 3, style: Annotated[str, Field(description="Tone")] = "plain") -> list:
    """Args:
    topic: What to write about.
    """
    return [f"Write {count} lines about {topic} in a {style} tone.", Message("Sure.", role="assistant")]


READS = ["data://greeting", "data://config", "data://logo", "data://users/42/profile", "data://files/a/b.txt"]
PROMPTS = [("p_simple", {}), ("p_args", {"topic": "sea", "count": "2"})]
