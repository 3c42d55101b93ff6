"""A bookstore catalogue: nested models, dicts and lists of models, dataclass and TypedDict results."""

from dataclasses import dataclass, field
from typing import Literal, Optional

from typing_extensions import TypedDict

from fastmcp import FastMCP
from pydantic import BaseModel, Field

mcp = FastMCP("Bookstore")


class Author(BaseModel):
    name: str
    born: Optional[int] = None


class Book(BaseModel):
    isbn: str = Field(pattern=r"^97[89][0-9]{10}$")
    title: str
    authors: list[Author] = Field(min_length=1)
    price: float = Field(gt=0)
    tags: set[str] = Field(default_factory=set)
    stock: dict[str, int] = Field(default_factory=dict, description="Copies per shop")


class Shelf(BaseModel):
    name: str
    books: dict[str, Book] = {}


class Totals(TypedDict):
    books: int
    copies: int
    value: float


@dataclass
class PriceChange:
    isbn: str
    old: float
    new: float
    notes: list[str] = field(default_factory=list)


SHELF = Shelf(name="main")


@mcp.tool
def add_book(book: Book) -> Shelf:
    """Add a book; returns the whole shelf."""
    SHELF.books[book.isbn] = book
    return SHELF


@mcp.tool
def add_books(books: list[Book], shelf_name: Optional[str] = None) -> dict[str, int]:
    """Add several books; returns copies per ISBN."""
    if shelf_name:
        SHELF.name = shelf_name
    for book in books:
        SHELF.books[book.isbn] = book
    return {isbn: sum(b.stock.values()) for isbn, b in sorted(SHELF.books.items())}


@mcp.tool
def find(author: Optional[str] = None, sort: Literal["title", "price"] = "title", limit: int = 10) -> list[Book]:
    """Books, optionally by one author."""
    books = [b for b in SHELF.books.values() if author is None or any(a.name == author for a in b.authors)]
    return sorted(books, key=lambda b: getattr(b, sort))[:limit]


@mcp.tool
def totals() -> Totals:
    """Counts and value of the stock."""
    copies = sum(sum(b.stock.values()) for b in SHELF.books.values())
    value = sum(b.price * sum(b.stock.values()) for b in SHELF.books.values())
    return {"books": len(SHELF.books), "copies": copies, "value": round(value, 2)}


@mcp.tool
def reprice(isbn: str, percent: float = Field(ge=-50, le=50)) -> PriceChange:
    """Change a book's price by a percentage."""
    book = SHELF.books[isbn]
    old = book.price
    book.price = round(old * (1 + percent / 100), 2)
    return PriceChange(isbn=isbn, old=old, new=book.price, notes=["rounded to cents"])


@mcp.tool
def restock(updates: dict[str, dict[str, int]]) -> list[tuple[str, int]]:
    """Set copies per shop for several ISBNs; returns (isbn, total) pairs."""
    for isbn, shops in updates.items():
        SHELF.books[isbn].stock.update(shops)
    return [(isbn, sum(SHELF.books[isbn].stock.values())) for isbn in sorted(updates)]


if __name__ == "__main__":
    mcp.run()
