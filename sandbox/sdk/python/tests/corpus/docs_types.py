"""Parameter and return types FastMCP's documentation promises work ("FastMCP supports all types that Pydantic
supports as fields", docs/servers/tools.mdx): dataclasses and TypedDicts as parameters, tuples, frozensets,
Decimal, datetime, enum, UUID and Path returns, nested generics of models, models with aliases, computed
fields, Literal fields and defaults, ``Annotated`` constraints inside models, and optional models. Listings
and results must equal real fastmcp 4.x's.
"""

import dataclasses
import datetime
import decimal
import enum
import pathlib
import uuid
from typing import Annotated, Any, Literal, NamedTuple, Optional

from pydantic import BaseModel, ConfigDict, Field, computed_field
from typing_extensions import NotRequired, TypedDict

from fastmcp import FastMCP

mcp = FastMCP("Types")


@dataclasses.dataclass
class Point:
    x: float
    y: float = 0.0
    label: Optional[str] = None


class Filters(TypedDict):
    status: Literal["open", "closed"]
    limit: NotRequired[int]


class Status(enum.Enum):
    OK = "ok"
    FAILED = "failed"


class Item(BaseModel):
    model_config = ConfigDict(serialize_by_alias=True, populate_by_name=True)

    item_id: int = Field(alias="itemId")
    name: Annotated[str, Field(min_length=1, max_length=10)]
    kind: Literal["tool", "part"] = "part"
    price: decimal.Decimal = decimal.Decimal("1.50")

    @computed_field
    @property
    def label(self) -> str:
        return f"{self.kind}:{self.name}"


class Pair(NamedTuple):
    left: int
    right: str


@mcp.tool
def distance(a: Point, b: Point) -> float:
    """Distance between two points."""
    return round(((a.x - b.x) ** 2 + (a.y - b.y) ** 2) ** 0.5, 3)


@mcp.tool
def search(filters: Filters, tags: frozenset[str] = frozenset()) -> dict:
    return {"status": filters["status"], "limit": filters.get("limit", 10), "tags": sorted(tags)}


@mcp.tool
def pair(values: tuple[int, str]) -> tuple[int, str]:
    return values[0] + 1, values[1].upper()


@mcp.tool
def named(p: Pair) -> Pair:
    return Pair(p.left * 2, p.right * 2)


@mcp.tool
def money(amount: decimal.Decimal) -> decimal.Decimal:
    return amount * 2


@mcp.tool
def when(days: int) -> datetime.datetime:
    return datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(days=days)


@mcp.tool
def status(ok: bool) -> Status:
    return Status.OK if ok else Status.FAILED


@mcp.tool
def ident(seed: int) -> uuid.UUID:
    return uuid.UUID(int=seed)


@mcp.tool
def where(name: str) -> pathlib.Path:
    return pathlib.Path("/data") / name


class Opaque:
    def __repr__(self):
        return "<opaque>"


@mcp.tool
def where_pure(name: str) -> pathlib.Path:
    return pathlib.PurePosixPath("/data") / name


@mcp.tool
def opaque_in_dict() -> dict:
    return {"thing": Opaque()}


@mcp.tool
def opaque_unannotated():
    return {"thing": Opaque()}


@mcp.tool
def opaque_list() -> list:
    return [Opaque()]


@mcp.tool
def catalogue(items: list[Item]) -> dict[str, list[Item]]:
    out: dict[str, list[Item]] = {}
    for it in items:
        out.setdefault(it.kind, []).append(it)
    return out


@mcp.tool
def first_item(items: list[Item]) -> Optional[Item]:
    return items[0] if items else None


@mcp.tool
def anything(value: Any) -> Any:
    return value


@mcp.tool
def points(n: int) -> list[Point]:
    return [Point(float(i), float(i)) for i in range(n)]


ITEM = {"itemId": 1, "name": "bolt", "kind": "part"}

CALLS = [
    ("distance", {"a": {"x": 0, "y": 0}, "b": {"x": 3, "y": 4}}),
    ("distance", {"a": {"x": "0"}, "b": {"x": 1, "label": 5}}),
    ("search", {"filters": {"status": "open"}, "tags": ["b", "a", "b"]}),
    ("search", {"filters": {"status": "pending", "limit": "x"}}),
    ("pair", {"values": [1, "a"]}),
    ("pair", {"values": [1, "a", 3]}),
    ("named", {"p": [2, "x"]}),
    ("named", {"p": {"left": 2, "right": "x"}}),
    ("money", {"amount": "1.25"}),
    ("when", {"days": 3}),
    ("status", {"ok": False}),
    ("ident", {"seed": 255}),
    ("where", {"name": "file.txt"}),
    ("where_pure", {"name": "file.txt"}),
    ("opaque_in_dict", {}),
    ("opaque_unannotated", {}),
    ("opaque_list", {}),
    ("catalogue", {"items": [ITEM, {**ITEM, "itemId": 2, "kind": "tool", "price": 3}]}),
    ("catalogue", {"items": [{**ITEM, "name": ""}]}),
    ("catalogue", {"items": [{"item_id": 3, "name": "nut"}]}),
    ("first_item", {"items": []}),
    ("first_item", {"items": [ITEM]}),
    ("anything", {"value": {"nested": [1, None, "x"]}}),
    ("anything", {"value": 5}),
    ("points", {"n": 2}),
]
