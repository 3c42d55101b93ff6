"""Structured output, as the official SDK (1.x) README shows it: models, TypedDicts, dataclasses, dicts."""

from dataclasses import dataclass
from typing import Annotated

from mcp.server.fastmcp import Context, FastMCP
from mcp.server.session import ServerSession
from mcp.types import Icon, ToolAnnotations
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

mcp = FastMCP(
    "Structured Output Example",
    instructions="Weather data with structured results.",
    website_url="https://example.com/weather",
    icons=[Icon(src="https://example.com/icon.png", mimeType="image/png", sizes=["64x64"])],
)


class WeatherData(BaseModel):
    """Weather information structure."""

    temperature: float = Field(description="Temperature in Celsius")
    humidity: float = Field(description="Humidity percentage")
    condition: str
    wind_speed: float


@mcp.tool(annotations=ToolAnnotations(readOnlyHint=True))
def get_weather(city: str) -> WeatherData:
    """Get weather for a city - returns structured data."""
    return WeatherData(temperature=22.5, humidity=45.0, condition="sunny", wind_speed=5.2)


class LocationInfo(TypedDict):
    latitude: float
    longitude: float
    name: str


@mcp.tool()
def get_location(address: str) -> LocationInfo:
    """Get location coordinates"""
    return LocationInfo(latitude=51.5074, longitude=-0.1278, name="London, UK")


@mcp.tool()
def get_statistics(data_type: str) -> dict[str, float]:
    """Get various statistics"""
    return {"mean": 42.5, "median": 40.0, "std_dev": 5.2}


@dataclass
class UserProfile:
    name: str
    age: int
    email: str | None = None


@mcp.tool()
def get_user(user_id: str) -> UserProfile:
    """Get user profile - returns structured data"""
    return UserProfile(name="Alice", age=30, email="alice@example.com")


class UntypedConfig:
    def __init__(self, setting1, setting2):
        self.setting1 = setting1
        self.setting2 = setting2


@mcp.tool()
def get_untyped_config() -> UntypedConfig:
    """This returns unstructured output - no schema generated"""
    return UntypedConfig("value1", "value2")


@mcp.tool()
def list_cities() -> list[str]:
    """Get a list of cities"""
    return ["London", "Paris", "Tokyo"]


@mcp.tool()
def get_temperature(city: str) -> float:
    """Get temperature as a simple float"""
    return 22.5


@mcp.tool()
def summarize_forecast(days: Annotated[int, Field(ge=1, le=14, description="Number of days")] = 3) -> str:
    """Summarize the forecast (unstructured output)."""
    return f"{days} days of sunshine"


@mcp.tool(icons=[Icon(src="https://example.com/progress.svg", mimeType="image/svg+xml")])
async def long_running_task(task_name: str, ctx: Context[ServerSession, None], steps: int = 5) -> str:
    """Execute a task with progress updates."""
    await ctx.info(f"Starting: {task_name}")
    for i in range(steps):
        progress = (i + 1) / steps
        await ctx.report_progress(progress=progress, total=1.0, message=f"Step {i + 1}/{steps}")
        await ctx.debug(f"Completed step {i + 1}")
    return f"Task '{task_name}' completed"


if __name__ == "__main__":
    mcp.run(transport="streamable-http")
