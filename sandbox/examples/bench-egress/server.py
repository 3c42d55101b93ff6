"""The egress benchmark's server: one tool that makes one outbound HTTP request, written as the FastMCP
guides write API wrappers (a module-level `httpx.AsyncClient` whose base URL comes from the
environment), so a measurement shows what reaching an API through Berth costs."""

import os

import httpx
from fastmcp import FastMCP

mcp = FastMCP("bench-egress")
client = httpx.AsyncClient(base_url=os.environ.get("BENCH_UPSTREAM", "http://127.0.0.1:9"))


@mcp.tool
async def fetch(n: int) -> str:
    """Fetches item n from the upstream API."""
    response = await client.get(f"/items/{n}")
    response.raise_for_status()
    return response.text


if __name__ == "__main__":
    mcp.run()
