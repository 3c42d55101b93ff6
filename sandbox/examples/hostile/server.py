"""The hostile neighbour of the neighbour benchmark (`tests/e2e/src/bin/neighbour`): tools that take
all the CPU, memory and state they can. Deploy it only to measure how Berth keeps them to themselves."""

from fastmcp import Context, FastMCP

mcp = FastMCP("hostile")


@mcp.tool
def spin() -> int:
    """Computes forever (until its deadline stops it)."""
    n = 0
    while True:
        n += 1


@mcp.tool
def bomb() -> int:
    """Allocates memory until there is no more."""
    hoard = []
    while True:
        hoard.append(bytearray(1 << 20))


@mcp.tool
async def flood(ctx: Context, prefix: str, keys: int = 100) -> str:
    """Writes `keys` values of 64 KiB into the project's state, as fast as it can."""
    value = "x" * (64 * 1024)
    stored = 0
    for i in range(keys):
        try:
            await ctx.set_state(f"{prefix}-{i}", value)
            stored += 1
        except Exception:  # a quota says no: go on with the next key, as an abuser would
            pass
    return f"stored {stored} of {keys}"
