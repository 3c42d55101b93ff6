"""Prompts for reviewing code, with argument completion."""

from fastmcp import FastMCP
from fastmcp.prompts import Message, PromptResult
from mcp.types import PromptMessage, PromptReference, ResourceTemplateReference, TextContent

mcp = FastMCP("Code Review")

LANGUAGES = ["python", "rust", "typescript", "ruby", "go"]


@mcp.prompt
def review_code(code: str, language: str = "python") -> str:
    """Review a piece of code."""
    return f"Please review this {language} code:\n\n{code}"


@mcp.prompt(name="debug-session", title="Debugging session", description="Start a debugging conversation.", tags={"debug"})
def debug_session(error: str, attempts: int = 1) -> list[Message]:
    return [
        Message(f"I'm seeing this error: {error}"),
        Message(f"I've tried {attempts} fixes. What should I check next?"),
        Message("Let's start from the stack trace.", role="assistant"),
    ]


@mcp.prompt
def explain(topic: str, audience: str = "beginner") -> PromptResult:
    """Explain a topic for an audience."""
    return PromptResult(
        messages=[Message(f"Explain {topic} to a {audience}.")],
        description=f"Explaining {topic}",
    )


@mcp.prompt
def compare(options: list[str], criteria: dict[str, int]) -> str:
    """Compare options against weighted criteria."""
    ranked = ", ".join(f"{name} (weight {weight})" for name, weight in sorted(criteria.items()))
    return f"Compare {' vs '.join(options)} on {ranked}."


@mcp.prompt
def pair_programming(task: str) -> list[PromptMessage]:
    """Messages built from mcp.types classes."""
    return [
        PromptMessage(role="user", content=TextContent(type="text", text=f"Let's pair on: {task}")),
        PromptMessage(role="assistant", content=TextContent(type="text", text="Sure. Where do we start?")),
    ]


@mcp.resource("snippets://{language}/{name}")
def snippet(language: str, name: str) -> str:
    """A stored snippet."""
    return f"# {name} in {language}"


@mcp.completion
def complete(ref, argument, context):
    if isinstance(ref, PromptReference) and argument.name == "language":
        return [lang for lang in LANGUAGES if lang.startswith(argument.value)]
    if isinstance(ref, ResourceTemplateReference) and argument.name == "name":
        language = (context.arguments or {}).get("language", "") if context else ""
        return [f"{language}-hello", f"{language}-loop"]
    return None


if __name__ == "__main__":
    mcp.run()
