"""Strict input validation as FastMCP's documentation teaches it (docs/servers/tools.mdx, "Validation
Modes"): with ``strict_input_validation=True`` strings are not coerced to numbers or booleans, while what the
input schema tells clients to send (ISO dates, enum values, UUIDs, models as objects) still validates.
Results must equal real fastmcp 4.x's.
"""

import datetime
import enum
import uuid

from pydantic import BaseModel

from fastmcp import FastMCP

mcp = FastMCP("StrictServer", strict_input_validation=True)


class Color(enum.Enum):
    RED = "red"


class User(BaseModel):
    name: str
    age: int


@mcp.tool
def add_numbers(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@mcp.tool
def typed(when: datetime.date, color: Color, ref: uuid.UUID, user: User, ratio: float = 1.0,
          flags: list[bool] = []) -> str:
    return f"{when} {color} {ref} {user} {ratio} {flags}"


CALLS = [
    ("add_numbers", {"a": 10, "b": 20}),
    ("add_numbers", {"a": "10", "b": "20"}),
    ("typed", {"when": "2026-01-02", "color": "red", "ref": "12345678-1234-5678-1234-567812345678",
               "user": {"name": "A", "age": 3}, "ratio": 2, "flags": [True]}),
    ("typed", {"when": "2026-01-02", "color": "red", "ref": "12345678-1234-5678-1234-567812345678",
               "user": {"name": "A", "age": "3"}, "ratio": "2.5", "flags": ["true"]}),
]
