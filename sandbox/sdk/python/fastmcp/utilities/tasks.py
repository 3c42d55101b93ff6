"""``fastmcp.utilities.tasks.TaskConfig``: how a tool runs as a background task (Berth's edge runs it)."""

from berth_sdk.components import TaskConfig

__all__ = ["TaskConfig"]
