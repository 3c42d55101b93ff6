"""A payments server that hides internal error details from clients."""

from decimal import Decimal

from fastmcp import FastMCP
from fastmcp.exceptions import ResourceError, ToolError
from pydantic import BaseModel, Field

mcp = FastMCP("Payments", mask_error_details=True)

BALANCES = {"acct-1": Decimal("100.00"), "acct-2": Decimal("5.00")}


class Transfer(BaseModel):
    source: str = Field(alias="from")
    target: str = Field(alias="to")
    amount: Decimal = Field(gt=0, decimal_places=2)
    memo: str | None = Field(default=None, max_length=20)


@mcp.tool
def transfer(transfer: Transfer) -> dict:
    """Move money between accounts."""
    if transfer.source not in BALANCES or transfer.target not in BALANCES:
        raise ToolError("Unknown account")
    if BALANCES[transfer.source] < transfer.amount:
        raise ValueError(f"internal: balance {BALANCES[transfer.source]} too low in ledger shard 7")
    BALANCES[transfer.source] -= transfer.amount
    BALANCES[transfer.target] += transfer.amount
    return {k: str(v) for k, v in sorted(BALANCES.items())}


@mcp.tool
def balance(account: str) -> str:
    """An account's balance."""
    return str(BALANCES[account])


@mcp.resource("payments://accounts/{account}")
def statement(account: str) -> str:
    """An account's statement."""
    if account == "frozen":
        raise ResourceError("Account is frozen")
    if account not in BALANCES:
        raise LookupError(f"internal: no row for {account}")
    return f"{account}: {BALANCES[account]}"


if __name__ == "__main__":
    mcp.run()
