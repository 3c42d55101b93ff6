"""A warehouse inventory whose database is opened by the server's lifespan."""

from contextlib import asynccontextmanager

from fastmcp import Context, FastMCP
from pydantic import BaseModel, Field


class Database:
    def __init__(self):
        self.stock = {"bolt": 120, "nut": 300, "washer": 0}
        self.open = False

    async def connect(self):
        self.open = True
        return self

    async def close(self):
        self.open = False


@asynccontextmanager
async def lifespan(server: FastMCP):
    db = await Database().connect()
    try:
        yield {"db": db, "warehouse": "north"}
    finally:
        await db.close()


mcp = FastMCP("Inventory", lifespan=lifespan)


class StockLevel(BaseModel):
    item: str
    quantity: int = Field(ge=0)
    warehouse: str
    in_stock: bool


@mcp.tool
def stock(item: str, ctx: Context) -> StockLevel:
    """How many of an item are in stock."""
    db: Database = ctx.lifespan_context["db"]
    quantity = db.stock.get(item, 0)
    return StockLevel(item=item, quantity=quantity, warehouse=ctx.lifespan_context["warehouse"], in_stock=quantity > 0)


@mcp.tool
async def restock(item: str, quantity: int, ctx: Context) -> dict[str, int]:
    """Add to an item's stock; returns every level."""
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    db: Database = ctx.lifespan_context["db"]
    db.stock[item] = db.stock.get(item, 0) + quantity
    await ctx.info(f"restocked {quantity} x {item}")
    return dict(sorted(db.stock.items()))


@mcp.tool
def connection_open(ctx: Context) -> bool:
    """Whether the database connection is open."""
    return ctx.lifespan_context["db"].open


@mcp.resource("inventory://{warehouse}/items/{item}")
def item_level(warehouse: str, item: str, ctx: Context) -> str:
    """An item's level in a warehouse."""
    db: Database = ctx.lifespan_context["db"]
    return f"{warehouse}/{item}: {db.stock.get(item, 0)}"


if __name__ == "__main__":
    mcp.run()
