"""``fastmcp.prompts``: prompts built in code, prompt messages and results."""

from berth_sdk.components import Message, Prompt, PromptMessage, PromptResult
from berth_sdk.standalone import prompt

FunctionPrompt = Prompt

__all__ = ["FunctionPrompt", "Message", "Prompt", "PromptMessage", "PromptResult", "prompt"]
