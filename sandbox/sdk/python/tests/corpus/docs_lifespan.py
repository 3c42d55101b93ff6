"""Lifespans as FastMCP's documentation teaches them (docs/servers/lifespan.mdx): ``@lifespan`` generators
composed with ``|`` (their dicts merged), an ``@asynccontextmanager`` one wrapped in
``ContextManagerLifespan``, and tools reading ``ctx.lifespan_context``. Results must equal real fastmcp 4.x's.
"""

from contextlib import asynccontextmanager

from fastmcp import Context, FastMCP
from fastmcp.server.lifespan import ContextManagerLifespan, lifespan

ORDER = []


@lifespan
async def config_lifespan(server):
    ORDER.append(f"config enters for {server.name}")
    config = {"debug": True, "version": "1.0"}
    try:
        yield {"config": config, "shared": "from config"}
    finally:
        ORDER.append("config exits")


@lifespan
async def data_lifespan(server):
    ORDER.append("data enters")
    yield {"data": {"users": ["alice", "bob"]}, "shared": "from data"}


@asynccontextmanager
async def legacy_lifespan(server):
    ORDER.append("legacy enters")
    yield {"legacy": True}


@lifespan
async def empty_lifespan(server):
    yield None


mcp = FastMCP("MyServer", lifespan=config_lifespan | data_lifespan | ContextManagerLifespan(legacy_lifespan)
              | empty_lifespan)


@mcp.tool
def list_users(ctx: Context) -> list[str]:
    data = ctx.lifespan_context["data"]
    return data["users"]


@mcp.tool
def context_keys(ctx: Context) -> dict:
    return {"keys": sorted(ctx.lifespan_context), "shared": ctx.lifespan_context["shared"],
            "config": ctx.lifespan_context["config"], "order": ORDER[:3]}


CALLS = [("list_users", {}), ("context_keys", {})]
