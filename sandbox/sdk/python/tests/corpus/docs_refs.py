"""Schemas with ``$ref`` as FastMCP's documentation describes the opt-out (docs/servers/tools.mdx: "you can opt
out: FastMCP("my-server", dereference_schemas=False)"): models shared between parameters and results are listed
with ``$defs``. Listings and results must equal real fastmcp 4.x's.
"""

from typing import Optional

from pydantic import BaseModel

from fastmcp import FastMCP

mcp = FastMCP("my-server", dereference_schemas=False)


class Address(BaseModel):
    street: str


class User(BaseModel):
    name: str
    home: Address
    work: Optional[Address] = None


class Node(BaseModel):
    value: int
    children: list["Node"] = []


@mcp.tool
def register(user: User, extra: list[Address] = []) -> User:
    return user


@mcp.tool
def tree(root: Node) -> Node:
    return root


@mcp.tool
def plain(x: int) -> int:
    return x


CALLS = [
    ("register", {"user": {"name": "A", "home": {"street": "1 Rue"}}}),
    ("tree", {"root": {"value": 1, "children": [{"value": 2}]}}),
]
