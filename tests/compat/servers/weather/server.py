"""A weather service, shaped like the FastMCP quickstart, with canned data instead of an API."""

from datetime import date
from enum import Enum
from typing import Annotated, Literal

from fastmcp import FastMCP
from mcp.types import Icon, ToolAnnotations
from pydantic import BaseModel, Field

mcp = FastMCP(
    "Weather",
    instructions="Forecasts and current conditions for a few cities.",
    website_url="https://weather.example.com",
    icons=[Icon(src="https://weather.example.com/icon.png", mimeType="image/png", sizes=["48x48"])],
)

CITIES = {
    "paris": {"lat": 48.85, "lon": 2.35, "temps": [18.5, 20.1, 17.0, 15.2, 16.8, 19.9, 21.3]},
    "tokyo": {"lat": 35.68, "lon": 139.69, "temps": [24.0, 25.5, 23.1, 22.8, 26.0, 27.2, 24.4]},
    "lima": {"lat": -12.05, "lon": -77.04, "temps": [19.0, 19.2, 18.8, 18.1, 18.9, 19.5, 20.0]},
}
SKIES = ["clear", "cloudy", "rain", "clear", "storm", "cloudy", "clear"]


class Units(str, Enum):
    celsius = "celsius"
    fahrenheit = "fahrenheit"


class DayForecast(BaseModel):
    day: date
    temperature: float
    sky: str


class Forecast(BaseModel):
    city: str
    units: Units
    days: list[DayForecast]


def convert(celsius: float, units: Units) -> float:
    return round(celsius * 9 / 5 + 32, 1) if units is Units.fahrenheit else celsius


@mcp.tool(
    annotations=ToolAnnotations(title="Forecast", readOnlyHint=True, openWorldHint=False),
    icons=[Icon(src="https://weather.example.com/sun.svg", mimeType="image/svg+xml")],
    tags={"forecast"},
)
def get_forecast(
    city: Annotated[str, Field(description="City name, lower case")],
    start: date,
    days: Annotated[int, Field(ge=1, le=7)] = 3,
    units: Units = Units.celsius,
) -> Forecast:
    """Forecast for the next few days starting at a date."""
    if city not in CITIES:
        raise ValueError(f"unknown city {city!r}")
    temps = CITIES[city]["temps"]
    out = []
    for i in range(days):
        out.append(
            DayForecast(
                day=date.fromordinal(start.toordinal() + i),
                temperature=convert(temps[i], units),
                sky=SKIES[(start.toordinal() + i) % 7],
            )
        )
    return Forecast(city=city, units=units, days=out)


@mcp.tool(annotations={"readOnlyHint": True, "idempotentHint": True})
def current_temperature(city: str, units: Literal["celsius", "fahrenheit"] = "celsius") -> float:
    """Current temperature in a city."""
    return convert(CITIES[city]["temps"][0], Units(units))


@mcp.resource("weather://cities", mime_type="application/json")
def list_cities() -> list[str]:
    """Cities with forecasts."""
    return sorted(CITIES)


@mcp.resource("weather://{city}/coordinates")
def coordinates(city: str) -> dict:
    """Latitude and longitude of a city."""
    return {"lat": CITIES[city]["lat"], "lon": CITIES[city]["lon"]}


@mcp.resource("weather://{city}/day/{index}")
def day_temperature(city: str, index: int) -> str:
    """Temperature of one forecast day."""
    return f"{city} day {index}: {CITIES[city]['temps'][index]} C"


@mcp.prompt
def plan_trip(city: str, activity: str = "walking") -> str:
    """Ask for a plan that fits the forecast."""
    return f"Look at the forecast for {city} and plan a day of {activity} around the weather."


if __name__ == "__main__":
    mcp.run()
