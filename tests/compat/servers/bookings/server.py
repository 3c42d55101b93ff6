"""Meeting-room bookings: the arguments arrive as JSON strings and numbers and are coerced."""

import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum, IntEnum

from fastmcp import FastMCP
from pydantic import BaseModel

mcp = FastMCP("Bookings")


class Room(str, Enum):
    small = "small"
    large = "large"
    studio = "studio"


class Priority(IntEnum):
    low = 1
    normal = 2
    high = 3


class Booking(BaseModel):
    booking_id: uuid.UUID
    room: Room
    starts: datetime
    ends: datetime
    day: date
    price: Decimal
    priority: Priority
    hours: float


PRICES = {Room.small: Decimal("12.50"), Room.large: Decimal("30.00"), Room.studio: Decimal("55.25")}


@mcp.tool
def book(
    booking_id: uuid.UUID,
    room: Room,
    starts: datetime,
    hours: float,
    priority: Priority = Priority.normal,
) -> Booking:
    """Book a room for some hours."""
    return Booking(
        booking_id=booking_id,
        room=room,
        starts=starts,
        ends=starts + timedelta(hours=hours),
        day=starts.date(),
        price=PRICES[room] * Decimal(str(hours)),
        priority=priority,
        hours=hours,
    )


@mcp.tool
def days_between(first: date, last: date) -> int:
    """Days from one date to another."""
    return (last - first).days


@mcp.tool
def opening_hours(day: date, opens: time = time(8, 0), closes: time = time(20, 0)) -> dict:
    """Opening hours for a day."""
    return {"day": day.isoformat(), "opens": opens.isoformat(), "closes": closes.isoformat(), "weekday": day.strftime("%A")}


@mcp.tool
def quote(amount: Decimal, vat_percent: Decimal = Decimal("20")) -> Decimal:
    """Price with VAT, to the cent."""
    return (amount * (1 + vat_percent / 100)).quantize(Decimal("0.01"))


@mcp.tool
def average(values: list[float]) -> float:
    """Mean of some numbers."""
    return sum(values) / len(values)


@mcp.tool
def flags(enabled: bool, count: int, ratio: float, names: tuple[str, ...] = ()) -> dict:
    """Echo back typed flags."""
    return {"enabled": enabled, "count": count, "ratio": ratio, "names": list(names)}


if __name__ == "__main__":
    mcp.run()
