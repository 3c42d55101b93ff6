"""``fastmcp.prompts``: prompt messages and results."""

from berth_sdk.components import Message, Prompt, PromptMessage, PromptResult

__all__ = ["Message", "Prompt", "PromptMessage", "PromptResult"]
