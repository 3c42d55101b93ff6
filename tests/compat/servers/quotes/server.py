"""Stock quotes behind FastMCP's built-in middleware: error handling, rate limiting, timing, logging, caching."""

import logging

from fastmcp import FastMCP
from fastmcp.server.middleware.caching import ResponseCachingMiddleware
from fastmcp.server.middleware.error_handling import ErrorHandlingMiddleware
from fastmcp.server.middleware.logging import LoggingMiddleware
from fastmcp.server.middleware.rate_limiting import RateLimitingMiddleware
from fastmcp.server.middleware.timing import TimingMiddleware

mcp = FastMCP("Quotes")
mcp.add_middleware(ErrorHandlingMiddleware(include_traceback=False))
mcp.add_middleware(RateLimitingMiddleware(max_requests_per_second=100, burst_capacity=200))
mcp.add_middleware(TimingMiddleware(log_level=logging.DEBUG))
mcp.add_middleware(LoggingMiddleware(include_payloads=True, max_payload_length=500))
mcp.add_middleware(ResponseCachingMiddleware())

PRICES = {"ACME": 12.5, "GLOBEX": 48.0, "INITECH": 3.25}
LOOKUPS = {"count": 0}


@mcp.tool
def price(symbol: str) -> float:
    """Latest price of a symbol (each real lookup is counted)."""
    LOOKUPS["count"] += 1
    if symbol not in PRICES:
        raise KeyError(symbol)
    return PRICES[symbol]


@mcp.tool
def lookups() -> int:
    """How many real price lookups ran (cached answers are not lookups)."""
    return LOOKUPS["count"]


@mcp.tool
def broken() -> str:
    """Always fails with an unexpected error."""
    raise RuntimeError("database connection lost")


@mcp.resource("quotes://symbols")
def symbols() -> list[str]:
    return sorted(PRICES)


if __name__ == "__main__":
    mcp.run()
