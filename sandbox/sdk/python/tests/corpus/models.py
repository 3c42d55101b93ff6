"""pydantic models as tool parameters and results; listings and results must equal real fastmcp 4.x's.

Covers nested models, lists and dicts of models, Optional, defaults, default_factory, aliases, Field
constraints, lax-mode coercions (str to datetime, date, UUID, Decimal, enum), field and model validators,
ConfigDict(extra="forbid"), and arguments pydantic refuses (a tool error result).
"""

import datetime
import decimal
import enum
import uuid
from typing import Annotated, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from fastmcp import FastMCP

mcp = FastMCP("models")


class Priority(str, enum.Enum):
    LOW = "low"
    HIGH = "high"


class Address(BaseModel):
    """Where a customer lives."""

    street: str
    city: str = "Paris"
    postcode: Optional[str] = None


class Customer(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    name: str = Field(min_length=1, max_length=20, description="Full name")
    email_address: str = Field(alias="email", pattern=r"^[^@]+@[^@]+$")
    address: Address
    previous: list[Address] = Field(default_factory=list)
    tags: dict[str, int] = {}

    @field_validator("name")
    @classmethod
    def tidy(cls, v: str) -> str:
        return v.strip().title()


class Window(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: datetime.datetime
    end: datetime.datetime

    @model_validator(mode="after")
    def ordered(self):
        if self.end < self.start:
            raise ValueError("end is before start")
        return self


class Invoice(BaseModel):
    id: uuid.UUID
    amount: decimal.Decimal = Field(gt=0, decimal_places=2)
    due: datetime.date
    priority: Priority = Priority.LOW
    lines: dict[str, Address] = Field(default_factory=dict)


@mcp.tool
def register(customer: Customer, vip: bool = False) -> Customer:
    """Registers a customer."""
    return customer


@mcp.tool
def schedule(window: Window, note: Optional[str] = None) -> dict:
    return {"hours": (window.end - window.start).total_seconds() / 3600, "note": note}


@mcp.tool
def bill(invoice: Invoice) -> Invoice:
    return invoice


@mcp.tool
def batch(customers: list[Customer], by_city: dict[str, list[Address]] = {}) -> int:
    return len(customers) + sum(len(v) for v in by_city.values())


@mcp.tool
def limits(
    n: Annotated[int, Field(ge=1, le=10, description="How many")] = 3,
    ratio: float = Field(default=0.5, gt=0, lt=1),
    word: str = Field(default="x", min_length=1, max_length=5),
    items: list[int] = Field(default_factory=list, max_length=3),
) -> list[int]:
    return [n, len(word), len(items)] + [round(ratio * 10)]


@mcp.tool
def when(at: datetime.datetime, day: datetime.date, ref: uuid.UUID, cost: decimal.Decimal,
         level: Priority) -> str:
    return f"{at.isoformat()} {day.isoformat()} {ref.hex} {cost} {level.value}"


CUSTOMER = {"name": " ann lee ", "email": "ann@example.com", "address": {"street": "1 Rue"}}
WINDOW = {"start": "2026-12-01T10:00:00Z", "end": "2026-12-01T12:30:00Z"}
INVOICE = {"id": "12345678-1234-5678-1234-567812345678", "amount": "10.50", "due": "2026-12-31",
           "priority": "high", "lines": {"a": {"street": "2 Rue", "city": "Lyon"}}}

CALLS = [
    ("register", {"customer": CUSTOMER}),
    ("register", {"customer": {**CUSTOMER, "previous": [{"street": "3 Rue", "postcode": 75001}]}, "vip": "yes"}),
    ("register", {"customer": {**CUSTOMER, "name": ""}}),
    ("register", {"customer": {**CUSTOMER, "email": "nope"}}),
    ("register", {"customer": {"name": "x"}}),
    ("schedule", {"window": WINDOW, "note": "ok"}),
    ("schedule", {"window": {**WINDOW, "extra": 1}}),
    ("schedule", {"window": {"start": WINDOW["end"], "end": WINDOW["start"]}}),
    ("bill", {"invoice": INVOICE}),
    ("bill", {"invoice": {**INVOICE, "amount": "-1"}}),
    ("bill", {"invoice": {**INVOICE, "id": "not-a-uuid", "due": "tomorrow"}}),
    ("batch", {"customers": [CUSTOMER, CUSTOMER], "by_city": {"Paris": [{"street": "4 Rue"}]}}),
    ("batch", {"customers": "not a list"}),
    ("limits", {}),
    ("limits", {"n": "7", "ratio": "0.25", "word": "abc", "items": [1, "2"]}),
    ("limits", {"n": 11, "ratio": 1, "word": "toolong", "items": [1, 2, 3, 4]}),
    ("when", {"at": "2026-12-01T08:00:00+01:00", "day": "2026-12-02", "ref": "12345678123456781234567812345678",
              "cost": "1.5", "level": "low"}),
    ("when", {"at": 1764576000, "day": "2026-12-02", "ref": "12345678-1234-5678-1234-567812345678",
              "cost": 2, "level": "medium"}),
    ("when", {"at": "2026-12-01", "day": "x"}),
    ("limits", {"n": 1, "unknown": True}),
]
