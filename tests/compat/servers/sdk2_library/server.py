"""A lending library on the official SDK 2.x: resources, templates, prompts with message classes, completions."""

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.prompts.base import AssistantMessage, Message, UserMessage
from mcp.types import (
    Completion,
    CompletionArgument,
    CompletionContext,
    PromptReference,
    ResourceTemplateReference,
)

mcp = MCPServer("Library")

BOOKS = {
    "dune": {"author": "Frank Herbert", "genre": "sci-fi", "available": True},
    "emma": {"author": "Jane Austen", "genre": "classic", "available": False},
    "dracula": {"author": "Bram Stoker", "genre": "horror", "available": True},
}


@mcp.resource("library://catalogue", mime_type="application/json")
def catalogue() -> dict:
    """Every book."""
    return BOOKS


@mcp.resource("library://cover.bin", mime_type="application/octet-stream")
def cover() -> bytes:
    """A binary cover image."""
    return b"\x89PNG\r\n\x1a\n\x00\x00"


@mcp.resource("library://{genre}/{slug}")
def book(genre: str, slug: str) -> str:
    """One book of a genre."""
    entry = BOOKS[slug]
    if entry["genre"] != genre:
        raise ValueError(f"{slug} is not {genre}")
    return f"{slug} by {entry['author']}"


@mcp.prompt(title="Recommend a book")
def recommend(genre: str, mood: str = "curious") -> list[Message]:
    """Ask for a recommendation."""
    titles = sorted(slug for slug, b in BOOKS.items() if b["genre"] == genre and b["available"])
    return [
        UserMessage(f"I feel {mood} and like {genre}."),
        AssistantMessage(f"Available {genre} books: {', '.join(titles) or 'none'}."),
        UserMessage("Which one should I read?"),
    ]


@mcp.prompt()
def overdue_notice(name: str, days: str) -> str:
    """Write an overdue notice."""
    return f"Dear {name}, your book is {days} days overdue."


@mcp.completion()
async def complete(
    ref: PromptReference | ResourceTemplateReference,
    argument: CompletionArgument,
    context: CompletionContext | None,
) -> Completion | None:
    genres = sorted({b["genre"] for b in BOOKS.values()})
    if argument.name == "genre":
        return Completion(values=[g for g in genres if g.startswith(argument.value)])
    if isinstance(ref, ResourceTemplateReference) and argument.name == "slug":
        genre = (context.arguments or {}).get("genre") if context else None
        return Completion(values=sorted(s for s, b in BOOKS.items() if b["genre"] == genre))
    return None


if __name__ == "__main__":
    mcp.run(transport="streamable-http")
