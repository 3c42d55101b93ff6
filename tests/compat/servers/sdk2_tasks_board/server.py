"""A task board on the official SDK 2.x: pydantic models, annotations, icons, Context logging and progress."""

from enum import Enum
from typing import Annotated

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import Icon, ToolAnnotations
from pydantic import BaseModel, Field, field_validator

mcp = MCPServer(
    "Task Board",
    instructions="Track tasks through columns.",
    website_url="https://board.example.com",
    icons=[Icon(src="https://board.example.com/icon.png", mimeType="image/png", sizes=["32x32"])],
)


class Column(str, Enum):
    todo = "todo"
    doing = "doing"
    done = "done"


class NewTask(BaseModel):
    title: str = Field(min_length=1, max_length=80)
    points: int = Field(default=1, ge=1, le=13)
    labels: list[str] = Field(default_factory=list)

    @field_validator("labels")
    @classmethod
    def lower_labels(cls, labels: list[str]) -> list[str]:
        return sorted({label.lower() for label in labels})


class Task(BaseModel):
    id: int
    title: str
    points: int
    labels: list[str]
    column: Column


BOARD: dict[int, Task] = {}


@mcp.tool(annotations=ToolAnnotations(destructiveHint=False, idempotentHint=False))
def create_task(task: NewTask) -> Task:
    """Create a task in the todo column."""
    created = Task(id=len(BOARD) + 1, column=Column.todo, **task.model_dump())
    BOARD[created.id] = created
    return created


@mcp.tool(icons=[Icon(src="https://board.example.com/move.svg", mimeType="image/svg+xml")])
async def move_task(task_id: int, column: Column, ctx: Context) -> Task:
    """Move a task to another column."""
    if task_id not in BOARD:
        raise ToolError(f"No task {task_id}")
    await ctx.info(f"moving {task_id} to {column.value}")
    BOARD[task_id].column = column
    return BOARD[task_id]


@mcp.tool(title="Board summary", annotations=ToolAnnotations(readOnlyHint=True))
async def summary(ctx: Context, column: Column | None = None) -> dict[str, int]:
    """Points per column."""
    out = {c.value: 0 for c in Column}
    tasks = [t for t in BOARD.values() if column is None or t.column == column]
    for i, task in enumerate(tasks):
        await ctx.report_progress(i + 1, len(tasks))
        out[task.column.value] += task.points
    return out


@mcp.tool()
def estimate(points: Annotated[list[int], Field(min_length=1)], velocity: float = 10) -> float:
    """Sprints needed for some points."""
    return round(sum(points) / velocity, 2)


@mcp.resource("board://tasks/{task_id}", mime_type="application/json")
def task_resource(task_id: int) -> str:
    """One task as JSON."""
    return BOARD[task_id].model_dump_json()


if __name__ == "__main__":
    mcp.run(transport="streamable-http")
