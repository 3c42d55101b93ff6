"""Prompt message helpers under their fastmcp import path."""

from berth_sdk.server import Message, PromptMessage

__all__ = ["Message", "PromptMessage"]
