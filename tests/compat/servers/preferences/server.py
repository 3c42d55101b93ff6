"""User preferences kept per session in a key-value store passed to the server (`session_state_store=`)."""

from typing import Literal

from fastmcp import Context, FastMCP
from key_value.aio.stores.memory import MemoryStore
from pydantic import BaseModel

mcp = FastMCP("Preferences", session_state_store=MemoryStore())


class Preferences(BaseModel):
    theme: Literal["light", "dark"] = "light"
    language: str = "en"
    page_size: int = 20


@mcp.tool
async def set_preferences(preferences: Preferences, ctx: Context) -> str:
    """Save this session's preferences."""
    await ctx.set_state("preferences", preferences.model_dump())
    return "saved"


@mcp.tool
async def get_preferences(ctx: Context) -> Preferences:
    """This session's preferences (defaults until set)."""
    saved = await ctx.get_state("preferences")
    return Preferences(**saved) if saved else Preferences()


@mcp.tool
async def forget(ctx: Context) -> str:
    """Drop this session's preferences."""
    await ctx.delete_state("preferences")
    return "forgotten"


if __name__ == "__main__":
    mcp.run()
