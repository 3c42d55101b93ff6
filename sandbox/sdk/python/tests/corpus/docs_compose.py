"""Composition and tool transformation as FastMCP's documentation teaches them (docs/servers/providers/
mounting.mdx, transforms/namespace.mdx, transforms/tool-transformation.mdx): mounting with and without a
namespace, a live link (a tool added after mounting), name clashes (the guide says the later mount wins;
fastmcp 4.x answers with the first), tag filters on the
parent, ``Tool.from_tool`` with ``ArgTransform`` (rename, describe, default, hide with a constant or a
factory, required, type, examples) and ``transform_fn`` with ``forward``/``forward_raw``. Listings and
results must equal real fastmcp 4.x's.
"""

from typing import Annotated

from pydantic import Field

from fastmcp import FastMCP
from fastmcp.tools import Tool, tool
from fastmcp.tools.tool_transform import ArgTransform, forward, forward_raw

weather_server = FastMCP("Weather")


@weather_server.tool
def get_forecast(city: str) -> str:
    """Get weather forecast for a city."""
    return f"Sunny in {city}"


@weather_server.resource("data://cities")
def list_cities() -> list[str]:
    """List supported cities."""
    return ["London", "Paris", "Tokyo"]


@weather_server.prompt
def forecast_prompt(city: str) -> str:
    return f"What's the weather in {city}?"


main = FastMCP("MainApp")
main.mount(weather_server)

weather = FastMCP("Weather2")
calendar = FastMCP("Calendar")


@weather.tool
def get_data() -> str:
    return "Weather data"


@calendar.tool(name="get_data")
def get_calendar_data() -> str:
    return "Calendar data"


@calendar.resource("data://events/{day}")
def events(day: str) -> list:
    return [f"standup on {day}"]


main.mount(weather, namespace="weather")
main.mount(calendar, namespace="calendar")

dynamic_server = FastMCP("Dynamic")
main.mount(dynamic_server, namespace="dynamic")


@dynamic_server.tool
def added_later() -> str:
    return "Added after mounting!"


server_a = FastMCP("A")
server_b = FastMCP("B")


@server_a.tool(name="shared_tool")
def shared_a() -> str:
    return "From A"


@server_b.tool(name="shared_tool")
def shared_b() -> str:
    return "From B"


main.mount(server_a)
main.mount(server_b)

api_server = FastMCP("API")


@api_server.tool(tags={"production"})
def prod_endpoint() -> str:
    return "Production data"


@api_server.tool(tags={"development"})
def dev_endpoint() -> str:
    return "Debug data"


prod_app = FastMCP("Production")
prod_app.mount(api_server, namespace="api")
prod_app.enable(tags={"production"}, only=True)
main.mount(prod_app, namespace="prod")


@tool
def search(q: str, limit: int = 10) -> list[str]:
    """Search for items."""
    return [f"Result {i} for {q}" for i in range(limit)]


better_search = Tool.from_tool(
    search,
    name="find_items",
    description="Find items matching your search query.",
    transform_args={"q": ArgTransform(name="query", description="The search terms to look for.")},
)
main.add_tool(better_search)


@tool
def search_n(q: str, n: int = 10) -> list[str]:
    """Search for items."""
    return [q] * n


main.add_tool(Tool.from_tool(search_n, transform_args={
    "q": ArgTransform(name="query", description="Search terms"),
    "n": ArgTransform(name="max_results", description="Maximum results to return", default=2),
}))


@tool
def call_service(endpoint: str, api_key: str, request_id: str = "none", retries: int = 3) -> dict:
    """Calls a service."""
    return {"endpoint": endpoint, "api_key": api_key, "request_id_len": len(request_id), "retries": retries}


main.add_tool(Tool.from_tool(call_service, name="call_service_safely", transform_args={
    "api_key": ArgTransform(hide=True, default="secret-key"),
    "request_id": ArgTransform(hide=True, default_factory=lambda: "r" * 8),
    "retries": ArgTransform(required=True, examples=[1, 2]),
    "endpoint": ArgTransform(type=Annotated[str, Field(min_length=2)]),
}))


@tool
def divide(a: float, b: float) -> float:
    """Divide a by b."""
    return a / b


async def safe_divide(numerator: float, denominator: float) -> float:
    if denominator == 0:
        raise ValueError("Cannot divide by zero")
    return await forward(numerator=numerator, denominator=denominator)


main.add_tool(Tool.from_tool(divide, name="safe_divide", transform_fn=safe_divide, transform_args={
    "a": ArgTransform(name="numerator"), "b": ArgTransform(name="denominator")}))


async def raw_divide(a: float, b: float) -> str:
    result = await forward_raw(a=a, b=b * 2)
    return f"halved: {result.structured_content['result']}"


main.add_tool(Tool.from_tool(divide, name="half_divide", transform_fn=raw_divide))


async def flexible(**kwargs) -> str:
    result = await forward(**kwargs)
    return f"flexible {result.content[0].text}"


main.add_tool(Tool.from_tool(divide, name="flexible_divide", transform_fn=flexible,
                             description="Divide, flexibly."))

mcp = main

CALLS = [
    ("get_forecast", {"city": "Paris"}),
    ("weather_get_data", {}),
    ("calendar_get_data", {}),
    ("dynamic_added_later", {}),
    ("shared_tool", {}),
    ("prod_api_prod_endpoint", {}),
    ("prod_api_dev_endpoint", {}),
    ("find_items", {"query": "lamp", "limit": 2}),
    ("find_items", {"q": "lamp"}),
    ("search_n", {"query": "x"}),
    ("search_n", {"query": "x", "max_results": "3"}),
    ("call_service_safely", {"endpoint": "/v1", "retries": 1}),
    ("call_service_safely", {"endpoint": "/v1"}),
    ("call_service_safely", {"endpoint": "/v1", "retries": 1, "api_key": "mine"}),
    ("safe_divide", {"numerator": 1, "denominator": 4}),
    ("safe_divide", {"numerator": 1, "denominator": 0}),
    ("safe_divide", {"numerator": "x", "denominator": 2}),
    ("half_divide", {"a": 1, "b": 2}),
    ("flexible_divide", {"a": 3, "b": 4}),
]

READS = ["data://cities", "data://calendar/events/monday"]

PROMPTS = [("forecast_prompt", {"city": "Oslo"})]
