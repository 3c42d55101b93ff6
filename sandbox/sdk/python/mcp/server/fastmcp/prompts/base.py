"""``prompts.base``: Message, UserMessage, AssistantMessage (the official SDK's module)."""

from berth_sdk.components import AssistantMessage, Message, Prompt, UserMessage

__all__ = ["AssistantMessage", "Message", "Prompt", "UserMessage"]
