"""A database-backed server in the official SDK (1.x) style: typed lifespan context, prompts with
`base` messages, and argument completion."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from mcp.server.fastmcp import Context, FastMCP
from mcp.server.fastmcp.prompts import base
from mcp.server.session import ServerSession
from mcp.types import (
    Completion,
    CompletionArgument,
    CompletionContext,
    PromptReference,
    ResourceTemplateReference,
)


class Database:
    """Mock database class for example."""

    @classmethod
    async def connect(cls) -> "Database":
        return cls()

    async def disconnect(self) -> None:
        pass

    def query(self) -> str:
        return "Query result"


@dataclass
class AppContext:
    db: Database
    table_names: list[str]


@asynccontextmanager
async def app_lifespan(server: FastMCP) -> AsyncIterator[AppContext]:
    """Manage application lifecycle with type-safe context."""
    db = await Database.connect()
    try:
        yield AppContext(db=db, table_names=["users", "orders", "products"])
    finally:
        await db.disconnect()


mcp = FastMCP("My App", lifespan=app_lifespan)


@mcp.tool()
def query_db(ctx: Context[ServerSession, AppContext]) -> str:
    """Tool that uses initialized resources."""
    db = ctx.request_context.lifespan_context.db
    return db.query()


@mcp.tool()
def tables(ctx: Context[ServerSession, AppContext], prefix: str = "") -> list[str]:
    """Table names, optionally filtered by prefix."""
    return [t for t in ctx.request_context.lifespan_context.table_names if t.startswith(prefix)]


@mcp.resource("db://{table}/rows/{row_id}")
def row(table: str, row_id: str) -> str:
    """One row of a table."""
    return f"{table}[{row_id}]"


@mcp.prompt(title="Code Review")
def review_code(code: str) -> str:
    return f"Please review this code:\n\n{code}"


@mcp.prompt(title="Debug Assistant")
def debug_error(error: str) -> list[base.Message]:
    return [
        base.UserMessage("I'm seeing this error:"),
        base.UserMessage(error),
        base.AssistantMessage("I'll help debug that. What have you tried so far?"),
    ]


@mcp.prompt()
def query_table(table: str, limit: str = "10") -> str:
    """Query a table."""
    return f"SELECT * FROM {table} LIMIT {limit}"


@mcp.completion()
async def handle_completion(
    ref: PromptReference | ResourceTemplateReference,
    argument: CompletionArgument,
    context: CompletionContext | None,
) -> Completion | None:
    """Provide completions for prompt and resource template arguments."""
    tables = ["users", "orders", "products"]
    if isinstance(ref, PromptReference) and ref.name == "query_table" and argument.name == "table":
        return Completion(values=[t for t in tables if t.startswith(argument.value)], hasMore=False)
    if isinstance(ref, ResourceTemplateReference) and argument.name == "row_id":
        table = context.arguments.get("table") if context and context.arguments else None
        if table == "users":
            return Completion(values=["1", "2", "3"], total=3)
    return None


if __name__ == "__main__":
    mcp.run(transport="streamable-http")
