"""Prompt message types under the official SDK's import path."""

from berth_sdk.components import AssistantMessage, Message, Prompt, UserMessage

__all__ = ["AssistantMessage", "Message", "Prompt", "UserMessage"]
