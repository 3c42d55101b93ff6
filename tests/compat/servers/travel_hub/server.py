"""A travel hub composed of smaller servers: mounted with namespaces, renamed tools, tag filters."""

from fastmcp import FastMCP

flights = FastMCP("Flights")


@flights.tool
def search(origin: str, destination: str) -> list[str]:
    """Flights between two airports."""
    return [f"{origin}-{destination} 08:00", f"{origin}-{destination} 17:30"]


@flights.tool(tags={"beta"})
def seat_map(flight: str) -> str:
    """Seat map of a flight (beta)."""
    return f"{flight}: rows 1-30"


@flights.resource("data://airports")
def airports() -> list[str]:
    return ["CDG", "HND", "LIM"]


@flights.resource("data://airports/{code}")
def airport(code: str) -> dict:
    return {"code": code, "name": {"CDG": "Charles de Gaulle", "HND": "Haneda"}.get(code, "unknown")}


@flights.prompt
def compare_fares(route: str) -> str:
    """Compare fares on a route."""
    return f"Compare the fares on {route}."


hotels = FastMCP("Hotels")


@hotels.tool
def search(city: str, nights: int = 1) -> list[str]:  # noqa: F811  (another server's tool)
    """Hotels in a city."""
    return [f"{city} Grand ({nights} nights)", f"{city} Budget Inn ({nights} nights)"]


@hotels.tool(tags={"internal"})
def overbook(hotel: str) -> str:
    """Staff only."""
    return f"overbooked {hotel}"


utilities = FastMCP("Utilities")


@utilities.tool
def convert_currency(amount: float, rate: float) -> float:
    """Convert an amount at a rate."""
    return round(amount * rate, 2)


mcp = FastMCP("Travel Hub")
mcp.mount(flights, namespace="flights")
mcp.mount(hotels, namespace="hotels")
mcp.mount(utilities, tool_names={"convert_currency": "fx"})
mcp.disable(tags={"internal"})
mcp.disable(tags={"beta"})


@mcp.tool
def itinerary(city: str) -> str:
    """The hub's own tool."""
    return f"Trip to {city}: flight, hotel, museum."


if __name__ == "__main__":
    mcp.run()
