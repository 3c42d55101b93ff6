"""Signatures and failures whose schemas, arguments and answers the official SDK 2.x shapes its own way."""

import typing
from dataclasses import dataclass
from enum import Enum
from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import TextContent
from pydantic import BaseModel, Field
from typing_extensions import NotRequired, TypedDict

mcp = MCPServer("signatures")


class Colour(str, Enum):
    red = "red"
    blue = "blue"


class Part(BaseModel):
    name: str = Field(min_length=1)
    colour: Colour = Colour.red


class Order(BaseModel):
    parts: list[Part]
    note: str | None = None


class Totals(TypedDict):
    count: int
    label: NotRequired[str]


@dataclass
class Box:
    width: int
    height: int = 1


class Shape(Enum):
    square = 1


@mcp.tool()
def pre_parsed(tags: list[str], limits: dict[str, int] | None = None, n: int = 0) -> list[str]:
    """Lists and objects may come as JSON text."""
    return [f"{t}:{n}" for t in tags] + sorted(limits or {})


@mcp.tool()
def shadowing(json: str, copy: int = 1) -> str:
    return json * copy


@mcp.tool()
def untyped(x, y=3):
    """No annotations at all.

    Args:
        x: not read by the SDK
    """
    return f"{x}/{y}"


@mcp.tool(description="Constrained.")
def constrained(n: Annotated[int, Field(ge=0, description="count")], label: str = Field("x", description="label")) -> dict:
    return {"n": n, "label": label}


@mcp.tool()
def order(order: Order, ctx: Context) -> Order:
    return order


@mcp.tool()
def totals(partial: bool = False) -> Totals:
    return {"count": 2} if partial else {"count": 2, "label": "two"}


@mcp.tool()
def box() -> Box:
    return Box(3)


@mcp.tool()
def builtin_dict() -> dict[str, int]:
    return {"a": 1}


@mcp.tool()
def typing_dict() -> typing.Dict[str, int]:  # noqa: UP006  (the spelling is the case)
    return {"a": 1}


@mcp.tool()
def optional(flag: bool = False) -> int | None:
    return 1 if flag else None


@mcp.tool()
def nothing() -> None:
    return None


@mcp.tool()
def pair() -> tuple[int, str]:
    return (1, "a")


@mcp.tool()
def shape() -> Shape:
    return Shape.square


@mcp.tool()
def blocks() -> list[TextContent]:
    return [TextContent(type="text", text="one"), TextContent(type="text", text="two")]


@mcp.tool()
def liar() -> int:
    return "not a number"  # type: ignore[return-value]


@mcp.tool()
def crash() -> str:
    raise ValueError("boom")


@mcp.tool(structured_output=False)
def unstructured() -> int:
    return 7


@mcp.resource("items://{item_id}")
def item(item_id: str) -> str:
    return f"item {item_id}"


@mcp.prompt()
def ask(topic: str, n: int = 2, tone: str = Field("warm", description="the tone")) -> str:
    """Ask about a topic."""
    return f"{n} questions about {topic}, {tone}"


@mcp.prompt()
def broken(topic: str) -> str:
    raise ValueError(f"no prompt about {topic}")
