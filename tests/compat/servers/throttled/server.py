"""A free-tier API: a global token bucket that refills slowly, so a burst runs out."""

from fastmcp import FastMCP
from fastmcp.server.middleware.rate_limiting import RateLimitingMiddleware

mcp = FastMCP("Throttled")
mcp.add_middleware(RateLimitingMiddleware(max_requests_per_second=0.001, burst_capacity=10, global_limit=True))


@mcp.tool
def ping_api(n: int) -> str:
    """One metered call."""
    return f"pong {n}"


if __name__ == "__main__":
    mcp.run()
