"""``fastmcp.prompts.prompt`` (the module fastmcp 2.x and 4.x keep these names in)."""

from berth_sdk.components import AssistantMessage, Message, Prompt, PromptMessage, PromptResult, UserMessage

__all__ = ["AssistantMessage", "Message", "Prompt", "PromptMessage", "PromptResult", "UserMessage"]
