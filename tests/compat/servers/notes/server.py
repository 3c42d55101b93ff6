"""A small notes store: tools to write, resources to read, a prompt to summarise."""

from typing import Optional

from fastmcp import FastMCP
from fastmcp.exceptions import ResourceError, ToolError
from pydantic import BaseModel, Field

mcp = FastMCP("Notes")


class Note(BaseModel):
    id: int
    title: str = Field(min_length=1, max_length=60)
    body: str = ""
    tags: list[str] = Field(default_factory=list)
    pinned: bool = False


NOTES: dict[int, Note] = {}


@mcp.tool(tags={"write"})
def add_note(title: str, body: str = "", tags: Optional[list[str]] = None) -> Note:
    """Store a note and return it with its id."""
    note = Note(id=len(NOTES) + 1, title=title, body=body, tags=tags or [])
    NOTES[note.id] = note
    return note


@mcp.tool
def get_note(note_id: int) -> Note:
    """Fetch one note by id."""
    if note_id not in NOTES:
        raise ToolError(f"Note {note_id} does not exist")
    return NOTES[note_id]


@mcp.tool
def search_notes(text: str = "", tag: Optional[str] = None) -> list[Note]:
    """Notes whose title or body contains the text, optionally with a tag."""
    found = [n for n in NOTES.values() if text.lower() in (n.title + " " + n.body).lower()]
    return [n for n in found if tag is None or tag in n.tags]


@mcp.tool(tags={"write"}, meta={"dangerous": True})
def pin_note(note_id: int, pinned: bool = True) -> str:
    """Pin or unpin a note."""
    if note_id not in NOTES:
        raise ToolError(f"Note {note_id} does not exist")
    NOTES[note_id].pinned = pinned
    return f"note {note_id} {'pinned' if pinned else 'unpinned'}"


@mcp.tool(tags={"admin"})
def purge() -> str:
    """Delete every note."""
    NOTES.clear()
    return "all notes deleted"


mcp.disable(names={"purge"})


@mcp.resource("notes://all", mime_type="application/json")
def all_notes() -> list[dict]:
    """Every note."""
    return [n.model_dump() for n in NOTES.values()]


@mcp.resource("notes://{note_id}")
def note_text(note_id: int) -> str:
    """One note as text."""
    note = NOTES.get(note_id)
    if note is None:
        raise ResourceError(f"No note with id {note_id}")
    return f"# {note.title}\n\n{note.body}"


@mcp.prompt
def summarize(note_id: int) -> str:
    """Ask for a summary of one note."""
    note = NOTES[note_id]
    return f"Summarize this note in one sentence:\n\n{note.body}"


if __name__ == "__main__":
    mcp.run()
